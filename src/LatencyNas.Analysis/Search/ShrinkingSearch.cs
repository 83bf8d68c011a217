using LatencyNas.Core;
using LatencyNas.Core.Spaces;

namespace LatencyNas.Analysis.Search;

/// <summary>
/// Shrinking search, after AutoShrink (Zhang et al., AAAI 2020): start from the space's most
/// expensive member (every decision at its choice with the most MACs: NB201's all-conv3×3 cell,
/// FBNet's k5_e6 everywhere) and shrink it. Each step evaluates the one-step cheaper neighbours of
/// the members kept — one decision moved to a choice with no more MACs, and a lower latency — and
/// keeps the few (<see cref="BeamWidth"/>) that lose least objective per millisecond saved (a gain
/// counts as a negative loss). A decision never moves back to a costlier choice, so the space searched
/// shrinks with every step. A kept member that meets the latency budget stops shrinking, and
/// shrinking ends when none is left. A short local refinement then takes each of the best few
/// members within the budget (as many as the beam keeps) to its best one-step neighbour within the
/// budget, in any direction, while that improves the objective (<see cref="RefinementSteps"/> moves
/// at most): from the best alone, on six NB201 tables, a greedy path's local optimum left 0.19%
/// mean regret (1.43% worst); from the best four, 0.12% (0.91%) for 20% more evaluations. It stops
/// by itself, usually well before the evaluation budget. Deterministic but for the order of ties and of the neighbours evaluated when
/// the evaluation budget runs out, which the seed fixes.
/// </summary>
public sealed class ShrinkingSearch : ISearchStrategy
{
    /// <summary>
    /// Members kept at each step. Default: as many as keep a step within <see cref="StepEvaluations"/>
    /// (NB201: 4 of 24 neighbours each; FBNet: 1 of 176), at least one. A wider beam on FBNet spends
    /// its evaluations on breadth and runs out of them before it reaches the budget.
    /// </summary>
    public int? BeamWidth { get; init; }

    /// <summary>Evaluations a shrinking step aims at when <see cref="BeamWidth"/> is not given. Default 100.</summary>
    public int StepEvaluations { get; init; } = 100;

    /// <summary>Most moves of the refinement from each member it starts from. Default 5.</summary>
    public int RefinementSteps { get; init; } = 5;

    public string Name => "shrink";

    public SearchOutcome Search(SearchProblem problem, int budget, int seed, CancellationToken cancellation = default)
    {
        if (BeamWidth < 1 || StepEvaluations < 1 || RefinementSteps < 0)
        {
            throw new InvalidInputException("Shrinking search needs a beam of at least 1, at least 1 evaluation per step and at least 0 refinement steps.");
        }
        return Evaluator.Run(Name, problem, cancellation, evaluator => Shrink(problem, budget, new Random(seed), evaluator));
    }

    private void Shrink(SearchProblem problem, int budget, Random random, Evaluator evaluator)
    {
        var space = problem.Space;
        var cost = ChoiceCosts(space);
        var start = Costliest(space, cost);
        int width = BeamWidth ?? Math.Max(1, StepEvaluations / Math.Max(1, Neighbours(space, start, cost, cheaperOnly: true).Count()));
        var beam = evaluator.Evaluate([start]).Where(c => !c.Fits(evaluator.MaxLatencyMs)).ToList();
        while (beam.Count > 0 && evaluator.Count < budget)
        {
            var moves = beam.SelectMany(parent => Neighbours(space, parent.Architecture, cost, cheaperOnly: true).Select(child => (parent, child))).ToList();
            var evaluated = EvaluateWithin(evaluator, moves.Select(m => m.child).ToList(), budget, random);
            var kept = moves
                .Where(m => evaluated.ContainsKey(m.child) && evaluated[m.child].LatencyMs < m.parent.LatencyMs)
                .Select(m => (Child: evaluated[m.child], LossPerMs: (m.parent.Objective - evaluated[m.child].Objective) / (m.parent.LatencyMs - evaluated[m.child].LatencyMs)))
                .OrderBy(m => m.LossPerMs).ThenBy(_ => random.Next())
                .Select(m => m.Child).DistinctBy(c => c.Architecture).Take(width).ToList();
            // A member within the budget is done shrinking (the evaluator keeps it); nothing kept: nothing cheaper is left, or the evaluations are spent.
            beam = kept.Where(c => !c.Fits(evaluator.MaxLatencyMs)).ToList();
        }
        foreach (var feasible in evaluator.Ranked().Take(width).ToList())
        {
            var current = feasible;
            for (int step = 0; step < RefinementSteps && evaluator.Count < budget; step++)
            {
                    var better = EvaluateWithin(evaluator, Neighbours(space, current.Architecture, cost, cheaperOnly: false).ToList(), budget, random).Values
                    .Where(c => c.Fits(evaluator.MaxLatencyMs) && c.Objective > current.Objective)
                    .OrderByDescending(c => c.Objective).ThenBy(c => c.LatencyMs).FirstOrDefault();
                if (better is null)
                {
                    break;
                }
                current = better;
            }
        }
    }

    /// <summary>
    /// Per decision, each choice's MACs in the space's first dataset with every other decision at
    /// its choice 0: a cost order of the choices that needs no evaluation.
    /// </summary>
    internal static long[][] ChoiceCosts(SearchSpace space)
    {
        var dataset = space.Datasets[0];
        var baseline = space.FromPosition(0);
        return space.Decisions.Select((decision, d) => Enumerable.Range(0, decision.Choices.Count)
            .Select(choice => space.Features(baseline.With(d, choice), dataset).Macs).ToArray()).ToArray();
    }

    /// <summary>Every decision at its costliest choice (the first of equals).</summary>
    internal static Architecture Costliest(SearchSpace space, long[][] cost)
        => space.FromDigits(new string(cost.Select(choices => Architecture.DigitOf(Array.IndexOf(choices, choices.Max()))).ToArray()));

    /// <summary>One decision changed; with <paramref name="cheaperOnly"/>, only to a choice with no more MACs than the current one.</summary>
    private static IEnumerable<Architecture> Neighbours(SearchSpace space, Architecture architecture, long[][] cost, bool cheaperOnly)
    {
        for (int d = 0; d < space.Decisions.Count; d++)
        {
            int current = architecture[d];
            for (int choice = 0; choice < space.Decisions[d].Choices.Count; choice++)
            {
                if (choice != current && (!cheaperOnly || cost[d][choice] <= cost[d][current]))
                {
                    yield return architecture.With(d, choice);
                }
            }
        }
    }

    /// <summary>
    /// The candidates of <paramref name="architectures"/> evaluated before or now; when the new ones
    /// exceed what is left of the budget, a random subset of them (the seed's).
    /// </summary>
    private static Dictionary<Architecture, Candidate> EvaluateWithin(Evaluator evaluator, IReadOnlyList<Architecture> architectures, int budget, Random random)
    {
        var distinct = architectures.Distinct().ToList();
        var fresh = distinct.Where(a => !evaluator.Seen(a)).ToArray();
        int room = Math.Max(0, budget - evaluator.Count);
        if (fresh.Length > room)
        {
            random.Shuffle(fresh);
            var dropped = fresh.Skip(room).ToHashSet();
            distinct = distinct.Where(a => !dropped.Contains(a)).ToList();
        }
        return evaluator.Evaluate(distinct).DistinctBy(c => c.Architecture).ToDictionary(c => c.Architecture); // steering's repairs can merge two
    }
}
