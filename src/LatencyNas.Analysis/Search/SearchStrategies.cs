using System.Diagnostics;
using LatencyNas.Core;
using LatencyNas.Core.Spaces;
using LatencyNas.Prediction;

namespace LatencyNas.Analysis.Search;

/// <summary>Find the architecture with the best objective whose latency stays within a budget.</summary>
/// <param name="Control">Steers the search while it runs and logs what it evaluates (null: unsteered).</param>
public sealed record SearchProblem(SearchSpace Space, ILatencyEstimator Latency, IObjective Objective, double MaxLatencyMs, SearchControl? Control = null);

/// <summary>One evaluated candidate.</summary>
public sealed record Candidate(Architecture Architecture, double LatencyMs, double Objective)
{
    public bool Fits(double budget) => LatencyMs <= budget;
}

/// <summary>The outcome of a search: the best feasible candidate found (null when nothing fits), and what it cost.</summary>
/// <param name="Evaluations">Distinct architectures whose latency and objective were evaluated.</param>
/// <param name="BestTrace">(evaluations, best feasible objective so far) each time the best improved (or changed with the budget).</param>
/// <param name="Ranked">Every evaluated candidate within the budget, best objective first (then lowest latency).</param>
/// <param name="MaxLatencyMs">The budget at the end (steering can move it).</param>
/// <param name="Stopped">Ended by a <see cref="SteeringKind.Stop"/> before the strategy finished.</param>
public sealed record SearchOutcome(
    string Strategy, Candidate? Best, int Evaluations, TimeSpan Elapsed, IReadOnlyList<(int Evaluations, double Objective)> BestTrace, IReadOnlyList<Candidate> Ranked,
    double MaxLatencyMs = double.PositiveInfinity, bool Stopped = false)
{
    /// <summary>Evaluations spent until the final best objective was first reached.</summary>
    public int EvaluationsToBest => BestTrace.Count > 0 ? BestTrace[^1].Evaluations : Evaluations;
}

/// <summary>A search strategy: exhaustive, random, regularized evolution, or shrinking.</summary>
public interface ISearchStrategy
{
    string Name { get; }

    /// <param name="budget">Most distinct architectures to evaluate (ignored by exhaustive search).</param>
    SearchOutcome Search(SearchProblem problem, int budget, int seed, CancellationToken cancellation = default);
}

/// <summary>
/// Evaluates candidates in batches (one latency and one objective call per batch, a step of the search) and
/// remembers them. With a <see cref="SearchControl"/>, each proposal is a step: it first applies the actions due (a new
/// budget, promotions, a stop) and repairs the proposed architecture to the bans and pins in force.
/// </summary>
internal sealed class Evaluator
{
    private readonly SearchProblem _problem;
    private readonly CancellationToken _cancellation;
    private readonly Dictionary<Architecture, Candidate> _seen = [];
    private readonly List<(int, double)> _trace = [];
    private readonly List<Candidate> _promoted = [];
    private int _step;

    private Evaluator(SearchProblem problem, CancellationToken cancellation)
    {
        _problem = problem;
        _cancellation = cancellation;
        MaxLatencyMs = problem.MaxLatencyMs;
    }

    public Candidate? Best { get; private set; }

    public int Count => _seen.Count;

    /// <summary>The budget in force (steering can move it).</summary>
    public double MaxLatencyMs { get; private set; }

    public bool Seen(Architecture architecture) => _seen.ContainsKey(architecture);

    /// <summary>
    /// Runs <paramref name="search"/> with a fresh evaluator and returns what it found; a stop posted to the problem's
    /// control ends it at the next step, with the outcome so far.
    /// </summary>
    public static SearchOutcome Run(string strategy, SearchProblem problem, CancellationToken cancellation, Action<Evaluator> search)
    {
        var clock = Stopwatch.StartNew();
        var evaluator = new Evaluator(problem, cancellation);
        bool stopped = false;
        try
        {
            search(evaluator);
        }
        catch (StopRequested)
        {
            stopped = true;
        }
        return new SearchOutcome(strategy, evaluator.Best, evaluator.Count, clock.Elapsed, evaluator._trace, evaluator.Ranked(), evaluator.MaxLatencyMs, stopped);
    }

    /// <summary>The evaluated candidates within the budget, best objective first, then lowest latency.</summary>
    public IReadOnlyList<Candidate> Ranked()
        => _seen.Values.Where(c => c.Fits(MaxLatencyMs)).OrderByDescending(c => c.Objective).ThenBy(c => c.LatencyMs).ToList();

    /// <summary>The candidates promoted by steering since the last call (evaluated with the step they arrived at).</summary>
    public IReadOnlyList<Candidate> TakePromoted()
    {
        var promoted = _promoted.ToList();
        _promoted.Clear();
        return promoted;
    }

