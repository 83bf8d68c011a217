using System.Collections.Concurrent;

namespace LatencyNas.Prediction.Tests;

public sealed class FitPoolTests
{
    [Fact]
    public void Work_marked_one_at_a_time_never_overlaps_and_every_piece_runs_once()
    {
        var pool = new FitPool(CancellationToken.None, workers: 3);
        int oneAtATime = 0, mostAtOnce = 0;
        var ran = new ConcurrentBag<string>();
        for (int i = 0; i < 8; i++)
        {
            string name = $"lightgbm-{i}";
            pool.Add(() =>
            {
                int now = Interlocked.Increment(ref oneAtATime);
                InterlockedMax(ref mostAtOnce, now);
                Thread.Sleep(20);
                Interlocked.Decrement(ref oneAtATime);
                ran.Add(name);
            }, oneAtATime: true, stage: 1);
            string other = $"fasttree-{i}";
            pool.Add(() => { Thread.Sleep(20); ran.Add(other); }, oneAtATime: false, stage: 1);
        }

        pool.Run();

        Assert.Equal(1, mostAtOnce);
        Assert.Equal(16, ran.Count);
        Assert.Equal(16, ran.Distinct().Count());
    }

    [Fact]
    public void Work_added_by_work_runs_ahead_of_a_later_stage_already_queued()
    {
        var pool = new FitPool(CancellationToken.None, workers: 1);
        var order = new List<string>();
        pool.Add(() =>
        {
            order.Add("fold of a");
            pool.Add(() => order.Add("final fit of a"), oneAtATime: false, stage: 0);
        }, oneAtATime: false, stage: 1);
        pool.Add(() => order.Add("fold of b"), oneAtATime: false, stage: 1);

        pool.Run();

        Assert.Equal(["fold of a", "final fit of a", "fold of b"], order);
    }

    [Fact]
    public void A_failure_stops_the_pool_and_comes_out_as_thrown()
    {
        var pool = new FitPool(CancellationToken.None, workers: 1);
        bool later = false;
        pool.Add(() => throw new InvalidDataException("fold 2 failed"), oneAtATime: false, stage: 1);
        pool.Add(() => later = true, oneAtATime: false, stage: 1);

        var thrown = Assert.Throws<InvalidDataException>(pool.Run);

        Assert.Equal("fold 2 failed", thrown.Message);
        Assert.False(later);
    }

    [Fact]
    public void A_cancelled_pool_starts_nothing_more_and_says_so()
    {
        using var cancellation = new CancellationTokenSource();
        var pool = new FitPool(cancellation.Token, workers: 1);
        bool later = false;
        pool.Add(cancellation.Cancel, oneAtATime: false, stage: 1);
        pool.Add(() => later = true, oneAtATime: false, stage: 1);

        Assert.ThrowsAny<OperationCanceledException>(pool.Run);
        Assert.False(later);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}
