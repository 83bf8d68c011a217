using LatencyNas.Analysis;
using LatencyNas.Core;
using LatencyNas.Core.Spaces;
using LatencyNas.Prediction;

namespace LatencyNas.Workflows;

/// <param name="Objective">An objective in the store (higher is better), e.g. cifar10_test_acc, or a computed one (params, macs, synflow, zico).</param>
/// <param name="TargetSamples">Also re-use the front of the proxy adapted with this many target measurements (K).</param>
/// <param name="Method">The adaptation for <paramref name="TargetSamples"/> (null: the method cross-validation on the K samples chooses).</param>
public sealed record ParetoRequest(
    string Proxy, string Target, string Objective, SearchSpace Space, StoreLocation Store, int? TargetSamples = null, AdaptationMethod? Method = null, int Seed = 0,
    TargetSampling Sampling = TargetSampling.Random);

/// <summary>How a front chosen on one latency source serves the target (see <see cref="ParetoReuseResult"/>); fronts as ops digits.</summary>
public sealed record FrontReuse(
    string Source, int Candidates, int SourceFront, int ReusedFront, int TrueFront, double HypervolumeRatio, double RecoveredShare,
    IReadOnlyList<BudgetComparison> Budgets, IReadOnlyList<string> ReusedOps, IReadOnlyList<string> TrueOps, IReadOnlyList<string> SourceOps)
{
    public static FrontReuse From(ParetoReuseResult r) => new(r.Source, r.Candidates, r.SourceFrontSize, r.ReusedFrontSize, r.TrueFrontSize,
        r.HypervolumeRatio, r.RecoveredShare, r.Budgets, Ops(r.ReusedFront), Ops(r.TrueFront), Ops(r.SourceFront));

    private static List<string> Ops(IEnumerable<Core.Spaces.Architecture> front) => front.Select(a => a.Digits).ToList();
}

public sealed record ParetoResult(string Proxy, string Target, string Objective, IReadOnlyList<FrontReuse> Fronts);

/// <summary>Pareto-front re-use: the proxy's front (as measured, and adapted with K target samples) judged on the target's measurements.</summary>
public sealed class ParetoUseCase
{
    /// <exception cref="InvalidInputException">An unknown device or objective, too few shared architectures, or K too large for the target.</exception>
    public ParetoResult Run(ParetoRequest request)
    {
        using var store = request.Store.OpenExisting();
        var proxy = StoredLatencies.Load(store, request.Proxy, request.Space);
        var target = StoredLatencies.Load(store, request.Target, request.Space);
        ObjectiveCatalog.Check(store, request.Space, request.Objective);
        if (request.TargetSamples is { } samples)
        {
            StoredAdaptation.RequireSamples(target, samples);
        }

        var proxyMeasured = new MeasuredLatencies(proxy);
        var (candidates, objectives) = ObjectiveCatalog.ValuesAmong(store, request.Space, target.Dataset, request.Objective, request.Seed,
            target.Architectures.Where(proxyMeasured.Covers));
        if (candidates.Count < 3)
        {
            throw new InvalidInputException($"Only {candidates.Count} architectures have '{request.Objective}' and measurements on both {proxy.Device} and {target.Device}; at least 3 are needed.");
        }
        var targetLatency = new MeasuredLatencies(target).Predict(candidates);
        var fronts = new List<FrontReuse>
        {
            FrontReuse.From(ParetoReuse.Evaluate($"{proxy.Device} front", candidates, proxyMeasured.Predict(candidates), targetLatency, objectives)),
        };
        if (request.TargetSamples is { } k)
        {
            var adapted = StoredAdaptation.Adapt(store, request.Space, proxy, target, k, request.Seed, request.Sampling, request.Method, candidates,
                () => PredictorTrainer.Fit(PredictorTrainer.DefaultChoice(ModelKind.LightGbm), proxy, request.Seed));
            fronts.Add(FrontReuse.From(ParetoReuse.Evaluate(
                $"{proxy.Device} adapted with K = {k} ({adapted.Description})", candidates, adapted.Predict(candidates), targetLatency, objectives)));
        }
        return new ParetoResult(proxy.Device, target.Device, request.Objective, fronts);
    }
}

/// <param name="TargetSamples">Use only K of the target's measurements, as if that were all it had (null: all).</param>
public sealed record RecommendRequest(
    string Target, SearchSpace Space, StoreLocation Store, int? TargetSamples = null, int Seed = 0,
    double Threshold = Monotonicity.DefaultThreshold, int Bootstrap = Monotonicity.DefaultBootstrap);

/// <summary>A known device judged as a proxy, with the command to run next when there is one.</summary>
/// <param name="Note">Why the SRCC or its interval is undefined (written as null), if one is.</param>
public sealed record ProxyRecommendation(string Device, double EstimatedSrcc, double CiLow, double CiHigh, int Shared, ProxyAdvice Advice, string? Next, string? Note = null);

public sealed record RecommendResult(string Target, int TargetMeasurements, double Threshold, IReadOnlyList<ProxyRecommendation> Proxies);

/// <summary>Ranks the store's other devices as proxies for a target from its few measurements.</summary>
public sealed class RecommendUseCase
{
    /// <exception cref="InvalidInputException">An unknown target, or no device sharing at least 3 of its measurements.</exception>
    public RecommendResult Run(RecommendRequest request)
    {
        using var store = request.Store.OpenExisting();
        var target = StoredLatencies.Load(store, request.Target, request.Space);
        if (request.TargetSamples is { } k && k > target.Count)
        {
            throw new InvalidInputException($"Device '{target.Device}' has {target.Count:N0} measured {target.Space.Name} architectures; --target-samples {k} asks for more. Ask for at most {target.Count:N0}.");
        }
        if (request.TargetSamples is { } samples && samples < target.Count)
        {
            StoredAdaptation.RequireSamples(target, samples);
            target = target.Split(samples, request.Seed).Train;
        }
        var ranking = ProxyRecommender.Rank(target, StoredLatencies.LoadAll(store, request.Space), request.Threshold, request.Seed, request.Bootstrap);
        if (ranking.Count == 0)
        {
            throw new InvalidInputException($"No other device in {store.Location} shares at least 3 measured architectures with '{target.Device}'.");
        }
        return new RecommendResult(target.Device, target.Count, request.Threshold, ranking.Select(c => new ProxyRecommendation(
            c.Device, c.EstimatedSrcc, c.CiLow, c.CiHigh, c.Shared, c.Advice,
            c.Advice == ProxyAdvice.Adapt ? $"latnas adapt --proxy {c.Device} --targets {target.Device}{SearchSpaces.Suggestion(request.Space)}{request.Store.Suggestion}" : null,
            c.Note)).ToList());
    }
}
