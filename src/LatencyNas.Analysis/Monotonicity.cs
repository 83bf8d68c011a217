using LatencyNas.Core.Spaces;
using LatencyNas.Core.Statistics;

namespace LatencyNas.Analysis;

/// <summary>A device's latencies over a common list of architectures (measured, or predicted).</summary>
public sealed record DeviceLatencies(string Device, IReadOnlyList<double> LatenciesMs);

/// <summary>How two devices rank the same architectures.</summary>
/// <param name="CiLow">Lower end of the 95% interval of the SRCC (see <see cref="Monotonicity.Interval"/>).</param>
/// <param name="CiHigh">Upper end of the 95% interval of the SRCC.</param>
/// <param name="Monotonic">SRCC at or above the threshold: the proxy's ranking (and front) can be re-used.</param>
/// <param name="Note">Why a number of the pair is undefined (NaN, written as null), if one is: a device whose latencies are all equal
/// has no ranking, and the analytic interval needs at least 4 architectures.</param>
public sealed record DevicePair(string First, string Second, double Srcc, double Kendall, double CiLow, double CiHigh, bool Monotonic, string? Note = null)
{
    /// <summary>re-use, adapt, or undefined when there is no SRCC to judge by (never a confident "adapt" for a ranking that does not exist).</summary>
    public string Verdict => double.IsNaN(Srcc) ? "undefined" : Monotonic ? "re-use" : "adapt";
}

/// <summary>SRCC and Kendall matrices over the architectures all devices share.</summary>
public sealed record MonotonicityMatrix(IReadOnlyList<string> Devices, double[,] Srcc, double[,] Kendall, IReadOnlyList<DevicePair> Pairs, int Architectures, double Threshold);

/// <summary>
/// Latency monotonicity: how similarly devices rank architectures by latency (SRCC and Kendall tau-b).
/// Pairs at or above the threshold (default 0.9) can share a proxy's Pareto front; the others
/// need the proxy's predictor adapted to them.
/// </summary>
public static class Monotonicity
{
    public const double DefaultThreshold = 0.9;

    /// <summary>Bootstrap resamples for an SRCC interval, wherever one is shown: none, so the interval is the analytic one.</summary>
    public const int DefaultBootstrap = 0;

    /// <param name="bootstrap">Bootstrap resamples for each SRCC interval (0: the analytic interval).</param>
    /// <param name="seed">Seeds every pair's bootstrap together with the pair's two names, so a pair's
    /// interval does not depend on which other devices are listed, or in which order.</param>
    public static MonotonicityMatrix Compute(IReadOnlyList<DeviceLatencies> devices, int architectureCount, double threshold = DefaultThreshold, int bootstrap = DefaultBootstrap, int seed = 0)
    {
        int n = devices.Count;
        var srcc = new double[n, n];
        var kendall = new double[n, n];
        // Each device is ranked once; the pairs, independent of each other, share the cores.
        var ranks = devices.Select(d => RankCorrelation.Ranks(d.LatenciesMs)).ToArray();
        var indexPairs = Enumerable.Range(0, n).SelectMany(i => Enumerable.Range(i + 1, n - i - 1).Select(j => (i, j))).ToArray();
        var pairs = new DevicePair[indexPairs.Length];
        Parallel.For(0, indexPairs.Length, p =>
        {
            var (i, j) = indexPairs[p];
            double s = RankCorrelation.Pearson(ranks[i], ranks[j]);
            double k = RankCorrelation.KendallTauB(devices[i].LatenciesMs, devices[j].LatenciesMs);
            srcc[i, j] = srcc[j, i] = s;
            kendall[i, j] = kendall[j, i] = k;
            var (low, high) = Interval(devices[i].LatenciesMs, devices[j].LatenciesMs, s, bootstrap, PairSeed(seed, devices[i].Device, devices[j].Device));
            pairs[p] = new DevicePair(devices[i].Device, devices[j].Device, s, k, low, high, s >= threshold,
                Undefined(devices[i], devices[j], s, low, bootstrap));
        });
        for (int i = 0; i < n; i++)
        {
            srcc[i, i] = kendall[i, i] = 1;
        }
        return new MonotonicityMatrix(devices.Select(d => d.Device).ToArray(), srcc, kendall, pairs, architectureCount, threshold);
    }

