using LatencyNas.Core;
using LatencyNas.Core.Spaces;
using LatencyNas.Core.Spaces.Fbnet;
using LatencyNas.Core.Spaces.Nb201;
using LatencyNas.Tests;

namespace LatencyNas.Workflows.Tests;

/// <summary>
/// The store <c>serve --demo</c> fills from the published tables: every table once, a predictor for each device the
/// workbench opens comparing, and nothing done twice. The tables here are the published ones cut to their first 600
/// rows and three devices, so that training stays quick.
/// </summary>
public sealed class DemoStoreUseCaseTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private static readonly string[] Devices = ["pixel3", "raspi4", "fpga"];

    private string CutTables()
    {
        string data = Path.Combine(_directory.Path, "data");
        Directory.CreateDirectory(data);
        foreach (var (file, keep) in new[] { ("nb201_help_latency_ms.csv", new[] { "index", "arch", "ops" }), ("fbnet_help_latency_ms.csv", new[] { "id", "ops" }) })
        {
            string[] lines = File.ReadLines(SharedData.File(file)).Take(1 + 600).ToArray();
            string[] header = lines[0].Split(',');
            int[] columns = [.. header.Select((name, i) => (name, i)).Where(c => keep.Contains(c.name) || Devices.Contains(c.name)).Select(c => c.i)];
            File.WriteAllLines(Path.Combine(data, file), lines.Select(line => string.Join(',', columns.Select(i => line.Split(',')[i]))));
        }
        File.Copy(SharedData.File("nb201_accuracy.csv"), Path.Combine(data, "nb201_accuracy.csv"));
        return data;
    }

    [Fact]
    public void Fills_a_store_with_the_tables_and_the_opening_devices_predictors_once()
    {
        var store = new StoreLocation(Path.Combine(_directory.Path, "demo.db"));
        string data = CutTables();
        var request = new DemoStoreRequest(data, store);
        var steps = new List<string>();
        // A store that already holds one of the devices on NAS-Bench-201 still gets the whole table.
        new ImportUseCase().Run(new ImportRequest(Path.Combine(data, "nb201_help_latency_ms.csv"), Nb201Space.Instance, Dataset.Cifar10, store, Columns: ["pixel3"]));

        var first = new DemoStoreUseCase().Run(request, new Synchronous(steps.Add));

        Assert.Equal(DemoStoreUseCase.Tables.Order(), first.Imported.Order());
        string[] expected = [.. new[] { "nb201", "fbnet" }.SelectMany(space => Devices.Order(StringComparer.Ordinal).Select(d => $"{space}/{d}"))];
        Assert.Equal(expected.Order(), first.Trained.Order());
        Assert.Contains("training the predictor of pixel3 on fbnet", steps);
        var devices = new DevicesListUseCase().Run(new DevicesListRequest(store)).Devices;
        Assert.Equal(Devices.Order(), devices.Select(d => d.Name).Order());
        Assert.All(devices, d => Assert.Equal(1_200, d.Measured)); // 600 on each space
        Assert.Contains(DemoStoreUseCase.Objective, new ObjectivesListUseCase().Run(new ObjectivesListRequest(Nb201Space.Instance, store)).Stored);
        var predictors = new PredictorsListUseCase().Run(new PredictorsListRequest(store)).Predictors;
        Assert.Equal(expected.Order(), predictors.Select(p => $"{p.Space}/{p.Device}").Order());
        using (var opened = store.OpenExisting())
        {
            Assert.Equal(Devices.Order(StringComparer.Ordinal), OpeningComparison.Devices(opened, FbnetSpace.Instance).Order(StringComparer.Ordinal));
        }

        var second = new DemoStoreUseCase().Run(request);
        Assert.Empty(second.Imported);
        Assert.Empty(second.Trained);
        Assert.All(new DevicesListUseCase().Run(new DevicesListRequest(store)).Devices, d => Assert.Equal(1_200, d.Measured));
    }

    [Fact]
    public void A_folder_without_the_tables_is_bad_input_naming_what_is_missing_and_creates_no_store()
    {
        string data = CutTables();
        File.Delete(Path.Combine(data, "fbnet_help_latency_ms.csv"));
        var store = new StoreLocation(Path.Combine(_directory.Path, "demo.db"));

        var error = Assert.Throws<InvalidInputException>(() => new DemoStoreUseCase().Run(new DemoStoreRequest(data, store)));

        Assert.Contains("fbnet_help_latency_ms.csv", error.Message);
        Assert.DoesNotContain("nb201_accuracy.csv", error.Message);
        Assert.Contains(data, error.Message);
        Assert.False(File.Exists(store.Path));
    }

    private sealed class Synchronous(Action<string> report) : IProgress<string>
    {
        public void Report(string value) => report(value);
    }
}
