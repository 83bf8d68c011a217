using LatencyNas.Core.Statistics;

namespace LatencyNas.Core.Measurements;

/// <summary>What one architecture's timed runs came to (milliseconds).</summary>
public sealed record LatencyStatistics(
    double MedianMs,
    double MeanMs,
    double MinMs,
    double P10Ms,
    double P90Ms,
    double IqrMs,
    double CoefficientOfVariation,
    int Runs,
    double MedianCiHalfWidthRelative,
    bool PrecisionMet,
    int WarmupRuns,
    bool WarmupSettled)
{
    /// <summary>Summarises timed runs. <paramref name="target"/> null means no precision was asked for (met = false).</summary>
    public static LatencyStatistics FromSamples(IReadOnlyList<double> samples, double? target, int warmupRuns, bool warmupSettled)
    {
        if (samples.Count == 0)
        {
            throw new ArgumentException("No timed runs to summarise.", nameof(samples));
        }
        double[] sorted = samples.Order().ToArray();
        double median = Descriptive.QuantileOfSorted(sorted, 0.5);
        double mean = samples.Average();
        double halfWidth = MedianConfidenceHalfWidth(sorted) / median;
        return new LatencyStatistics(
            median,
            mean,
            sorted[0],
            Descriptive.QuantileOfSorted(sorted, 0.10),
            Descriptive.QuantileOfSorted(sorted, 0.90),
            Descriptive.QuantileOfSorted(sorted, 0.75) - Descriptive.QuantileOfSorted(sorted, 0.25),
            mean > 0 ? Descriptive.StandardDeviation(samples) / mean : 0,
            samples.Count,
            halfWidth,
            target is { } t && halfWidth <= t,
            warmupRuns,
            warmupSettled);
    }

    /// <summary>
    /// Half the width of the distribution-free 95% confidence interval of the median: the order
    /// statistics at ranks n/2 − 1.96·√n/2 and 1 + n/2 + 1.96·√n/2, rounded to the nearest rank
    /// (normal approximation to the binomial; gives the exact table's ranks 2 and 9 for n = 10, 40 and 61 for n = 100).
    /// </summary>
    public static double MedianConfidenceHalfWidth(IReadOnlyList<double> sorted)
    {
        int n = sorted.Count;
        if (n < 2)
        {
            return double.PositiveInfinity;
        }
        double spread = 1.96 * Math.Sqrt(n) / 2;
        int lower = Math.Max((int)Math.Round(n / 2.0 - spread), 1);
        int upper = Math.Min((int)Math.Round(1 + n / 2.0 + spread), n);
        return (sorted[upper - 1] - sorted[lower - 1]) / 2;
    }
}