    /// <summary>Why a pair's SRCC or interval is undefined, or null when both are defined.</summary>
    public static string? Undefined(DeviceLatencies first, DeviceLatencies second, double srcc, double ciLow, int bootstrap)
    {
        if (double.IsNaN(srcc))
        {
            var flat = new[] { first, second }.Where(d => d.LatenciesMs.Distinct().Count() <= 1).Select(d => d.Device).ToList();
            return flat.Count switch
            {
                1 => $"all latencies of {flat[0]} are equal: no ranking",
                2 => $"all latencies of {flat[0]} and of {flat[1]} are equal: no ranking",
                _ => "the latencies hold no number to rank",
            };
        }
        if (double.IsNaN(ciLow))
        {
            return bootstrap > 0
                ? "no bootstrap resample had an SRCC: no interval"
                : $"an analytic interval (Fisher's z) needs at least 4 architectures, {first.LatenciesMs.Count} were compared";
        }
        return null;
    }

    /// <summary>A seed for one pair that is the same whichever of the two comes first (FNV-1a over the sorted names).</summary>
    public static int PairSeed(int seed, string first, string second)
    {
        var (a, b) = string.CompareOrdinal(first, second) <= 0 ? (first, second) : (second, first);
        uint hash = 2166136261;
        foreach (char c in $"{a}\0{b}\0{seed}")
        {
            hash = (hash ^ c) * 16777619;
        }
        return (int)(hash & int.MaxValue);
    }

    /// <summary>
    /// The 95% interval of an SRCC <paramref name="srcc"/> over <paramref name="x"/> and <paramref name="y"/>:
    /// the percentile bootstrap with <paramref name="bootstrap"/> resamples, or with none the analytic one.
    /// </summary>
    public static (double Low, double High) Interval(IReadOnlyList<double> x, IReadOnlyList<double> y, double srcc, int bootstrap, int seed)
        => bootstrap > 0 ? BootstrapInterval(x, y, bootstrap, seed) : AnalyticInterval(srcc, x.Count);

    /// <summary>
    /// Fisher's z with the Bonett–Wright variance for Spearman's rho: z = atanh(r),
    /// var z ≈ (1 + r²/2) / (n − 3), interval tanh(z ± 1.96 √var). Instant, and close to the
    /// 200-resample bootstrap on the HELP tables (at most 0.004, median 0.001, over the 378 pairs of
    /// the 28 NB201 devices); undefined below 4 pairs.
    /// </summary>
    public static (double Low, double High) AnalyticInterval(double srcc, int n)
    {
        if (n < 4 || !double.IsFinite(srcc))
        {
            return (double.NaN, double.NaN);
        }
        double r = Math.Clamp(srcc, -0.999999, 0.999999);
        double z = Math.Atanh(r), half = 1.959964 * Math.Sqrt((1 + r * r / 2) / (n - 3));
        return (Math.Tanh(z - half), Math.Tanh(z + half));
    }

    /// <summary>Percentile bootstrap: resample architectures with replacement, recompute SRCC, take the 2.5th and 97.5th percentiles.</summary>
    public static (double Low, double High) BootstrapInterval(IReadOnlyList<double> x, IReadOnlyList<double> y, int resamples, int seed)
    {
        var random = new Random(seed);
        int n = x.Count;
        var values = new double[resamples];
        var xs = new double[n];
        var ys = new double[n];
        for (int b = 0; b < resamples; b++)
        {
            for (int i = 0; i < n; i++)
            {
                int pick = random.Next(n);
                xs[i] = x[pick];
                ys[i] = y[pick];
            }
            values[b] = RankCorrelation.Spearman(xs, ys);
        }
        var sorted = values.Where(double.IsFinite).Order().ToArray();
        return sorted.Length == 0 ? (double.NaN, double.NaN) : (Descriptive.QuantileOfSorted(sorted, 0.025), Descriptive.QuantileOfSorted(sorted, 0.975));
    }

    /// <summary>The architectures every device in <paramref name="tables"/> holds, in a stable order.</summary>
    public static IReadOnlyList<Architecture> Shared(IEnumerable<IReadOnlyCollection<Architecture>> tables)
    {
        HashSet<Architecture>? shared = null;
        foreach (var table in tables)
        {
            if (shared is null)
            {
                shared = [.. table];
            }
            else
            {
                shared.IntersectWith(table);
            }
        }
        return (shared ?? []).OrderBy(a => a.Digits, StringComparer.Ordinal).ToList();
    }
}
