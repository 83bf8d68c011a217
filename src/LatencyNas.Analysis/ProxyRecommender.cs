using LatencyNas.Core.Statistics;
using LatencyNas.Prediction;

namespace LatencyNas.Analysis;

/// <summary>What to do with a proxy for the target.</summary>
public enum ProxyAdvice
{
    /// <summary>Even the low end of the SRCC interval reaches the threshold: re-use the proxy's Pareto front.</summary>
    Reuse,

    /// <summary>The SRCC reaches the threshold but its interval does not: measure more target architectures to be sure.</summary>
    ProbablyReuse,

    /// <summary>The SRCC is below the threshold: adapt the proxy's predictor with target samples.</summary>
    Adapt,

    /// <summary>No SRCC to judge by: the device's or the target's latencies are all equal, so one of them has no ranking.</summary>
    Undefined,
}

/// <summary>A known device judged as a proxy for the target.</summary>
/// <param name="EstimatedSrcc">SRCC between the device and the target on the target's measured architectures.</param>
/// <param name="Shared">How many of the target's measurements the device also has.</param>
/// <param name="Note">Why the SRCC or its interval is undefined (NaN, written as null), if one is.</param>
public sealed record ProxyCandidate(string Device, double EstimatedSrcc, double CiLow, double CiHigh, int Shared, ProxyAdvice Advice, string? Note = null);

/// <summary>
/// Ranks known devices as proxies for a target that has only a few measurements: the SRCC on
/// those few (with a 95% interval, which is wide when they are few) estimates how well each
/// device ranks the target, and decides between re-using its front and adapting it.
/// </summary>
public static class ProxyRecommender
{
    public static IReadOnlyList<ProxyCandidate> Rank(LatencyData target, IReadOnlyList<LatencyData> known, double threshold = Monotonicity.DefaultThreshold, int seed = 0, int bootstrap = Monotonicity.DefaultBootstrap)
    {
        var candidates = new List<ProxyCandidate>();
        foreach (var device in known.Where(d => d.Device != target.Device))
        {
            var measured = new MeasuredLatencies(device);
            var shared = Enumerable.Range(0, target.Count).Where(i => measured.Covers(target.Architectures[i])).ToArray();
            if (shared.Length < 3)
            {
                continue;
            }
            var targetShared = target.Subset(shared);
            double[] proxy = measured.Predict(targetShared.Architectures);
            double srcc = RankCorrelation.Spearman(proxy, targetShared.LatenciesMs);
            var (low, high) = Monotonicity.Interval(proxy, targetShared.LatenciesMs, srcc, bootstrap, Monotonicity.PairSeed(seed, device.Device, target.Device));
            var advice = double.IsNaN(srcc) ? ProxyAdvice.Undefined : low >= threshold ? ProxyAdvice.Reuse : srcc >= threshold ? ProxyAdvice.ProbablyReuse : ProxyAdvice.Adapt;
            string? note = Monotonicity.Undefined(new DeviceLatencies(device.Device, proxy), new DeviceLatencies(target.Device, targetShared.LatenciesMs), srcc, low, bootstrap);
            candidates.Add(new ProxyCandidate(device.Device, srcc, low, high, shared.Length, advice, note));
        }
        return candidates.OrderByDescending(c => double.IsNaN(c.EstimatedSrcc) ? double.NegativeInfinity : c.EstimatedSrcc).ToList();
    }
}
