using LatencyNas.Core.Measurements;
using LatencyNas.Core.Statistics;

namespace LatencyNas.Profiling.Timing;

/// <summary>One architecture's part of an interleaved measurement: its statistics and visits, or why it could not be measured.</summary>
/// <param name="Statistics">Null when the machine stayed too busy (see <paramref name="TooBusy"/>).</param>
/// <param name="TooBusy">Says how busy the machine was when too few quiet visits could be made; null otherwise.</param>
public sealed record VisitedLatency(LatencyStatistics? Statistics, IReadOnlyList<Visit> Visits, string? TooBusy);

/// <summary>
/// Runs <see cref="MeasurementMode.Interleaved"/> over a batch (docs/measurement.md): a few untimed
/// runs of each architecture, then rounds in a shuffled order, each giving every architecture still
/// measured one visit of <see cref="MeasurementProtocol.RunsPerVisit"/> runs (of more than one, the first not kept;
/// the visit is its fastest kept run). An architecture given several instances (separately created sessions) visits them in
/// turn, instance (r − 1) mod n in round r (from 1), and its estimate is the median of the instances' fastest quiet visits. A visit during which the measuring thread waited for a CPU more than
/// <see cref="MeasurementProtocol.ContendedAbove"/> of its ready time is contended; the others are quiet.
/// The estimate is the fastest quiet visit (of several instances, the median of theirs). Once it has
/// <see cref="MeasurementProtocol.MinRounds"/> quiet visits, an architecture stops when the retest interval
/// of its quiet visits (<see cref="LatencyStatistics.RetestHalfWidth"/>) is within the precision,
/// or at <see cref="MeasurementProtocol.MaxRounds"/>. Short of that many quiet visits, it goes on for up to
/// <see cref="MeasurementProtocol.ExtraRounds"/> more rounds that re-measure what contention spoiled; with fewer than
/// <see cref="MeasurementProtocol.MinQuietVisits"/> even then, it is reported as too busy to measure rather than
/// given a number that would not reproduce (between the two, it gets an estimate that claims no precision). Time is only what the runs and pauses take, so a
/// synthetic timer, meter and pause make the whole protocol deterministic.
/// </summary>
public sealed class InterleavedEngine(IContentionMeter meter, Action<TimeSpan> pause)
{
    /// <summary>How the reason of an architecture that could not be measured for contention begins.</summary>
    public const string TooBusy = "the machine stayed too busy to measure";

    /// <summary>The engine for this machine: /proc/stat contention, real pauses.</summary>
    public static InterleavedEngine ForThisMachine() => new(ProcContentionMeter.ForThisMachine(), Thread.Sleep);

    /// <param name="timeOneRunMs">Per architecture: performs one run and returns its duration in milliseconds.</param>
    /// <param name="seed">Seeds the order of the rounds.</param>
    public IReadOnlyList<VisitedLatency> Measure(IReadOnlyList<Func<double>> timeOneRunMs, MeasurementProtocol protocol, int seed, CancellationToken cancellation = default)
        => Measure(timeOneRunMs.Select(run => (IReadOnlyList<Func<double>>)[run]).ToList(), protocol, seed, cancellation);

