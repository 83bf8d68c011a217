using LatencyNas.Core;
using LatencyNas.Core.Spaces;
using LatencyNas.Core.Spaces.Fbnet;
using LatencyNas.Tests;

namespace LatencyNas.Workflows.Tests;

/// <summary>The HELP FBNet table into a real SQLite store through the import use case, checked against the CSV read independently.</summary>
public sealed class FbnetImportTests : IDisposable
{
    private const string Table = "fbnet_help_latency_ms.csv";
    private static readonly FbnetSpace Space = FbnetSpace.Instance;
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Importing_the_help_fbnet_table_by_ops_keeps_every_row_of_all_27_devices_and_their_values()
    {
        var rows = SharedData.ReadCsv(Table);
        string[] devices = rows[0].Keys.Except(["id", "ops"]).ToArray();
        Assert.Equal(27, devices.Length);
        Assert.Equal(5_000, rows.Count);
        var store = new StoreLocation(_directory.File("profiles/latnas.db"));

        var result = new ImportUseCase().Run(new ImportRequest(SharedData.File(Table), Space, Dataset.Cifar100, store, ArchitectureColumn: "ops"));

        Assert.Equal("devices", result.Imported);
        Assert.Equal(devices.Order(), result.Columns.Select(c => c.Name).Order());
        Assert.All(result.Columns, c => Assert.Equal((5_000, 0), (c.Values, c.Empty)));
        Assert.Empty(result.Skipped);
        // 25 rows drawn at random, and every row whose ops starts with 0 (which a numeric reading of the column would shorten).
        var random = new Random(11);
        var sampled = rows.Where(r => r["ops"][0] == '0').Concat(Enumerable.Range(0, 25).Select(_ => rows[random.Next(rows.Count)])).ToList();
        Assert.True(sampled.Count > 100, $"{sampled.Count} sampled rows"); // about 1 in 9 rows starts with 0
        using var opened = store.OpenExisting();
        foreach (string device in devices)
        {
            var stored = opened.Measurements.Latencies(opened.Devices.Get(device), Space);
            Assert.Equal(5_000, stored.Count);
            Assert.All(stored.Keys, ops => Assert.Equal(22, ops.Length));
            foreach (var row in sampled)
            {
                double expected = SharedData.Number(row[device]);
                Assert.True(stored.TryGetValue(row["ops"], out double actual), $"{device}: no latency for {row["ops"]} (id {row["id"]})");
                Assert.Equal(expected, actual, expected * 1e-12);
            }
        }
    }

    /// <summary>The importer reads and checks the whole table before it opens the store: a bad ops cell refuses the table, names its line, and creates nothing.</summary>
    [Theory]
    [InlineData("781848887414732732424", "has 21 digits; fbnet architectures have 22")]
    [InlineData("7818488874147327324249", "digit 22 ('9') is not a choice of s7.1 (352 ch); use 0-8")]
    [InlineData("78184888741473273242a5", "is not an fbnet architecture")]
    public void An_ops_value_that_is_not_22_digits_0_to_8_refuses_the_table_and_names_the_line(string ops, string message)
    {
        var rows = SharedData.ReadCsv(Table).Take(3).ToList();
        string csv = _directory.File("small.csv");
        File.WriteAllLines(csv, ["id,ops,raspi4", .. rows.Select(r => $"{r["id"]},{r["ops"]},{r["raspi4"]}"), $"3,{ops},12.5"]);
        var store = new StoreLocation(_directory.File("profiles/latnas.db"));

        var error = Assert.Throws<InvalidInputException>(() => new ImportUseCase().Run(new ImportRequest(csv, Space, Dataset.Cifar100, store, ArchitectureColumn: "ops")));

        Assert.Contains($"{csv}, line 5: ", error.Message);
        Assert.Contains(message, error.Message);
        Assert.False(File.Exists(store.Path));

        // The same table without the bad row imports.
        File.WriteAllLines(csv, ["id,ops,raspi4", .. rows.Select(r => $"{r["id"]},{r["ops"]},{r["raspi4"]}")]);
        var result = new ImportUseCase().Run(new ImportRequest(csv, Space, Dataset.Cifar100, store, ArchitectureColumn: "ops"));
        Assert.Equal(3, Assert.Single(result.Columns).Values);
    }
}