    /// <summary>
    /// The candidates of <paramref name="architectures"/> (evaluated now or before), in order: unsteered, one step, whose fresh
    /// architectures the latency predictor scores in one call. Steered, every proposal is a step of its own — the actions
    /// due apply, the proposal is repaired to the bans and pins in force (so a candidate's architecture may differ from the
    /// one proposed), and it is evaluated — so that an action applies from the next evaluation on, and the pace and a pause
    /// hold between any two evaluations. Without actions both evaluate the same sequence.
    /// </summary>
    public IReadOnlyList<Candidate> Evaluate(IReadOnlyList<Architecture> architectures)
    {
        _cancellation.ThrowIfCancellationRequested();
        if (_problem.Control is not { } control)
        {
            _step++;
            return EvaluateStep(architectures, promoted: []);
        }
        var candidates = new List<Candidate>(architectures.Count);
        foreach (var proposed in architectures)
        {
            var orders = control.BeforeStep(_step, Count, _cancellation);
            if (orders.Stop)
            {
                throw new StopRequested();
            }
            if (orders.MaxLatencyMs is { } budget)
            {
                MoveBudget(budget);
            }
            _step++;
            candidates.AddRange(EvaluateStep([control.Repair(proposed)], orders.Promote));
        }
        return candidates;
    }

    private IReadOnlyList<Candidate> EvaluateStep(IReadOnlyList<Architecture> architectures, IReadOnlyList<Architecture> promoted)
    {
        var fresh = promoted.Concat(architectures).Where(a => !_seen.ContainsKey(a)).Distinct().ToList();
        if (fresh.Count > 0)
        {
            double[] latencies = _problem.Latency.Predict(fresh);
            double[] objectives = _problem.Objective.Evaluate(fresh);
            var candidates = new Candidate[fresh.Count];
            for (int i = 0; i < fresh.Count; i++)
            {
                var candidate = candidates[i] = new Candidate(fresh[i], latencies[i], objectives[i]);
                _seen[fresh[i]] = candidate;
                // Ties on the objective go to the faster, as in Ranked().
                if (candidate.Fits(MaxLatencyMs) && (Best is null || candidate.Objective > Best.Objective || (candidate.Objective == Best.Objective && candidate.LatencyMs < Best.LatencyMs)))
                {
                    if (Best is null || candidate.Objective > Best.Objective)
                    {
                        _trace.Add((_seen.Count, candidate.Objective));
                    }
                    Best = candidate;
                }
            }
            _problem.Control?.Record(candidates);
        }
        _promoted.AddRange(promoted.Select(a => _seen[a]));
        return architectures.Select(a => _seen[a]).ToList();
    }

    private void MoveBudget(double budget)
    {
        MaxLatencyMs = budget;
        var best = Ranked().FirstOrDefault();
        if (best != Best && best is not null)
        {
            _trace.Add((Count, best.Objective));
        }
        Best = best;
    }

    private sealed class StopRequested : Exception;
}

/// <summary>Evaluates every member of a space that can be listed (in batches of 4,096).</summary>
public sealed class ExhaustiveSearch(long limit = 10_000_000) : ISearchStrategy
{
    public string Name => "exhaustive";

    public SearchOutcome Search(SearchProblem problem, int budget, int seed, CancellationToken cancellation = default)
        => Evaluator.Run(Name, problem, cancellation, evaluator =>
        {
            foreach (var batch in problem.Space.Enumerate(limit).Chunk(4_096))
            {
                evaluator.Evaluate(batch);
            }
        });
}

/// <summary>Evaluates <c>budget</c> distinct architectures drawn uniformly.</summary>
public sealed class RandomSearch : ISearchStrategy
{
    public string Name => "random";

    public SearchOutcome Search(SearchProblem problem, int budget, int seed, CancellationToken cancellation = default)
        => Evaluator.Run(Name, problem, cancellation, evaluator =>
        {
            int count = (int)Math.Min(budget, (long)Math.Min((double)problem.Space.Size, int.MaxValue));
            foreach (var batch in problem.Space.SampleDistinct(count, seed).Chunk(1_024))
            {
                evaluator.Evaluate(batch);
            }
        });
}

/// <summary>
/// Regularized (aging) evolution (Real et al., 2019) with the space's one-decision mutation: a
/// population of <see cref="PopulationSize"/> ages out its oldest member as each child arrives;
/// parents win tournaments of <see cref="TournamentSize"/>. Fitness puts every feasible candidate
/// above every infeasible one, feasible ones by objective, infeasible ones by how little they
/// exceed the budget. Children are bred <see cref="BatchSize"/> at a time so the latency
/// predictor scores them in one call (steered, one at a time: each is a step of its own), and a child already evaluated is mutated further until it is
/// new. Never lists the space, so it scales to any size.
/// </summary>
public sealed class RegularizedEvolution : ISearchStrategy
{
    public int PopulationSize { get; init; } = 64;

