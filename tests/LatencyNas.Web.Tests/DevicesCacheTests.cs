using LatencyNas.Core.Measurements;
using LatencyNas.Core.Spaces.Nb201;
using LatencyNas.Profiling.Devices;
using LatencyNas.Profiling.Store;
using LatencyNas.Tests;
using LatencyNas.Workflows;

namespace LatencyNas.Web.Tests;

public sealed class DevicesCacheTests
{
    private static readonly Nb201Space Space = Nb201Space.Instance;

    private static Measurement Measured(double median) => new(
        LatencyStatistics.FromSamples([median * 0.99, median, median * 1.01], target: 0.02, warmupRuns: 4, warmupSettled: true), SessionCreationMs: 10);

    [SkippableTheory]
    [MemberData(nameof(TestStore.Backends), MemberType = typeof(TestStore))]
    public void The_counts_follow_every_commit_of_another_writer_and_are_kept_between_them(string backend)
    {
        using var at = TestStore.Create(backend);
        var descriptor = DeviceDescriptorReader.Resolve("ort-cpu-1t");
        using var writer = at.Open(); // a profile in another process writes the same way: on its own connection
        var device = writer.Devices.EnsureMeasured(descriptor, DeviceFingerprint.ForHost(descriptor, "1.31.1"), DeviceKind.Live);
        var first = descriptor.RequestFor(Space, Space.Parse("111111"));
        writer.Measurements.RecordFailure(device, Space, first, session: 1, "timed out");
        using var cache = new DevicesCache(new StoreLocation(at.Location));
        (int, int) Counts() => cache.List().Devices.Select(d => (d.Measured, d.Failed)).Single();

        var listed = cache.List();
        Assert.Equal((0, 1), Counts());
        if (backend == "sqlite")
        {
            Assert.Same(listed, cache.List()); // nothing committed since: not read again
        }
        else
        {
            Assert.NotSame(listed, cache.List()); // PostgreSQL cannot tell: read again every time
        }

        Assert.True(writer.Measurements.Record(device, Space, first, session: 1, Measured(2.0))); // the failure replaced: the total stays
        Assert.Equal((1, 0), Counts());
        Assert.True(writer.Measurements.Record(device, Space, descriptor.RequestFor(Space, Space.Parse("222222")), session: 1, Measured(3.0)));
        Assert.Equal((2, 0), Counts());
    }
}