    /// <param name="instances">Per architecture, per instance: performs one run and returns its duration in milliseconds.</param>
    /// <param name="seed">Seeds the order of the rounds.</param>
    /// <param name="beforeRound">Called with each round's number (from 1) before its first visit: where the rounds place the measuring thread.</param>
    public IReadOnlyList<VisitedLatency> Measure(IReadOnlyList<IReadOnlyList<Func<double>>> instances, MeasurementProtocol protocol, int seed, CancellationToken cancellation = default,
        Action<int>? beforeRound = null)
    {
        protocol = protocol.Validated();
        if (instances.Any(i => i.Count == 0))
        {
            throw new ArgumentException("Every architecture needs at least one instance.", nameof(instances));
        }
        int n = instances.Count;
        var random = new Random(seed);
        var visits = Enumerable.Range(0, n).Select(_ => new List<Visit>()).ToArray();
        var runs = Enumerable.Range(0, n).Select(_ => new List<double>()).ToArray();
        var active = Enumerable.Range(0, n).ToList();

        foreach (int i in Shuffled(active, random))
        {
            for (int w = 0; w < protocol.WarmupRunsPerArchitecture; w++)
            {
                cancellation.ThrowIfCancellationRequested();
                instances[i][w % instances[i].Count]();
            }
        }

        var roundVisits = new List<(int Index, int Instance, double LatencyMs, int Runs, double? Waiting)>(n);
        var kept = new double[protocol.KeptRunsPerVisit];
        bool discardFirst = protocol.RunsPerVisit > 1;
        // Only a batch whose first round is short is stretched: the last few architectures of a full batch already
        // have visits spread over seconds, and padding their rounds took 2–19% of the timed runs' time in retests.
        bool stretch = false;
        for (int round = 1; active.Count > 0 && round <= protocol.MaxRounds + protocol.ExtraRounds; round++)
        {
            roundVisits.Clear();
            double roundMs = 0;
            beforeRound?.Invoke(round);
            meter.Start();
            var mark = meter.ReadThread();
            foreach (int i in Shuffled(active, random))
            {
                cancellation.ThrowIfCancellationRequested();
                int instance = (round - 1) % instances[i].Count;
                var timeOneRunMs = instances[i][instance];
                if (discardFirst)
                {
                    roundMs += timeOneRunMs(); // not kept: the caches hold the other architectures
                }
                for (int r = 0; r < kept.Length; r++)
                {
                    kept[r] = timeOneRunMs();
                    roundMs += kept[r];
                }
                var now = meter.ReadThread();
                runs[i].AddRange(kept);
                roundVisits.Add((i, instance, kept.Min(), kept.Length, now is { } end && mark is { } begin ? end.WaitingSince(begin) : null));
                mark = now;
            }
            if (round == 1)
            {
                stretch = roundMs < protocol.MinRoundTime.TotalMilliseconds;
            }
            if (stretch && roundMs < protocol.MinRoundTime.TotalMilliseconds && active.Count > 0)
            {
                pause(TimeSpan.FromMilliseconds(protocol.MinRoundTime.TotalMilliseconds - roundMs));
            }
            var window = meter.Stop();
            foreach (var (index, instance, latency, count, waiting) in roundVisits)
            {
                visits[index].Add(new Visit(round, latency, count, window.OtherBusy, window.Steal, waiting, instance));
            }
            active.RemoveAll(i => Done(visits[i], round, protocol));
        }

        return Enumerable.Range(0, n).Select(i => Summarise(visits[i], runs[i], protocol with { InstancesPerArchitecture = instances[i].Count })).ToList();
    }

    /// <summary>Visits during which the measuring thread waited for a CPU at most <see cref="MeasurementProtocol.ContendedAbove"/> of its ready time (or while that is unknown).</summary>
    public static IReadOnlyList<Visit> Quiet(IReadOnlyList<Visit> visits, MeasurementProtocol protocol)
        => visits.Where(v => !(v.Waiting > protocol.ContendedAbove)).ToList();

    private static bool Done(IReadOnlyList<Visit> visits, int round, MeasurementProtocol protocol)
    {
        var quiet = Quiet(visits, protocol);
        if (quiet.Count < protocol.MinRounds)
        {
            return false; // keep visiting, into the extra rounds, until enough quiet visits could claim a precision
        }
        if (round >= protocol.MaxRounds || protocol.TargetRelativePrecision is not { } target)
        {
            return round >= protocol.MaxRounds;
        }
        double fastest = LatencyStatistics.FastestOfInstances(quiet);
        return fastest > 0 && LatencyStatistics.RetestHalfWidth(quiet) / fastest <= target;
    }

    private static VisitedLatency Summarise(List<Visit> visits, List<double> runs, MeasurementProtocol protocol)
    {
        var quiet = Quiet(visits, protocol);
        int contended = visits.Count - quiet.Count;
        if (quiet.Count < protocol.MinQuietVisits)
        {
            var waiting = visits.Where(v => v.Waiting is not null).Select(v => v.Waiting!.Value).ToList();
            return new VisitedLatency(null, visits,
                $"{TooBusy}: other work kept the measurement waiting for a CPU {(waiting.Count > 0 ? waiting.Average() * 100 : double.NaN):F0}% of the time on average, " +
                $"{contended} of {visits.Count} visits were contended (above {protocol.ContendedAbove * 100:F0}%), and {protocol.MinQuietVisits} quiet ones are needed");
        }
        var statistics = LatencyStatistics.FromVisits(visits, quiet, runs, protocol.TargetRelativePrecision, protocol.WarmupRunsPerArchitecture, contended,
            minimumForPrecision: protocol.MinRounds, protocol.Estimator);
        return new VisitedLatency(statistics, visits, null);
    }

    private static int[] Shuffled(List<int> indices, Random random)
    {
        int[] order = [.. indices];
        random.Shuffle(order);
        return order;
    }
}