    public int TournamentSize { get; init; } = 16;

    public int BatchSize { get; init; } = 16;

    public string Name => "evolution";

    public SearchOutcome Search(SearchProblem problem, int budget, int seed, CancellationToken cancellation = default)
    {
        if (PopulationSize < 2 || TournamentSize < 1 || TournamentSize > PopulationSize || BatchSize < 1)
        {
            throw new InvalidInputException("Evolution needs population ≥ 2, 1 ≤ tournament ≤ population and batch ≥ 1.");
        }
        return Evaluator.Run(Name, problem, cancellation, evaluator =>
        {
            var random = new Random(seed);
            int initial = (int)Math.Min(Math.Min(PopulationSize, budget), (double)problem.Space.Size);
            var population = new Queue<Candidate>();
            void Join(IEnumerable<Candidate> members)
            {
                foreach (var member in members)
                {
                    population.Enqueue(member);
                    if (population.Count > PopulationSize)
                    {
                        population.Dequeue();
                    }
                }
            }
            Join(evaluator.Evaluate(problem.Space.SampleDistinct(initial, seed)));
            Join(evaluator.TakePromoted());
            int stale = 0;
            while (evaluator.Count < budget && stale < 50)
            {
                var members = population.ToArray();
                int breed = Math.Min(BatchSize, budget - evaluator.Count); // never evaluate beyond the budget
                var children = new List<Architecture>(breed);
                for (int b = 0; b < breed; b++)
                {
                    Candidate parent = members[random.Next(members.Length)];
                    for (int t = 1; t < TournamentSize; t++)
                    {
                        var contender = members[random.Next(members.Length)];
                        if (Fitter(contender, parent, evaluator.MaxLatencyMs))
                        {
                            parent = contender;
                        }
                    }
                    children.Add(NovelMutant(problem.Space, parent.Architecture, evaluator, children, random));
                }
                int before = evaluator.Count;
                Join(evaluator.Evaluate(children));
                Join(evaluator.TakePromoted()); // the youngest members: they age out last
                // A small space can be exhausted around the optimum: stop when children stop being new.
                stale = evaluator.Count == before ? stale + 1 : 0;
            }
        });
    }

    /// <summary>
    /// A mutant not evaluated before: evaluations are cached, so re-proposing a known architecture
    /// wastes a slot in the population; a converged population would otherwise breed only repeats.
    /// Tries other one-step mutants of the parent and, alternately, two-step ones, up to 8 tries.
    /// </summary>
    private static Architecture NovelMutant(SearchSpace space, Architecture parent, Evaluator evaluator, List<Architecture> pending, Random random)
    {
        var child = space.Mutate(parent, random);
        for (int step = 0; step < 8 && (evaluator.Seen(child) || pending.Contains(child)); step++)
        {
            child = space.Mutate(step % 2 == 0 ? parent : child, random);
        }
        return child;
    }

    private static bool Fitter(Candidate a, Candidate b, double budget)
    {
        bool fitsA = a.Fits(budget), fitsB = b.Fits(budget);
        if (fitsA != fitsB)
        {
            return fitsA;
        }
        return fitsA ? a.Objective > b.Objective : a.LatencyMs < b.LatencyMs;
    }
}

/// <summary>The search strategies by name.</summary>
public enum SearchStrategyKind
{
    /// <summary>Exhaustive where the space can be listed quickly (<see cref="Core.Spaces.SearchSpace.CanBeListed"/>), else evolution.</summary>
    Auto,

    /// <summary>Every member of a space that can be listed.</summary>
    Exhaustive,

    /// <summary>Distinct architectures drawn uniformly, up to the evaluation budget.</summary>
    Random,

    /// <summary>Regularized evolution, up to the evaluation budget; never lists the space.</summary>
    Evolution,

    /// <summary>Shrinking from the costliest member, cheaper one decision at a time, then a short refinement; stops by itself.</summary>
    Shrink,
}

public static class SearchStrategies
{
    /// <summary>The strategy <paramref name="kind"/> means for <paramref name="space"/> (<see cref="SearchStrategyKind.Auto"/> resolved).</summary>
    public static SearchStrategyKind For(SearchStrategyKind kind, Core.Spaces.SearchSpace space)
        => kind != SearchStrategyKind.Auto ? kind : space.CanBeListed ? SearchStrategyKind.Exhaustive : SearchStrategyKind.Evolution;

    public static ISearchStrategy Create(SearchStrategyKind kind) => kind switch
    {
        SearchStrategyKind.Exhaustive => new ExhaustiveSearch(),
        SearchStrategyKind.Random => new RandomSearch(),
        SearchStrategyKind.Evolution => new RegularizedEvolution(),
        SearchStrategyKind.Shrink => new ShrinkingSearch(),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };
}
