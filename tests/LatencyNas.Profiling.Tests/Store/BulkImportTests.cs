using LatencyNas.Core;
using LatencyNas.Core.Spaces;
using LatencyNas.Core.Spaces.Nb201;
using LatencyNas.Profiling.Devices;
using LatencyNas.Profiling.Import;
using LatencyNas.Profiling.Store;
using LatencyNas.Tests;

namespace LatencyNas.Profiling.Tests.Import;

public sealed class LatencyTableImporterTests : IDisposable
{
    private static readonly Nb201Space Space = Nb201Space.Instance;
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Imports_every_help_device_column_with_its_values()
    {
        using var store = ProfileStore.Open(_directory.File("p.db"));
        var imported = LatencyTableImporter.Import(store, new LatencyTableImport
        {
            CsvPath = SharedData.File("nb201_help_latency_ms.csv"),
            Space = Space,
            Prefix = "help:",
        });

        Assert.Equal(27, imported.Count); // index, arch and ops are not devices
        Assert.All(imported, d => Assert.Equal(15_625, d.Values));
        Assert.Contains(imported, d => d.Name == "help:pixel3");
        Assert.Equal(27, store.ListDevices().Count(d => d.Device.Kind == DeviceKind.Table));

        // Spot-check against the file itself, read independently of the importer.
        var rows = SharedData.ReadCsv("nb201_help_latency_ms.csv");
        var random = new Random(1);
        foreach (var column in new[] { "pixel3", "raspi4", "gold_6226", "titan_rtx_256", "fpga" })
        {
            var latencies = store.Latencies(store.GetDevice("help:" + column), Space);
            Assert.Equal(15_625, latencies.Count);
            for (int i = 0; i < 50; i++)
            {
                var row = rows[random.Next(rows.Count)];
                Assert.Equal(SharedData.Number(row[column]), latencies[row["ops"]], 9);
            }
        }
    }

    [Fact]
    public void Imports_the_eagle_table_by_its_ops_column_and_leaves_out_missing_rows()
    {
        using var store = ProfileStore.Open(_directory.File("p.db"));
        var imported = LatencyTableImporter.Import(store, new LatencyTableImport
        {
            CsvPath = SharedData.File("nb201_eagle_i7_7820x_latency_ms.csv"),
            Space = Space,
            ArchitectureColumn = "ops",
            Columns = ["desktop_cpu_i7_7820x_fp32"],
            Prefix = "eagle:",
        });
        var device = Assert.Single(imported);
        Assert.Equal(15_284, device.Values);
        var latencies = store.Latencies(store.GetDevice("eagle:desktop_cpu_i7_7820x_fp32"), Space);
        Assert.Equal(3.896705866, latencies["421211"], 9);
        Assert.False(latencies.ContainsKey("000000")); // disconnected cells were never measured there
    }

    [Fact]
    public void Importing_again_replaces_values_rather_than_duplicating_them()
    {
        string csv = _directory.File("t.csv");
        File.WriteAllText(csv, "arch,dev\n333333,2.5\n111111,0.5\n");
        using var store = ProfileStore.Open(_directory.File("p.db"));
        LatencyTableImporter.Import(store, new LatencyTableImport { CsvPath = csv, Space = Space });
        File.WriteAllText(csv, "arch,dev\n333333,3.5\n111111,0.5\n");
        LatencyTableImporter.Import(store, new LatencyTableImport { CsvPath = csv, Space = Space });
        var device = store.GetDevice("dev");
        Assert.Equal(2, store.ReadMeasurements(device).Count);
        Assert.Equal(3.5, store.Latencies(device, Space)["333333"]);
    }

    [Theory]
    [InlineData("arch,dev\n333333,2.5\n33x333,1.0\n", "line 3")]
    [InlineData("arch,dev\n333333,2.5\n111111,fast\n", "'fast'")]
    [InlineData("arch,dev\n333333,2.5\n111111,-1\n", "positive")]
    [InlineData("arch,dev\n333333,2.5\n333333,1.0\n", "already appeared on line 2")]
    [InlineData("arch,dev\n333333,2.5,9\n", "3 fields")]
    [InlineData("ops_string,dev\n333333,2.5\n", "no column 'arch'")]
    public void A_bad_table_is_rejected_whole_with_the_line_named(string content, string expected)
    {
        string csv = _directory.File("bad.csv");
        File.WriteAllText(csv, content);
        using var store = ProfileStore.Open(_directory.File("p.db"));
        var error = Assert.Throws<InvalidInputException>(() => LatencyTableImporter.Import(store, new LatencyTableImport { CsvPath = csv, Space = Space, Columns = ["dev"] }));
        Assert.Contains(expected, error.Message);
        Assert.Empty(store.ListDevices());
    }

    [Fact]
    public void A_failure_after_some_devices_were_written_rolls_the_whole_import_back()
    {
        string csv = _directory.File("t.csv");
        File.WriteAllText(csv, "arch,a,b\n333333,2.5,1\n111111,0.5,2\n");
        using var store = ProfileStore.Open(_directory.File("p.db"));
        // A live device already owns the name the second column would take: the import fails part-way.
        store.EnsureDevice(DeviceDescriptorReader.Resolve("ort-cpu-1t") with { Name = "b" },
            DeviceFingerprint.ForHost(DeviceDescriptorReader.Resolve("ort-cpu-1t"), "x"), DeviceKind.Live);
        Assert.Throws<ProfileStoreException>(() => LatencyTableImporter.Import(store, new LatencyTableImport { CsvPath = csv, Space = Space }));
        Assert.Null(store.FindDevice("a"));
        Assert.Single(store.ListDevices());
    }
}
