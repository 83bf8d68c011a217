using LatencyNas.Core.Spaces;
using LatencyNas.Core.Spaces.Nb201;
using LatencyNas.Core.Tables;
using LatencyNas.Profiling.Devices;
using LatencyNas.Profiling.Store;
using LatencyNas.Tests;

namespace LatencyNas.Profiling.Tests.Store;

public sealed class BulkImportTests : IDisposable
{
    private static readonly Nb201Space Space = Nb201Space.Instance;
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [SkippableTheory]
    [MemberData(nameof(TestStore.Backends), MemberType = typeof(TestStore))]
    public void Imports_every_help_device_column_with_its_values(string backend)
    {
        using var at = TestStore.Create(backend);
        using var store = at.Open();
        var table = ArchitectureTable.Read(SharedData.File("nb201_help_latency_ms.csv"), Space);
        var imported = store.Import.Devices(table, Space, Dataset.Cifar10, prefix: "help:");

        Assert.Equal(27, imported.Count); // index, arch and ops are not devices
        Assert.All(imported, d => Assert.Equal(15_625, d.Values));
        Assert.Contains(imported, d => d.Name == "help:pixel3");
        Assert.Equal(27, store.Devices.List().Count(d => d.Device.Kind == DeviceKind.Table));

        // Spot-check against the file itself, read independently of the table reader.
        var rows = SharedData.ReadCsv("nb201_help_latency_ms.csv");
        var random = new Random(1);
        foreach (var column in new[] { "pixel3", "raspi4", "gold_6226", "titan_rtx_256", "fpga" })
        {
            var latencies = store.Measurements.Latencies(store.Devices.Get("help:" + column), Space);
            Assert.Equal(15_625, latencies.Count);
            for (int i = 0; i < 50; i++)
            {
                var row = rows[random.Next(rows.Count)];
                Assert.Equal(SharedData.Number(row[column]), latencies[row["ops"]], 9);
            }
        }
    }

    [SkippableTheory]
    [MemberData(nameof(TestStore.Backends), MemberType = typeof(TestStore))]
    public void Imports_the_eagle_table_by_its_ops_column_and_leaves_out_missing_rows(string backend)
    {
        using var at = TestStore.Create(backend);
        using var store = at.Open();
        var table = ArchitectureTable.Read(SharedData.File("nb201_eagle_i7_7820x_latency_ms.csv"), Space,
            new ArchitectureTableOptions { ArchitectureColumn = "ops", Columns = ["desktop_cpu_i7_7820x_fp32"] });
        var device = Assert.Single(store.Import.Devices(table, Space, Dataset.Cifar10, prefix: "eagle:"));
        Assert.Equal(15_284, device.Values);
        var latencies = store.Measurements.Latencies(store.Devices.Get("eagle:desktop_cpu_i7_7820x_fp32"), Space);
        Assert.Equal(3.896705866, latencies["421211"], 9);
        Assert.False(latencies.ContainsKey("000000")); // disconnected cells were never measured there
    }

    [SkippableTheory]
    [MemberData(nameof(TestStore.Backends), MemberType = typeof(TestStore))]
    public void Importing_again_replaces_values_rather_than_duplicating_them_and_converts_units(string backend)
    {
        string csv = _directory.File("t.csv");
        File.WriteAllText(csv, "arch,dev\n333333,2.5\n111111,0.5\n");
        using var at = TestStore.Create(backend);
        using var store = at.Open();
        store.Import.Devices(ArchitectureTable.Read(csv, Space), Space, Dataset.Cifar10);
        File.WriteAllText(csv, "arch,dev\n333333,0.0035\n111111,0.0005\n");
        store.Import.Devices(ArchitectureTable.Read(csv, Space), Space, Dataset.Cifar10, toMilliseconds: 1000);
        var device = store.Devices.Get("dev");
        Assert.Equal(2, store.Measurements.Read(device).Count);
        Assert.Equal(3.5, store.Measurements.Latencies(device, Space)["333333"], 12);
    }

    [SkippableTheory]
    [MemberData(nameof(TestStore.Backends), MemberType = typeof(TestStore))]
    public void Objectives_are_imported_under_their_column_names(string backend)
    {
        using var at = TestStore.Create(backend);
        using var store = at.Open();
        var table = ArchitectureTable.Read(SharedData.File("nb201_accuracy.csv"), Space,
            new ArchitectureTableOptions { Columns = ["cifar10_test_acc"], PositiveValues = false });
        Assert.Equal(15_625, Assert.Single(store.Import.Objectives(table, Space, Dataset.Cifar10)).Values);
        var accuracy = store.Objectives.Get("cifar10_test_acc", Space);
        var row = SharedData.ReadCsv("nb201_accuracy.csv").First(r => r["ops"] == "333333");
        Assert.Equal(SharedData.Number(row["cifar10_test_acc"]), accuracy["333333"], 9);
        var error = Assert.Throws<ProfileStoreException>(() => store.Objectives.Get("cifar100_test_acc", Space));
        Assert.Contains("cifar10_test_acc", error.Message);
    }

    [SkippableTheory]
    [MemberData(nameof(TestStore.Backends), MemberType = typeof(TestStore))]
    public void A_failure_after_some_devices_were_written_rolls_the_whole_import_back(string backend)
    {
        string csv = _directory.File("t.csv");
        File.WriteAllText(csv, "arch,a,b\n333333,2.5,1\n111111,0.5,2\n");
        using var at = TestStore.Create(backend);
        using var store = at.Open();
        // A live device already owns the name the second column would take: the import fails part-way.
        store.Devices.EnsureMeasured(DeviceDescriptorReader.Resolve("ort-cpu-1t") with { Name = "b" },
            DeviceFingerprint.ForHost(DeviceDescriptorReader.Resolve("ort-cpu-1t"), "x"), DeviceKind.Live);
        Assert.Throws<ProfileStoreException>(() => store.Import.Devices(ArchitectureTable.Read(csv, Space), Space, Dataset.Cifar10));
        Assert.Null(store.Devices.Find("a"));
        Assert.Single(store.Devices.List());
        // The architecture ids cached during the rolled-back import are forgotten: a later write still works.
        File.WriteAllText(csv, "arch,a\n333333,2.5\n111111,0.5\n");
        Assert.Equal(2, Assert.Single(store.Import.Devices(ArchitectureTable.Read(csv, Space), Space, Dataset.Cifar10)).Values);
    }
}
