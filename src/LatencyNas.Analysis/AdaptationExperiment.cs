using LatencyNas.Core;
using LatencyNas.Core.Spaces;
using LatencyNas.Core.Statistics;
using LatencyNas.Prediction;

namespace LatencyNas.Analysis;

/// <summary>One adaptation method's result on the target's held-out architectures.</summary>
public sealed record AdaptationOutcome(AdaptationMethod Method, string Description, double? Lambda, PredictionMetrics Metrics);

/// <summary>Before and after adapting a proxy to a target from K target measurements.</summary>
/// <param name="SrccProxyMeasured">SRCC of the proxy's own measured latencies against the target's (the "before": re-use as is).</param>
/// <param name="SrccProxyAdditive">SRCC of the proxy's additive predictor against the target.</param>
/// <param name="Choice">The method cross-validation on the K samples picks among those compared (what the default would use).</param>
public sealed record AdaptationReport(
    string Proxy, string Target, int Samples, int Test, double SrccProxyMeasured, double SrccProxyAdditive, IReadOnlyList<AdaptationOutcome> Outcomes,
    AdaptationChoice Choice)
{
    public AdaptationOutcome Best => Outcomes.MaxBy(o => o.Metrics.Srcc)!;

    /// <summary>The outcome of the method the samples chose.</summary>
    public AdaptationOutcome Chosen => Outcomes.First(o => o.Method == Choice.Method);
}

/// <summary>How the K target samples of an adaptation experiment are drawn.</summary>
public enum TargetSampling
{
    /// <summary>At random among the target's measured architectures.</summary>
    Random,

    /// <summary>Spread over the proxy's latency: the target's architectures the proxy has measured, in K equal strata of the proxy's latency, one at random from each.</summary>
    Spread,

    /// <summary>
    /// Where the other known devices disagree most: among the target's architectures every other device has measured,
    /// farthest-point samples in the leading principal components of their standardised log latencies.
    /// </summary>
    Diverse,
}

/// <summary>
/// Runs adaptation the way a user would with a new target: draw K of the target's measured
/// architectures as the only target knowledge, adapt, and score on the target's other measurements.
/// </summary>
public static class AdaptationExperiment
{
    /// <param name="others">Other known devices, for <see cref="AdaptationMethod.DeviceMix"/> (the target itself is ignored).</param>
    public static AdaptationReport Run(
        LatencyData proxy, LatencyData target, int samples, int seed, IReadOnlyList<AdaptationMethod> methods, IReadOnlyList<LatencyData>? others = null,
        TargetSampling sampling = TargetSampling.Random)
    {
        if (proxy.Space.Name != target.Space.Name)
        {
            throw new InvalidInputException($"The proxy is measured on {proxy.Space.Name}, the target on {target.Space.Name}.");
        }
        var proxyMeasured = new MeasuredLatencies(proxy);
        var (known, test) = sampling switch
        {
            TargetSampling.Spread => target.SplitAcross(samples, a => proxyMeasured.Covers(a) ? proxyMeasured.Predict([a])[0] : null, seed),
            TargetSampling.Diverse => DisagreementSamples.Split(target, others ?? [], samples, seed),
            _ => target.Split(samples, seed),
        };
        var adapter = new ProxyAdapter(proxy, others ?? [], test.Architectures,
            () => PredictorTrainer.Fit(PredictorTrainer.DefaultChoice(ModelKind.LightGbm), proxy, seed), drawnAtRandom: sampling != TargetSampling.Diverse);

        var covered = Enumerable.Range(0, test.Count).Where(i => proxyMeasured.Covers(test.Architectures[i])).ToArray();
        var coveredTest = test.Subset(covered);
        double srccMeasured = coveredTest.Count > 1
            ? RankCorrelation.Spearman(proxyMeasured.Predict(coveredTest.Architectures), coveredTest.LatenciesMs)
            : double.NaN;
        double srccAdditive = RankCorrelation.Spearman(adapter.ProxyAdditive.Predict(test.Architectures), test.LatenciesMs);

        var outcomes = new List<AdaptationOutcome>();
        foreach (var method in methods)
        {
            if (adapter.Adapt(method, known) is { } adapted)
            {
                var metrics = PredictionMetrics.Compute(test.LatenciesMs, adapted.Predict(test.Architectures));
                outcomes.Add(new AdaptationOutcome(method, adapted.Description, adapted.Lambda, metrics));
            }
        }
        var choice = adapter.Choose(known, outcomes.Select(o => o.Method).ToList());
        return new AdaptationReport(proxy.Device, target.Device, samples, test.Count, srccMeasured, srccAdditive, outcomes, choice);
    }
}
