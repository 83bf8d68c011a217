using LatencyNas.Analysis;
using LatencyNas.Core;
using LatencyNas.Core.Spaces;

namespace LatencyNas.Workflows;

/// <param name="Targets">Names, <c>all</c>, or <c>prefix*</c>; the proxy itself is left out.</param>
/// <param name="TargetSamples">Target measurements the adaptation may use (K); the rest are the test set.</param>
/// <param name="Methods">The methods to compare (null: all of them, "none" included).</param>
/// <param name="Sampling">How each target's K samples are drawn.</param>
public sealed record AdaptRequest(
    string Proxy, IReadOnlyList<string> Targets, SearchSpace Space, StoreLocation Store, int TargetSamples = 10, IReadOnlyList<AdaptationMethod>? Methods = null, int Seed = 0,
    TargetSampling Sampling = TargetSampling.Random)
{
    public static IReadOnlyList<AdaptationMethod> AllMethods { get; } = Enum.GetValues<AdaptationMethod>();

    /// <summary>The methods named, each once, or all of them.</summary>
    public IReadOnlyList<AdaptationMethod> MethodsToRun => Methods is { Count: > 0 } named ? named.Distinct().ToList() : AllMethods;
}

/// <summary>
/// Per target: SRCC before and after each method, on the target's measurements beyond the K samples, and the method
/// cross-validation on the K samples chose among them.
/// </summary>
public sealed record AdaptResult(string Proxy, int TargetSamples, int Seed, TargetSampling Sampling, IReadOnlyList<AdaptationMethod> Methods, IReadOnlyList<AdaptationReport> Targets)
{
    /// <summary>
    /// Over the targets: the mean and the worst SRCC before adapting (<c>Before</c>), after each method (null where it gave
    /// none), and after the method each target's samples chose (<c>Chosen</c>: what the default gives).
    /// </summary>
    public IReadOnlyList<AdaptationSummary> Summaries => Targets.Count == 0 ? [] :
    [
        Summarise("mean", values => values.Average()),
        Summarise("worst", values => values.Min()),
    ];

    private AdaptationSummary Summarise(string name, Func<IReadOnlyList<double>, double> aggregate) => new(
        name,
        aggregate(Targets.Select(t => t.SrccProxyMeasured).ToList()),
        Methods.Select(m => Targets.SelectMany(t => t.Outcomes.Where(o => o.Method == m)).Select(o => o.Metrics.Srcc).ToList() is { Count: > 0 } values
            ? aggregate(values)
            : (double?)null).ToList(),
        aggregate(Targets.Select(t => t.Chosen.Metrics.Srcc).ToList()));
}

/// <summary>One aggregate over the targets of an adaptation run; <paramref name="Methods"/> follows <see cref="AdaptResult.Methods"/>.</summary>
public sealed record AdaptationSummary(string Aggregate, double Before, IReadOnlyList<double?> Methods, double Chosen);

/// <summary>
/// Adapts a proxy's latency predictor to each target from K target measurements and scores it on
/// the target's other measurements. Every target is loaded and checked for more than K measurements
/// before the first adaptation; each target's row is reported as it finishes.
/// </summary>
public sealed class AdaptUseCase
{
    /// <exception cref="InvalidInputException">An unknown device, no target besides the proxy, or a target with K or fewer measurements.</exception>
    public AdaptResult Run(AdaptRequest request, IProgress<AdaptationReport>? rows = null, CancellationToken cancellation = default)
    {
        var methods = request.MethodsToRun;
        using var store = request.Store.OpenExisting();
        var proxy = StoredLatencies.Load(store, request.Proxy, request.Space);
        var targets = StoredLatencies.Resolve(store, request.Targets, request.Space).Where(t => t != proxy.Device)
            .Select(t => StoredLatencies.Load(store, t, request.Space)).ToList();
        if (targets.Count == 0)
        {
            throw new InvalidInputException($"No target besides the proxy {proxy.Device}.");
        }
        foreach (var target in targets)
        {
            StoredAdaptation.RequireSamples(target, request.TargetSamples);
        }
        var others = methods.Contains(AdaptationMethod.DeviceMix) || methods.Contains(AdaptationMethod.DevicePrior) ? StoredLatencies.LoadAll(store, request.Space) : [];
        var reports = new List<AdaptationReport>();
        foreach (var target in targets)
        {
            cancellation.ThrowIfCancellationRequested();
            var report = AdaptationExperiment.Run(proxy, target, request.TargetSamples, request.Seed, methods, others, request.Sampling);
            reports.Add(report);
            rows?.Report(report);
        }
        return new AdaptResult(proxy.Device, request.TargetSamples, request.Seed, request.Sampling, methods, reports);
    }
}
