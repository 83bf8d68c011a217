using LatencyNas.Core.Spaces;
using LatencyNas.Core.Statistics;

namespace LatencyNas.Analysis;

/// <summary>The best objective reachable within one latency budget on the target.</summary>
public sealed record BudgetComparison(int Percentile, double BudgetMs, double BestReused, double BestTrue)
{
    /// <summary>How much objective re-use gives up at this budget (0 when it finds the true best).</summary>
    public double Gap => BestTrue - BestReused;
}

/// <summary>How well a front chosen on one latency source serves the target.</summary>
/// <param name="SourceFrontSize">Members of the front chosen on the source latency (proxy, or adapted predictions).</param>
/// <param name="ReusedFrontSize">Of those, the ones still non-dominated on the target's true latency.</param>
/// <param name="TrueFrontSize">The target's true front.</param>
/// <param name="HypervolumeRatio">Hypervolume of the re-used front over the true front's (reference: worst target latency, worst objective).</param>
/// <param name="RecoveredShare">Share of the true front's points (distinct latency and objective: twins are one point) that the re-used front reaches.</param>
/// <param name="SourceFront">The front chosen on the source latency (<paramref name="SourceFrontSize"/> members).</param>
public sealed record ParetoReuseResult(
    string Source, int Candidates, int SourceFrontSize, int ReusedFrontSize, int TrueFrontSize, double HypervolumeRatio, double RecoveredShare,
    IReadOnlyList<BudgetComparison> Budgets, IReadOnlyList<Architecture> ReusedFront, IReadOnlyList<Architecture> TrueFront, IReadOnlyList<Architecture> SourceFront);

/// <summary>
/// Pareto-front re-use: take the front chosen on a proxy's latency (or on adapted predictions),
/// re-evaluate it on the target's true latency and compare it with the target's own true front.
/// </summary>
public static class ParetoReuse
{
    public static readonly IReadOnlyList<int> BudgetPercentiles = [10, 20, 30, 40, 50, 60, 70, 80, 90];

    public static ParetoReuseResult Evaluate(string source, IReadOnlyList<Architecture> candidates, IReadOnlyList<double> sourceLatency,
        IReadOnlyList<double> targetLatency, IReadOnlyList<double> objective)
    {
        int n = candidates.Count;
        if (sourceLatency.Count != n || targetLatency.Count != n || objective.Count != n)
        {
            throw new ArgumentException("Candidates, latencies and objectives differ in length.");
        }
        var sourceFront = Pareto.Front(Enumerable.Range(0, n).Select(i => new ParetoPoint(i, sourceLatency[i], objective[i])));
        var reused = Pareto.Front(sourceFront.Select(p => new ParetoPoint(p.Index, targetLatency[p.Index], objective[p.Index])));
        var onTarget = Enumerable.Range(0, n).Select(i => new ParetoPoint(i, targetLatency[i], objective[i])).ToList();
        var trueFront = Pareto.Front(onTarget);

        double referenceLatency = targetLatency.Max(), referenceObjective = objective.Min();
        double trueVolume = Pareto.Hypervolume(trueFront, referenceLatency, referenceObjective);
        double reusedVolume = Pareto.Hypervolume(reused, referenceLatency, referenceObjective);
        // Counted by position: twins (equal latency and objective) are one point of the front, reached by either.
        var truePositions = trueFront.Select(p => (p.Latency, p.Objective)).ToHashSet();
        double recovered = reused.Select(p => (p.Latency, p.Objective)).Where(truePositions.Contains).Distinct().Count() / (double)truePositions.Count;

        var sortedLatency = targetLatency.Order().ToArray();
        var budgets = BudgetPercentiles.Select(percentile =>
        {
            double budget = Descriptive.QuantileOfSorted(sortedLatency, percentile / 100.0);
            return new BudgetComparison(percentile, budget, Pareto.BestWithin(reused, budget), Pareto.BestWithin(onTarget, budget));
        }).ToList();

        return new ParetoReuseResult(source, n, sourceFront.Count, reused.Count, trueFront.Count,
            trueVolume > 0 ? reusedVolume / trueVolume : double.NaN, recovered, budgets,
            reused.Select(p => candidates[p.Index]).ToList(), trueFront.Select(p => candidates[p.Index]).ToList(), sourceFront.Select(p => candidates[p.Index]).ToList());
    }
}
