using LatencyNas.Core.Measurements;
using LatencyNas.Core.Statistics;

namespace LatencyNas.Profiling.Timing;

/// <summary>
/// Runs a <see cref="MeasurementProtocol"/> against anything that can time one run. Runners give
/// it a delegate that times exactly one inference (a monotonic clock around the run call only);
/// tests give it a synthetic timer. Time caps use the sum of the run times, so a synthetic timer
/// makes the whole protocol deterministic.
/// </summary>
public static class MeasurementEngine
{
    /// <param name="timeOneRunMs">Performs one run and returns its duration in milliseconds.</param>
    /// <param name="cancellation">Checked between runs; a per-architecture timeout cancels it.</param>
    public static LatencyStatistics Measure(Func<double> timeOneRunMs, MeasurementProtocol protocol, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(timeOneRunMs);
        protocol = protocol.Validated();

        var (warmupRuns, settled) = WarmUp(timeOneRunMs, protocol, cancellation);

        var samples = new List<double>(Math.Min(protocol.MaxRuns, 4_096));
        double elapsedMs = 0;
        double maxMs = protocol.MaxTime.TotalMilliseconds;
        var sorted = new List<double>();
        // The time cap never cuts the minimum: fewer runs would not make a statistic.
        while (samples.Count < protocol.MaxRuns && (samples.Count < protocol.MinRuns || elapsedMs < maxMs))
        {
            cancellation.ThrowIfCancellationRequested();
            double sample = timeOneRunMs();
            samples.Add(sample);
            elapsedMs += sample;
            if (protocol.TargetRelativePrecision is { } target && samples.Count >= protocol.MinRuns && IsCheckpoint(samples.Count))
            {
                InsertSorted(sorted, samples, from: sorted.Count);
                double median = Descriptive.QuantileOfSorted(sorted, 0.5);
                if (median > 0 && LatencyStatistics.MedianConfidenceHalfWidth(sorted) / median <= target)
                {
                    break;
                }
            }
        }
        return LatencyStatistics.FromSamples(samples, protocol.TargetRelativePrecision, warmupRuns, settled);
    }

    private static (int Runs, bool Settled) WarmUp(Func<double> timeOneRunMs, MeasurementProtocol protocol, CancellationToken cancellation)
    {
        var times = new List<double>();
        double elapsedMs = 0;
        double minMs = protocol.WarmupMinTime.TotalMilliseconds, maxMs = protocol.WarmupMaxTime.TotalMilliseconds;
        int window = protocol.WarmupWindow;
        while (times.Count < protocol.WarmupMaxRuns && (elapsedMs < maxMs || times.Count < protocol.WarmupMinRuns))
        {
            cancellation.ThrowIfCancellationRequested();
            double sample = timeOneRunMs();
            times.Add(sample);
            elapsedMs += sample;
            if (times.Count >= protocol.WarmupMinRuns && elapsedMs >= minMs && times.Count >= 2 * window)
            {
                double previous = Descriptive.Median(times.Skip(times.Count - 2 * window).Take(window));
                double last = Descriptive.Median(times.Skip(times.Count - window));
                if (previous > 0 && Math.Abs(last - previous) / previous <= protocol.WarmupSettleTolerance)
                {
                    return (times.Count, true);
                }
            }
        }
        return (times.Count, false);
    }

    // Checking after every run would re-sort constantly; every 5th run until 100, then every 5% more.
    private static bool IsCheckpoint(int count) => count < 100 ? count % 5 == 0 : count % Math.Max(5, count / 20) == 0;

    private static void InsertSorted(List<double> sorted, List<double> samples, int from)
    {
        for (int i = from; i < samples.Count; i++)
        {
            int index = sorted.BinarySearch(samples[i]);
            sorted.Insert(index < 0 ? ~index : index, samples[i]);
        }
    }
}
