using LatencyNas.Core.Measurements;
using LatencyNas.Core.Statistics;
using LatencyNas.Profiling.Timing;

namespace LatencyNas.Profiling.Tests.Timing;

/// <summary>
/// The interleaved protocol against the burst protocol on synthetic machines in virtual time: each
/// architecture's true latency is known, contention comes in seeded bursts, and every duration,
/// pause and contention reading is deterministic.
/// </summary>
public class InterleavedEngineTests
{
    private static readonly MeasurementProtocol Protocol = MeasurementProtocol.Default;

    /// <summary>Latencies from 0.3 to 7 ms, log-uniform, like NB201 networks on one CPU thread.</summary>
    private static double[] Latencies(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => 0.3 * Math.Pow(7 / 0.3, random.NextDouble())).ToArray();
    }

    private static IReadOnlyList<VisitedLatency> Interleaved(double[] truth, double busyShare, int seed, bool blind = false, double jitter = 0.003)
    {
        var machine = new SyntheticMachine(truth, busyShare, seed, blind, jitter);
        return machine.Engine().Measure(truth.Select((_, i) => machine.Architecture(i)).ToList(), Protocol, seed);
    }

    private static double[] Burst(double[] truth, double busyShare, int seed)
    {
        var machine = new SyntheticMachine(truth, busyShare, seed);
        return truth.Select((_, i) => MeasurementEngine.Measure(machine.Architecture(i), MeasurementProtocol.Burst).LatencyMs).ToArray();
    }

    private static double ShareWithin(IReadOnlyList<double> first, IReadOnlyList<double> second, double tolerance)
        => first.Zip(second).Count(p => Math.Abs(p.Second / p.First - 1) <= tolerance) / (double)first.Count;

    [Fact]
    public void On_a_quiet_machine_the_estimate_is_the_latency_and_stops_after_the_minimum_rounds()
    {
        double[] truth = Latencies(40, seed: 1);
        var measured = Interleaved(truth, busyShare: 0, seed: 2);
        for (int i = 0; i < truth.Length; i++)
        {
            var statistics = measured[i].Statistics!;
            Assert.Equal(truth[i], statistics.LatencyMs, truth[i] * 0.01);
            Assert.True(statistics.PrecisionMet);
            Assert.Equal(Protocol.MinRounds, statistics.Visits);
            Assert.Equal(LatencyStatistics.FastestColdVisit, statistics.Estimator);
            Assert.Equal(Protocol.MinRounds * Protocol.KeptRunsPerVisit, statistics.Runs);
        }
    }

    [Theory]
    [InlineData(0.3, true)]
    [InlineData(0.4, true)]
    [InlineData(0.5, false)]
    public void Under_bursts_of_contention_two_sessions_agree_where_bursts_move_the_burst_protocol(double busyShare, bool blind)
    {
        double[] truth = Latencies(100, seed: 3);
        double[] first = Interleaved(truth, busyShare, seed: 10, blind).Select(v => v.Statistics!.LatencyMs).ToArray();
        double[] second = Interleaved(truth, busyShare, seed: 20, blind).Select(v => v.Statistics!.LatencyMs).ToArray();
        double interleaved5 = ShareWithin(first, second, 0.05);
        Assert.True(interleaved5 >= 0.95, $"interleaved: {interleaved5:P0} of architectures within ±5% between sessions");
        Assert.True(ShareWithin(truth, first, 0.05) >= 0.95, $"interleaved: {ShareWithin(truth, first, 0.05):P0} within ±5% of the truth");

        double burst5 = ShareWithin(Burst(truth, busyShare, seed: 10), Burst(truth, busyShare, seed: 20), 0.05);
        Assert.True(burst5 < 0.85, $"the burst protocol should move between sessions, but {burst5:P0} stayed within ±5%");
    }

    [Theory]
    [InlineData(0.003)] // quiet runs: the interval's floor (1%) decides
    [InlineData(0.02)]  // noisy runs: the spread of the visits decides
    public void A_second_session_falls_inside_the_first_sessions_stored_interval(double jitter)
    {
        double[] truth = Latencies(200, seed: 4);
        var first = Interleaved(truth, busyShare: 0.4, seed: 30, jitter: jitter).Select(v => v.Statistics!).ToList();
        var second = Interleaved(truth, busyShare: 0.4, seed: 40, jitter: jitter).Select(v => v.Statistics!).ToList();
        int inside = first.Zip(second).Count(p => Math.Abs(p.Second.LatencyMs - p.First.LatencyMs) <= p.First.CiHalfWidthRelative * p.First.LatencyMs);
        Assert.True(inside >= 180, $"{inside} of 200 inside the first session's interval");
        // And the claim the store makes holds: of those marked precise, at least 90% re-measure within the precision.
        var precise = first.Zip(second).Where(p => p.First.PrecisionMet).ToList();
        Assert.True(precise.Count >= 100, $"only {precise.Count} of 200 precise");
        Assert.True(precise.Count(p => Math.Abs(p.Second.LatencyMs / p.First.LatencyMs - 1) <= Protocol.TargetRelativePrecision) >= 0.9 * precise.Count);
    }

    [Theory]
    [InlineData(1)] // the default: the visit is its one run, evicted caches and all
    [InlineData(2)] // the first run warms the caches and is not kept
    public void A_visit_keeps_its_one_run_or_all_but_the_first_of_more(int runsPerVisit)
    {
        // A device whose run of an architecture is 30% slower when another architecture ran just before.
        double[] warm = [1.0, 2.0, 3.0];
        int last = -1, runs = 0;
        Func<double> Architecture(int index) => () =>
        {
            runs++;
            double ms = index == last ? warm[index] : warm[index] * 1.3;
            last = index;
            return ms;
        };
        var protocol = Protocol with { RunsPerVisit = runsPerVisit, MinRoundTime = TimeSpan.Zero, MinRounds = 5, MaxRounds = 5, MinQuietVisits = 3 };
        var machine = new SyntheticMachine(warm, busyShare: 0, seed: 9, jitter: 0);
        var measured = machine.Engine().Measure(warm.Select((_, i) => Architecture(i)).ToList(), protocol, seed: 9);

        Assert.Equal(warm.Length * (protocol.WarmupRunsPerArchitecture + 5 * runsPerVisit), runs);
        for (int i = 0; i < warm.Length; i++)
        {
            var statistics = measured[i].Statistics!;
            Assert.Equal(5 * protocol.KeptRunsPerVisit, statistics.Runs);
            var values = measured[i].Visits.Select(v => Math.Round(v.LatencyMs / warm[i], 9)).ToList();
            if (runsPerVisit == 1)
            {
                // Kept as it ran: slow after another architecture (at least every other round), warm only after itself.
                Assert.All(values, v => Assert.Contains(v, new[] { 1.0, 1.3 }));
                Assert.True(values.Count(v => v == 1.3) >= 2, string.Join(", ", values));
            }
            else
            {
                Assert.All(values, v => Assert.Equal(1.0, v));
            }
        }
    }

    [Fact]
    public void Contended_visits_are_measured_again_and_left_out_of_the_estimate()
    {
        double[] truth = Latencies(20, seed: 5);
        var measured = Interleaved(truth, busyShare: 0.6, seed: 50);
        Assert.Contains(measured, v => v.Statistics!.ContendedVisits > 0);
        Assert.All(measured.Zip(truth), p =>
        {
            var quiet = InterleavedEngine.Quiet(p.First.Visits, Protocol);
            Assert.True(quiet.Count >= Protocol.MinQuietVisits);
            // The stored visits suffice to recompute the estimate.
            Assert.Equal(quiet.Min(v => v.LatencyMs), p.First.Statistics!.LatencyMs, 12);
            Assert.Equal(p.Second, p.First.Statistics.LatencyMs, p.Second * 0.02);
        });
    }

    [Fact]
    public void Under_sustained_contention_nothing_is_given_a_number_and_the_figure_is_said()
    {
        double[] truth = Latencies(10, seed: 6);
        var measured = Interleaved(truth, busyShare: 1, seed: 60);
        Assert.All(measured, v =>
        {
            Assert.Null(v.Statistics);
            Assert.Contains("too busy to measure", v.TooBusy);
            // The figure: how long the measuring thread waited for a CPU, on average over the visits.
            Assert.Contains($"waiting for a CPU {v.Visits.Average(visit => visit.Waiting!.Value) * 100:F0}% of the time", v.TooBusy);
            Assert.All(v.Visits, visit => Assert.True(visit.Waiting > Protocol.ContendedAbove));
            Assert.Equal(Protocol.MaxRounds + Protocol.ExtraRounds, v.Visits.Count);
        });
    }

    [Fact]
    public void Short_rounds_are_stretched_so_that_visits_sample_moments_seconds_apart()
    {
        double[] truth = [1.0];
        var machine = new SyntheticMachine(truth, busyShare: 0, seed: 7, jitter: 0);
        var result = Assert.Single(machine.Engine().Measure([machine.Architecture(0)], Protocol, seed: 7));
        int visits = result.Statistics!.Visits;
        // Each round of one visit (a few 1 ms runs) is followed by a pause up to the minimum round time.
        double warmup = Protocol.WarmupRunsPerArchitecture * 1.0;
        Assert.Equal(warmup + visits * Protocol.MinRoundTime.TotalMilliseconds, machine.NowMs, 6);
    }

    [Fact]
    public void A_batch_whose_first_round_is_long_enough_never_pauses_even_when_few_architectures_are_left()
    {
        double[] truth = Latencies(80, seed: 8); // a first round of 80 one-run visits, well above the minimum round time
        var machine = new SyntheticMachine(truth, busyShare: 0.3, seed: 80);
        var paused = TimeSpan.Zero;
        var engine = new InterleavedEngine(machine, pause =>
        {
            paused += pause;
            machine.Pause(pause);
        });
        var measured = engine.Measure(truth.Select((_, i) => machine.Architecture(i)).ToList(), Protocol, seed: 80);
        // The architectures visited in the last round (those with the most visits) took less than the minimum
        // round time together, even slowed by a burst (at most 2×): a round the old rule would have stretched.
        int mostVisits = measured.Max(v => v.Visits.Count);
        double lastRoundAtMostMs = truth.Where((_, i) => measured[i].Visits.Count == mostVisits).Sum(ms => 2 * ms * Protocol.RunsPerVisit);
        Assert.True(lastRoundAtMostMs < Protocol.MinRoundTime.TotalMilliseconds, $"the last round could take {lastRoundAtMostMs:F1} ms");
        Assert.Equal(TimeSpan.Zero, paused);
    }

    /// <summary>Architecture i's instances j on one machine: baseMs[i] × placement[i][j].</summary>
    private static IReadOnlyList<VisitedLatency> InInstances(double[] truth, double[][] placement, MeasurementProtocol protocol, int seed, out SyntheticMachine machine)
    {
        int k = placement[0].Length;
        machine = new SyntheticMachine(truth.SelectMany((t, i) => placement[i].Select(p => t * p)).ToArray(), busyShare: 0, seed, jitter: 0.003);
        var on = machine;
        return on.Engine().Measure(truth.Select((_, i) => (IReadOnlyList<Func<double>>)Enumerable.Range(0, k).Select(j => on.Architecture(i * k + j)).ToList()).ToList(),
            protocol, seed);
    }

    [Fact]
    public void Several_instances_are_visited_in_turn_and_the_estimate_is_the_median_of_their_fastest_visits()
    {
        double[] truth = [0.5, 1.5, 4.0];
        double[][] placement = [[1.00, 1.08, 0.95], [1.10, 0.90, 1.00], [0.97, 1.00, 1.20]];
        var protocol = Protocol with { MinRoundTime = TimeSpan.Zero, TargetRelativePrecision = null, MinRounds = 12, MaxRounds = 12 };
        var measured = InInstances(truth, placement, protocol, seed: 5, out var machine);

        Assert.Equal(truth.Length * (protocol.WarmupRunsPerArchitecture + 12), machine.Runs);
        for (int i = 0; i < truth.Length; i++)
        {
            var statistics = measured[i].Statistics!;
            Assert.Equal("median-of-3-instances-fastest-cold-visit", statistics.Estimator);
            Assert.All(measured[i].Visits, v => Assert.Equal((v.Round - 1) % 3, v.Instance));
            Assert.Equal(truth[i] * placement[i].Order().ElementAt(1), statistics.LatencyMs, truth[i] * 0.01);
            Assert.Equal(LatencyStatistics.FastestOfInstances(measured[i].Visits), statistics.LatencyMs); // recomputable from the stored visits
        }
    }

    [Fact]
    public void Where_each_session_lands_moves_its_latency_and_the_median_of_three_sessions_reproduces_where_one_does_not()
    {
        // Every session created lands somewhere in memory that makes it 0–10% slower than the best placement, drawn anew each time.
        double[] truth = Latencies(200, seed: 31);
        double[][] Placements(int k, int seed)
        {
            var random = new Random(seed);
            return truth.Select(_ => Enumerable.Range(0, k).Select(_ => 1 + 0.10 * random.NextDouble()).ToArray()).ToArray();
        }
        double[] Session(int k, int seed) => InInstances(truth, Placements(k, seed), Protocol with { InstancesPerArchitecture = k }, seed, out _)
            .Select(v => v.Statistics!.LatencyMs).ToArray();

        double one = ShareWithin(Session(1, 40), Session(1, 41), 0.05);
        double three = ShareWithin(Session(3, 40), Session(3, 41), 0.05);
        Assert.True(one < 0.82, $"one session per architecture: {one:P0} within ±5% between two profiles");
        Assert.True(three >= 0.85, $"three sessions per architecture: {three:P0} within ±5% between two profiles (one session: {one:P0})");
    }
}
