using LatencyNas.Core.Statistics;

namespace LatencyNas.Core.Measurements;

/// <summary>
/// One visit of a model in an interleaved measurement: a few consecutive runs, summarised by the
/// fastest, and how busy the machine was while they ran.
/// </summary>
/// <param name="Round">The round (pass over the batch) the visit belongs to, from 1.</param>
/// <param name="LatencyMs">The fastest of the visit's kept runs.</param>
/// <param name="Runs">Runs kept (a visit's first run is dropped: the other models have evicted this one from the caches).</param>
/// <param name="OtherBusy">Share of the CPU time this process left unused that other work used during the visit's round (0–1); null where unknown.</param>
/// <param name="Steal">Share of the CPU time the hypervisor gave to other guests during the round; null where unknown.</param>
/// <param name="Waiting">Share of the visit's ready time the measuring thread spent waiting for a CPU (0–1): what decides whether the visit was contended; null where unknown.</param>
/// <param name="Instance">Which of the architecture's separately created sessions ran (from 0; always 0 with one session per architecture).</param>
public sealed record Visit(int Round, double LatencyMs, int Runs, double? OtherBusy = null, double? Steal = null, double? Waiting = null, int Instance = 0);

/// <summary>What one architecture's timed runs came to (milliseconds).</summary>
/// <param name="LatencyMs">The latency estimate the analyses use (see <paramref name="Estimator"/>).</param>
/// <param name="Estimator">How <paramref name="LatencyMs"/> was estimated: <see cref="MedianOfRuns"/>, <see cref="FastestVisit"/> or <see cref="FastestColdVisit"/>.</param>
/// <param name="MedianMs">Median of every kept timed run (the other run statistics are over the same runs).</param>
/// <param name="CiHalfWidthRelative">
/// Half the width of the estimate's 95% interval, relative to it. Burst: the confidence interval of the
/// median of the runs. Interleaved: the interval a second measurement's estimate falls in, from the
/// variation between visits (<see cref="RetestHalfWidth"/>).
/// </param>
/// <param name="PrecisionMet">The interval was within the precision asked for.</param>
/// <param name="Visits">Visits the estimate was made from (0 for a burst).</param>
/// <param name="ContendedVisits">Of the visits, those made while the measuring thread had to wait for a CPU (set aside).</param>
/// <param name="OtherBusy">Mean share of the free CPU that other work used during the visits.</param>
public sealed record LatencyStatistics(
    double LatencyMs,
    string Estimator,
    double MedianMs,
    double MeanMs,
    double MinMs,
    double P10Ms,
    double P90Ms,
    double IqrMs,
    double CoefficientOfVariation,
    int Runs,
    double CiHalfWidthRelative,
    bool PrecisionMet,
    int WarmupRuns,
    bool WarmupSettled,
    int Visits = 0,
    int ContendedVisits = 0,
    double? OtherBusy = null)
{
    /// <summary>Runs whose mean is more than this multiple of their median, without the precision asked for, were <see cref="Disturbed"/>.</summary>
    public const double DisturbedMeanToMedian = 2.0;

    /// <summary>
    /// A burst whose runs were disturbed — the device was stopped or starved while they ran (a
    /// suspended agent, a swapping board) — and whose estimate is not to be trusted: the precision
    /// asked for was missed and the mean is more than <see cref="DisturbedMeanToMedian"/> times the
    /// median. A device left alone has a mean within a few percent of its median; a pause of seconds
    /// among sub-millisecond runs moves the mean by orders of magnitude. An interleaved estimate is
    /// never disturbed this way: a stop falls in one visit, which is then merely slow, and the
    /// estimate is the fastest quiet visit.
    /// </summary>
    public bool Disturbed => Estimator == MedianOfRuns && !PrecisionMet && MeanMs > DisturbedMeanToMedian * MedianMs;

    /// <summary>The burst protocol's estimate: the median of one block of consecutive runs.</summary>
    public const string MedianOfRuns = "median-of-runs";

    /// <summary>The interleaved protocol's estimate with warm visits: the fastest of the quiet visits, each the fastest of its runs after the first (docs/measurement.md).</summary>
    public const string FastestVisit = "fastest-visit";

    /// <summary>
    /// The interleaved protocol's estimate with visits of one run (the default since 2026-12-04): the fastest of the quiet visits,
    /// each run just after the other architectures of its batch. It reads higher than <see cref="FastestVisit"/> where the caches
    /// matter (NB201 networks under 2.5 ms on one CPU thread: about 12%), so a device's measurements are never a mixture of the two.
    /// </summary>
    public const string FastestColdVisit = "fastest-cold-visit";

    /// <summary>
    /// The name of the estimate over <paramref name="instances"/> separately created sessions of each architecture: the median of
    /// the instances' fastest visits (<paramref name="visitEstimator"/>), e.g. <c>median-of-3-instances-fastest-cold-visit</c>; with one, the visit estimator itself.
    /// </summary>
    public static string OfInstances(int instances, string visitEstimator) => instances == 1 ? visitEstimator : $"median-of-{instances}-instances-{visitEstimator}";

    /// <summary>The sessions per architecture an estimator name says were measured (1 for a name without instances).</summary>
    public static int InstancesOf(string estimator)
        => estimator.StartsWith("median-of-", StringComparison.Ordinal) && estimator.IndexOf("-instances-", StringComparison.Ordinal) is > 10 and var end
           && int.TryParse(estimator.AsSpan(10, end - 10), out int instances) ? instances : 1;

    /// <summary>The quantile of the visits whose distance from the fastest is the retest interval.</summary>
    public const double SpreadQuantile = 0.3;

    /// <summary>The narrowest retest interval claimed, relative to the estimate: a machine drifts between sessions by this much.</summary>
    public const double MinimumRetestHalfWidth = 0.01;

    /// <summary>Summarises one block of timed runs. <paramref name="target"/> null means no precision was asked for (met = false).</summary>
    public static LatencyStatistics FromSamples(IReadOnlyList<double> samples, double? target, int warmupRuns, bool warmupSettled)
    {
        var (median, mean, min, p10, p90, iqr, cv, sorted) = Describe(samples);
        double halfWidth = MedianConfidenceHalfWidth(sorted) / median;
        return new LatencyStatistics(median, MedianOfRuns, median, mean, min, p10, p90, iqr, cv, samples.Count,
            halfWidth, target is { } t && halfWidth <= t, warmupRuns, warmupSettled);
    }

    /// <summary>
    /// Summarises an interleaved measurement: the estimate is the fastest of <paramref name="estimateFrom"/>
    /// (the quiet visits, in the order they were made) — of visits to several instances of the architecture, the median of each
    /// instance's fastest (<see cref="FastestOfInstances"/>) — its interval <see cref="RetestHalfWidth"/> over the
    /// same visits; the run statistics describe every kept run.
    /// </summary>
    /// <param name="minimumForPrecision">Quiet visits below which no precision is claimed, however close they are: a few agree by chance.</param>
    /// <param name="estimator">The name stored with the estimate: <see cref="FastestVisit"/> or <see cref="FastestColdVisit"/>, after what a visit is.</param>
    public static LatencyStatistics FromVisits(IReadOnlyList<Visit> visits, IReadOnlyList<Visit> estimateFrom, IReadOnlyList<double> runs, double? target,
        int warmupRuns, int contendedVisits, int minimumForPrecision, string estimator)
    {
        if (estimateFrom.Count == 0)
        {
            throw new ArgumentException("No visits to estimate from.", nameof(estimateFrom));
        }
        var (median, mean, min, p10, p90, iqr, cv, _) = Describe(runs);
        double estimate = FastestOfInstances(estimateFrom);
        double halfWidth = RetestHalfWidth(estimateFrom) / estimate;
        var busy = visits.Where(v => v.OtherBusy is not null).Select(v => v.OtherBusy!.Value).ToList();
        return new LatencyStatistics(estimate, estimator, median, mean, min, p10, p90, iqr, cv, runs.Count,
            halfWidth, target is { } t && halfWidth <= t && estimateFrom.Count >= minimumForPrecision, warmupRuns, WarmupSettled: true,
            visits.Count, contendedVisits, busy.Count > 0 ? busy.Average() : null);
    }

    /// <summary>
    /// The median over the instances visited of each one's fastest visit; the fastest visit when all are of one instance.
    /// A session's memory lands differently every time it is created, and on some machines that alone moves an architecture's
    /// fastest visit by several percent; the median of a few sessions does not depend on one placement (docs/measurement.md).
    /// </summary>
    public static double FastestOfInstances(IReadOnlyList<Visit> visits)
        => Descriptive.Median(visits.GroupBy(v => v.Instance).Select(g => g.Min(v => v.LatencyMs)).ToList());

    /// <summary>
    /// Half the width of the interval around the fastest visit that a later measurement's fastest visit
    /// falls in, from two signs of instability, whichever is larger: how far the fastest 30% of the visits
    /// spread above the fastest, and how far apart the fastest visit of the first half of the rounds and
    /// that of the second half are (this machine's slow spells last seconds to minutes: an estimate
    /// that moved within one batch moves between sessions). Contention only ever adds time, so the
    /// fastest visits show what the device does undisturbed. Visits cannot show every drift of a whole
    /// machine, so the interval is never narrower than <see cref="MinimumRetestHalfWidth"/> of the
    /// estimate. Chosen from recorded sessions on the development machine; `latnas bench retest` checks
    /// how often it holds (docs/measurement.md). Infinite for fewer than four visits.
    /// </summary>
    /// <param name="visits">The visits in the order they were made.</param>
    public static double RetestHalfWidth(IReadOnlyList<Visit> visits)
    {
        if (visits.Count < 4)
        {
            return double.PositiveInfinity;
        }
        double[] sorted = visits.Select(v => v.LatencyMs).Order().ToArray();
        double fastest = sorted[0];
        int half = visits.Count / 2;
        double drift = Math.Abs(visits.Take(half).Min(v => v.LatencyMs) - visits.Skip(half).Min(v => v.LatencyMs));
        double spread = Descriptive.QuantileOfSorted(sorted, SpreadQuantile) - fastest;
        return Math.Max(Math.Max(spread, drift), MinimumRetestHalfWidth * fastest);
    }

    /// <summary>
    /// Half the width of the distribution-free 95% confidence interval of the median: the order
    /// statistics at ranks n/2 − 1.96·√n/2 and 1 + n/2 + 1.96·√n/2, rounded to the nearest rank
    /// (normal approximation to the binomial; gives the exact table's ranks 2 and 9 for n = 10, 40 and 61 for n = 100).
    /// </summary>
    public static double MedianConfidenceHalfWidth(IReadOnlyList<double> sorted) => QuantileConfidenceHalfWidth(sorted, 0.5);

    /// <summary>
    /// Half the width of the distribution-free 95% confidence interval of the q-quantile: the order
    /// statistics at ranks n·q ∓ 1.96·√(n·q·(1−q)) (the upper one plus 1), rounded to the nearest rank
    /// and kept within 1…n. Infinite for fewer than two values.
    /// </summary>
    public static double QuantileConfidenceHalfWidth(IReadOnlyList<double> sorted, double q)
    {
        int n = sorted.Count;
        if (n < 2)
        {
            return double.PositiveInfinity;
        }
        double spread = 1.96 * Math.Sqrt(n * q * (1 - q));
        int lower = Math.Max((int)Math.Round(n * q - spread), 1);
        int upper = Math.Min((int)Math.Round(1 + n * q + spread), n);
        return (sorted[upper - 1] - sorted[lower - 1]) / 2;
    }

    private static (double Median, double Mean, double Min, double P10, double P90, double Iqr, double Cv, double[] Sorted) Describe(IReadOnlyList<double> samples)
    {
        if (samples.Count == 0)
        {
            throw new ArgumentException("No timed runs to summarise.", nameof(samples));
        }
        double[] sorted = samples.Order().ToArray();
        double mean = samples.Average();
        return (Descriptive.QuantileOfSorted(sorted, 0.5), mean, sorted[0], Descriptive.QuantileOfSorted(sorted, 0.10), Descriptive.QuantileOfSorted(sorted, 0.90),
            Descriptive.QuantileOfSorted(sorted, 0.75) - Descriptive.QuantileOfSorted(sorted, 0.25),
            mean > 0 ? Descriptive.StandardDeviation(samples) / mean : 0, sorted);
    }
}
