using LatencyNas.Core.Measurements;
using LatencyNas.Core.Spaces;
using LatencyNas.Core.Spaces.Nb201;
using LatencyNas.Core.Tables;
using LatencyNas.Profiling.Devices;
using LatencyNas.Profiling.Runners;
using LatencyNas.Profiling.Store;
using LatencyNas.Tests;

namespace LatencyNas.Profiling.Tests.Store;

/// <summary>Copies between stores of either backend keep every number, run again without duplicating, and refuse a device measured otherwise.</summary>
public sealed class StoreCopyTests : IDisposable
{
    private static readonly Nb201Space Space = Nb201Space.Instance;
    private readonly DeviceDescriptor _device = DeviceDescriptorReader.Resolve("ort-cpu-1t");
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private ModelOutcome Measured(string digits, double ms) => ModelOutcome.Measured(_device.RequestFor(Space, Space.Parse(digits)),
        ProfileStoreTests.FakeMeasurement(ms) with { Visits = [new Visit(1, ms * 1.1, 3, 0.1, null, 0.02, Instance: 0), new Visit(2, ms, 3, 0.0, 0.01, 0.0, Instance: 1)] });

    /// <summary>A store with an imported table, a measured device (visits, a failure, reference latencies), an objective and queued work.</summary>
    private void Fill(ProfileStore store)
    {
        string csv = _directory.File("table.csv");
        File.WriteAllText(csv, "arch,phone,accuracy\n333333,2.5,93.1\n111111,0.5,80.2\n012340,1.25,88.0\n");
        store.Import.Devices(ArchitectureTable.Read(csv, Space, new ArchitectureTableOptions { Columns = ["phone"] }), Space, Dataset.Cifar10);
        store.Import.Objectives(ArchitectureTable.Read(csv, Space, new ArchitectureTableOptions { Columns = ["accuracy"] }), Space, Dataset.Cifar10);
        var device = store.Devices.EnsureMeasured(_device, DeviceFingerprint.ForHost(_device, "1.31.1"), DeviceKind.Live);
        store.Measurements.RecordBatch(device, Space, 1, [Measured("333333", 2.0), Measured("222222", 1.5),
            ModelOutcome.Failed(_device.RequestFor(Space, Space.Parse("444444")), "timed out")], new Dictionary<string, double> { ["000001"] = 0.5 });
        store.Measurements.RecordBatch(device, Space, 2, [Measured("333333", 2.2)], new Dictionary<string, double> { ["000001"] = 0.55 }); // drift 1.1
        store.Queue.Add("ort-cpu-1t", Space, 1, ["010101", "020202"]);
    }

    private static object Contents(ProfileStore store) => new
    {
        Devices = store.Devices.List().Select(d => new { d.Device.Name, d.Device.Kind, d.Device.Fingerprint, d.Device.Source, d.Device.Dataset, d.Measured, d.Failed }).ToList(),
        Measurements = store.Devices.List().SelectMany(d => store.Measurements.Read(d.Device)).ToList(), // with each batch's drift and reference spread
        Visits = store.Devices.List().SelectMany(d => store.Measurements.ReadVisits(d.Device)).ToList(),
        References = store.Measurements.References(store.Devices.Get("ort-cpu-1t"), Space).OrderBy(r => r.Key).ToList(),
        BatchReferences = store.Devices.List().SelectMany(d => store.Measurements.Read(d.Device)).Where(m => m.BatchId is not null)
            .Select(m => store.Measurements.BatchReferences(m.BatchId!).OrderBy(r => r.Key).ToList()).ToList(),
        Objectives = store.Objectives.Get("accuracy", Space).OrderBy(o => o.Key).ToList(),
        Queue = store.Queue.Unsettled("ort-cpu-1t"),
    };

    [SkippableFact]
    public void Postgres_a_copy_from_a_file_to_a_server_and_back_keeps_everything_and_a_second_run_adds_nothing()
    {
        using var file = TestStore.Create("sqlite");
        using var server = TestStore.Create("postgres");
        using var back = TestStore.Create("sqlite");
        using (var store = file.Open())
        {
            Fill(store);
        }
        using var source = file.Open();
        using var middle = server.Open();
        using var end = back.Open();

        var there = StoreCopy.Run(source, middle);
        var again = StoreCopy.Run(source, middle);
        StoreCopy.Run(middle, end);

        Assert.Equal((2, 7, 0, 6, 3, 2), (there.Devices, there.Measurements, there.AlreadyThere, there.Visits, there.Objectives, there.Queued));
        Assert.Equal((0, 7, 0, 0, 0), (again.Measurements, again.AlreadyThere, again.Visits, again.Objectives, again.Queued));
        string expected = System.Text.Json.JsonSerializer.Serialize(Contents(source));
        Assert.Contains("\"LatencyMs\":2.2", expected); // the comparison sees the numbers
        Assert.Contains("\"Waiting\":0.02", expected);
        Assert.Contains("\"Instance\":1", expected);
        Assert.Contains("\"Value\":0.55", expected); // what the second batch measured for its reference
        Assert.Contains("\"BatchId\":\"", expected);
        Assert.Equal(expected, System.Text.Json.JsonSerializer.Serialize(Contents(middle)));
        Assert.Equal(expected, System.Text.Json.JsonSerializer.Serialize(Contents(end)));
    }

    [SkippableTheory]
    [MemberData(nameof(TestStore.Backends), MemberType = typeof(TestStore))]
    public void A_device_the_target_holds_measured_otherwise_refuses_the_copy_and_a_store_is_not_copied_into_itself(string backend)
    {
        using var file = TestStore.Create("sqlite");
        using var target = TestStore.Create(backend);
        using var source = file.Open();
        Fill(source);
        using var into = target.Open();
        into.Devices.EnsureMeasured(_device, DeviceFingerprint.ForHost(_device with { Threads = 2 }, "1.31.1"), DeviceKind.Live);

        var error = Assert.Throws<ProfileStoreException>(() => StoreCopy.Run(source, into));

        Assert.Contains("already has a device 'ort-cpu-1t' measured otherwise", error.Message);
        Assert.Empty(into.Measurements.Read(into.Devices.Get("ort-cpu-1t")));
        Assert.Contains("same store", Assert.Throws<ProfileStoreException>(() => StoreCopy.Run(source, source)).Message);
    }
}
