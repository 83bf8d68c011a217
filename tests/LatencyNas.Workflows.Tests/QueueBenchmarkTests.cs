using LatencyNas.Tests;

namespace LatencyNas.Workflows.Tests;

/// <summary>bench queue drives the store as workers do: every architecture claimed by one worker, each batch once, on both backends.</summary>
public sealed class QueueBenchmarkTests
{
    [SkippableTheory]
    [MemberData(nameof(TestStore.Backends), MemberType = typeof(TestStore))]
    public void Workers_share_the_queue_without_claiming_anything_twice_and_every_batch_is_committed(string backend)
    {
        using var at = TestStore.Create(backend);

        var result = new QueueBenchmark().Run(new BenchQueueRequest(new StoreLocation(at.Location), [1, 4], Architectures: 60, BatchSize: 5, SleepMs: 1));

        Assert.Equal([1, 4], result.Rows.Select(r => r.Workers));
        // One worker takes the 60 in 12 full batches. Workers racing may take a short batch: on PostgreSQL a claim can read rows
        // another worker claimed a moment before (its snapshot predates that commit) and keeps only the rest — never a row twice.
        Assert.Equal(12, result.Rows[0].Claims);
        Assert.InRange(result.Rows[1].Claims, 12, 60);
        Assert.All(result.Rows, row =>
        {
            Assert.Equal(0, row.ClaimedTwice);
            Assert.InRange(row.ClaimP50Ms, 0.001, row.ClaimP99Ms);
        });
        using var store = at.Open();
        var loadDevices = store.Devices.List().Where(d => d.Device.Name.StartsWith("load-generator-", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, loadDevices.Count);
        Assert.All(loadDevices, d => Assert.Equal(60, d.Measured));
        Assert.Equal(0L, Convert.ToInt64(at.Scalar("SELECT count(*) FROM claims")));
    }
}
