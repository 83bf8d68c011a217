using LatencyNas.Core.Spaces.Nb201;
using LatencyNas.Profiling.Devices;
using LatencyNas.Profiling.Runners;
using LatencyNas.Profiling.Store;
using LatencyNas.Tests;

namespace LatencyNas.Profiling.Tests.Store;

/// <summary>The queue of work for workers, and the claims that fence what a worker may write, on both backends.</summary>
public sealed class QueueRecordsTests
{
    private static readonly Nb201Space Space = Nb201Space.Instance;
    private readonly DeviceDescriptor _device = DeviceDescriptorReader.Resolve("ort-cpu-1t");

    private ModelOutcome Measured(string digits, double ms) => ModelOutcome.Measured(_device.RequestFor(Space, Space.Parse(digits)), ProfileStoreTests.FakeMeasurement(ms));

    [SkippableTheory]
    [MemberData(nameof(TestStore.Backends), MemberType = typeof(TestStore))]
    public void Queued_work_is_left_until_measured_or_failed_and_cancelling_keeps_what_was_done(string backend)
    {
        using var at = TestStore.Create(backend);
        using var store = at.Open();
        Assert.Equal(4, store.Queue.Add("ort-cpu-1t", Space, 1, ["000001", "000002", "000003", "000004"]));
        Assert.Equal(1, store.Queue.Add("ort-cpu-1t", Space, 1, ["000004", "000005"])); // already queued ones stay
        Assert.Equal(5, store.Queue.Unsettled("ort-cpu-1t").Count); // the device is not even registered yet

        var device = store.Devices.EnsureMeasured(_device, DeviceFingerprint.ForHost(_device, "1.31.1"), DeviceKind.Live);
        store.Measurements.RecordBatch(device, Space, 1, [Measured("000001", 1.0), Measured("000002", 2.0)]);
        store.Measurements.RecordFailure(device, Space, _device.RequestFor(Space, Space.Parse("000003")), 1, "broken");

        Assert.Equal(["000004", "000005"], store.Queue.Unsettled("ort-cpu-1t").Select(q => q.Digits));
        var counts = Assert.Single(store.Queue.Counts());
        Assert.Equal(("ort-cpu-1t", "nb201", 5, 2, 1, 2, 3), (counts.Device, counts.Space, counts.Queued, counts.Done, counts.Failed, counts.Left, counts.Recent));

        Assert.Equal(2, store.Queue.Cancel("ort-cpu-1t"));
        Assert.Empty(store.Queue.Unsettled("ort-cpu-1t"));
        Assert.Equal(3, Assert.Single(store.Queue.Counts()).Queued); // the history stays
    }

    [SkippableTheory]
    [MemberData(nameof(TestStore.Backends), MemberType = typeof(TestStore))]
    public void A_worker_whose_lease_lapsed_and_was_taken_over_discards_its_result(string backend)
    {
        using var at = TestStore.Create(backend);
        using var store = at.Open();
        var device = store.Devices.EnsureMeasured(_device, DeviceFingerprint.ForHost(_device, "1.31.1"), DeviceKind.Live);
        // Owners of other machines: only their leases decide. The first worker's lease has lapsed (a long pause).
        const string paused = "lab-a:1:paused", successor = "lab-b:1:successor";
        Assert.Equal(["000001", "000002"], store.Claims.Claim(device, Space, 1, paused, ["000001", "000002"], TimeSpan.FromSeconds(-1), includeFailed: true));
        Assert.Equal(["000002"], store.Claims.Claim(device, Space, 1, successor, ["000002"], TimeSpan.FromMinutes(2), includeFailed: true));
        Assert.Equal(successor, store.Claims.Held(device, Space, 1)["000002"].Owner);

        var late = store.Measurements.RecordBatch(device, Space, 1, [Measured("000001", 1.0), Measured("000002", 9.0)], owner: paused);

        Assert.Equal(["000002"], late.Discarded.Select(o => o.Request.Architecture.Digits));
        Assert.Equal(["000001"], store.Measurements.Read(device).Select(m => m.Digits)); // no longer its own: not written
        var own = store.Measurements.RecordBatch(device, Space, 1, [Measured("000002", 2.0)], owner: successor);
        Assert.Empty(own.Discarded);
        Assert.Equal(2.0, store.Measurements.Latencies(device, Space)["000002"], 12);
    }

    [SkippableTheory]
    [MemberData(nameof(TestStore.Backends), MemberType = typeof(TestStore))]
    public void Workers_asking_at_the_same_moment_claim_different_architectures_from_the_queue(string backend)
    {
        using var at = TestStore.Create(backend);
        var digits = Space.SampleDistinct(40, seed: 2).Select(a => a.Digits).ToList();
        StoredDevice device;
        using (var store = at.Open())
        {
            device = store.Devices.EnsureMeasured(_device, DeviceFingerprint.ForHost(_device, "1.31.1"), DeviceKind.Live);
            store.Queue.Add("ort-cpu-1t", Space, 1, digits);
        }
        const int workers = 8;
        using var start = new Barrier(workers);
        var claimed = new IReadOnlyList<string>[workers];
        var threads = Enumerable.Range(0, workers).Select(w => new Thread(() =>
        {
            using var store = at.Open();
            start.SignalAndWait();
            claimed[w] = store.Queue.ClaimNext("ort-cpu-1t", 5, $"lab-{w}:1:worker", TimeSpan.FromMinutes(2)).Claimed;
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        var all = claimed.SelectMany(c => c).ToList();
        Assert.Equal(all.Count, all.Distinct().Count()); // nobody's architecture is anybody else's
        Assert.All(claimed, c => Assert.InRange(c.Count, 0, 5));
        Assert.InRange(all.Count, 5, 40); // a worker whose read began before another committed may find some of its rows taken: fewer, never twice
        using var check = at.Open();
        var rest = check.Queue.ClaimNext("ort-cpu-1t", 100, "lab-late:1:worker", TimeSpan.FromMinutes(2));
        Assert.Equal(40, all.Count + rest.Claimed.Count); // what the eight left is still there for a ninth
        Assert.Empty(all.Intersect(rest.Claimed));
    }
}
