using LatencyNas.Core.Measurements;
using LatencyNas.Core;
using LatencyNas.Profiling.Timing;

namespace LatencyNas.Profiling.Tests.Timing;

/// <summary>The protocol on synthetic timers: every duration is known, so every statistic can be checked.</summary>
public class MeasurementEngineTests
{
    /// <summary>A timer that replays a function of the run index.</summary>
    private sealed class SyntheticTimer(Func<int, double> durationOfRun)
    {
        public int Calls { get; private set; }

        public double Next() => durationOfRun(Calls++);
    }

    [Fact]
    public void Warm_up_lasts_until_times_settle()
    {
        // 20 ms first, decaying geometrically to 1 ms: settled (windows within 5%) only after the decay.
        var timer = new SyntheticTimer(i => 1 + 19 * Math.Pow(0.7, i));
        var statistics = MeasurementEngine.Measure(timer.Next, MeasurementProtocol.Burst);
        Assert.True(statistics.WarmupSettled);
        Assert.InRange(statistics.WarmupRuns, 10, 30);
        Assert.Equal(1.0, statistics.MedianMs, 2);
    }

    [Fact]
    public void A_quiet_timer_meets_the_precision_target_after_the_minimum_runs()
    {
        var timer = new SyntheticTimer(i => 2.0 + 0.001 * (i % 3));
        var statistics = MeasurementEngine.Measure(timer.Next, MeasurementProtocol.Burst);
        Assert.True(statistics.PrecisionMet);
        Assert.Equal(MeasurementProtocol.Burst.MinRuns, statistics.Runs);
        Assert.InRange(statistics.CiHalfWidthRelative, 0, 0.02);
    }

    [Fact]
    public void A_noisy_timer_runs_until_the_interval_is_narrow_enough()
    {
        var random = new Random(4);
        var timer = new SyntheticTimer(_ => 1.0 + 0.3 * random.NextDouble());
        var statistics = MeasurementEngine.Measure(timer.Next, MeasurementProtocol.Burst);
        Assert.True(statistics.PrecisionMet);
        Assert.True(statistics.Runs > 50, $"runs {statistics.Runs}"); // ±15% noise needs many runs for a ±2% median
        Assert.InRange(statistics.MedianMs, 1.1, 1.2);
    }

    [Fact]
    public void Run_cap_stops_a_timer_that_never_settles_and_says_the_target_was_missed()
    {
        var timer = new SyntheticTimer(i => i % 2 == 0 ? 1.0 : 3.0);
        var protocol = MeasurementProtocol.Burst with { MaxRuns = 40 };
        var statistics = MeasurementEngine.Measure(timer.Next, protocol);
        Assert.Equal(40, statistics.Runs);
        Assert.False(statistics.PrecisionMet);
    }

    [Fact]
    public void Time_cap_stops_slow_runs()
    {
        var timer = new SyntheticTimer(i => i % 2 == 0 ? 100.0 : 300.0);
        var protocol = MeasurementProtocol.Burst with { MaxTime = TimeSpan.FromSeconds(2), WarmupMaxTime = TimeSpan.FromMilliseconds(500), MinRuns = 5 };
        var statistics = MeasurementEngine.Measure(timer.Next, protocol);
        Assert.Equal(10, statistics.Runs); // 5 × (100 + 300) ms = 2 s
        Assert.Equal(3, statistics.WarmupRuns); // the minimum: 100 + 300 + 100 ms reach the 500 ms cap
    }

    [Fact]
    public void The_minimum_runs_are_kept_even_past_the_time_cap()
    {
        var timer = new SyntheticTimer(_ => 1_000.0);
        var protocol = MeasurementProtocol.Burst with { MaxTime = TimeSpan.FromSeconds(2), MinRuns = 6, WarmupMaxTime = TimeSpan.FromSeconds(1) };
        Assert.Equal(6, MeasurementEngine.Measure(timer.Next, protocol).Runs);
    }

    [Fact]
    public void Fixed_recipe_warms_up_three_seconds_then_runs_exactly_fifty_times()
    {
        var timer = new SyntheticTimer(_ => 10.0);
        var statistics = MeasurementEngine.Measure(timer.Next, MeasurementProtocol.Fixed3sWarmup50Runs);
        Assert.Equal(300, statistics.WarmupRuns);
        Assert.Equal(50, statistics.Runs);
        Assert.False(statistics.PrecisionMet); // no target was asked for
    }

    [Fact]
    public void Statistics_of_a_known_sample()
    {
        double[] samples = [5, 1, 4, 2, 3, 10, 6, 7, 9, 8];
        var s = LatencyStatistics.FromSamples(samples, target: 0.5, warmupRuns: 2, warmupSettled: true);
        Assert.Equal(5.5, s.MedianMs, 12);
        Assert.Equal(5.5, s.MeanMs, 12);
        Assert.Equal(1, s.MinMs);
        Assert.Equal(1.9, s.P10Ms, 12);      // linear interpolation: rank 0.9 between 1 and 2
        Assert.Equal(9.1, s.P90Ms, 12);
        Assert.Equal(4.5, s.IqrMs, 12);      // 7.75 − 3.25
        Assert.Equal(Math.Sqrt(82.5 / 9) / 5.5, s.CoefficientOfVariation, 12);
        Assert.Equal(10, s.Runs);
        // n = 10: ranks 2 and 9 bound the 95% interval: (9 − 2) / 2 / 5.5.
        Assert.Equal(3.5 / 5.5, s.CiHalfWidthRelative, 12);
        Assert.False(s.PrecisionMet);
    }

    [Fact]
    public void Confidence_interval_of_the_median_uses_the_textbook_ranks_for_100_runs()
    {
        double[] sorted = Enumerable.Range(1, 100).Select(i => (double)i).ToArray();
        Assert.Equal((61 - 40) / 2.0, LatencyStatistics.MedianConfidenceHalfWidth(sorted));
    }

    [Fact]
    public void Cancellation_stops_between_runs()
    {
        using var cancellation = new CancellationTokenSource();
        var timer = new SyntheticTimer(i =>
        {
            if (i == 7) cancellation.Cancel();
            return 1.0 + i % 5;
        });
        Assert.Throws<OperationCanceledException>(() => MeasurementEngine.Measure(timer.Next, MeasurementProtocol.Burst, cancellation.Token));
        Assert.Equal(8, timer.Calls);
    }

    [Fact]
    public void Invalid_protocol_names_every_problem()
    {
        var protocol = new MeasurementProtocol { MinRuns = 0, MaxRuns = -1, TargetRelativePrecision = 1.5, WarmupWindow = 0 };
        var error = Assert.Throws<InvalidInputException>(() => MeasurementEngine.Measure(() => 1, protocol));
        foreach (string field in new[] { "min_runs", "max_runs", "target_precision", "warmup_window" })
        {
            Assert.Contains(field, error.Message);
        }
    }
}
