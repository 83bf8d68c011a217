using System.Diagnostics;
using LatencyNas.Profiling.Timing;

namespace LatencyNas.Profiling.Tests.Timing;

public class ProcContentionMeterTests
{
    [SkippableFact]
    public void The_measuring_threads_clocks_count_the_time_it_ran()
    {
        Skip.IfNot(File.Exists("/proc/thread-self/schedstat"), "needs Linux /proc");
        var meter = ProcContentionMeter.ForThisMachine();
        // Time the hypervisor steals from this virtual CPU is in neither clock (a CI run saw 53.9 of 60 ms counted, another
        // 31.8 ms on a day the host ran at half speed), so the bound asks that most of the spinning is counted in one of
        // three tries: steal comes in bursts, and a meter that reads the wrong fields fails all three.
        var tries = new List<(ThreadSchedule Before, ThreadSchedule After)>();
        for (int attempt = 0; attempt < 3 && !tries.Any(t => Counted(t) >= 40_000_000); attempt++)
        {
            var before = meter.ReadThread()!.Value;
            var clock = Stopwatch.StartNew();
            double sink = 0;
            while (clock.ElapsedMilliseconds < 60)
            {
                sink += Math.Sqrt(clock.ElapsedTicks);
            }
            tries.Add((before, meter.ReadThread()!.Value));
            Assert.True(sink > 0);
        }
        var best = tries.MaxBy(Counted);
        Assert.True(Counted(best) >= 40_000_000,
            string.Join("; ", tries.Select(t => $"ran {t.After.RunNs - t.Before.RunNs} ns and waited {t.After.WaitNs - t.Before.WaitNs} ns in 60 ms of spinning")));
        Assert.InRange(best.After.WaitingSince(best.Before)!.Value, 0, 1);
        Assert.Null(best.After.WaitingSince(best.After)); // never ready in between
    }

    private static long Counted((ThreadSchedule Before, ThreadSchedule After) t)
        => t.After.RunNs - t.Before.RunNs + (t.After.WaitNs - t.Before.WaitNs);

    [Fact]
    public void Waiting_is_the_share_of_ready_time_spent_waiting()
    {
        var earlier = new ThreadSchedule(1_000, 500);
        Assert.Equal(0.25, new ThreadSchedule(4_000, 1_500).WaitingSince(earlier)!.Value, 12);
        Assert.Equal(0, new ThreadSchedule(2_000, 500).WaitingSince(earlier)!.Value, 12);
    }
}
