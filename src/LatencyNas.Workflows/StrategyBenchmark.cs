using LatencyNas.Analysis.Search;
using LatencyNas.Core;
using LatencyNas.Core.Spaces;
using LatencyNas.Core.Statistics;
using LatencyNas.Prediction;

namespace LatencyNas.Workflows;

/// <param name="Devices">Device names or patterns measured on <paramref name="Space"/>.</param>
/// <param name="Objective">What the searches maximise (an objective in the store, or params, macs...).</param>
/// <param name="Evaluations">The evaluation budget of every search; evolution and random search also run with what shrinking spent.</param>
/// <param name="Repeats">Seeds per device and latency budget.</param>
public sealed record StrategyBenchmarkRequest(
    SearchSpace Space, IReadOnlyList<string> Devices, string Objective, StoreLocation Store, int Evaluations = 1_000, int Repeats = 5)
{
    public static readonly IReadOnlyList<int> Percentiles = [10, 25, 50, 75];
}

/// <summary>One strategy under one evaluation budget, on one device and latency budget, over the seeds.</summary>
/// <param name="Strategy">shrink, or evolution / random with the evaluations shrinking spent ("matched") or the full budget.</param>
/// <param name="MeanRegret">Mean of (best − found) / |best| over the seeds; 1 for a run that found nothing within the budget.</param>
/// <param name="ReachedBest">Seeds whose run found the best objective.</param>
public sealed record StrategyRow(
    string Device, int Percentile, double BudgetMs, string Strategy, double MeanEvaluations, double MeanRegret, double WorstRegret, int ReachedBest, int Runs);

/// <summary>One strategy over every device, latency budget and seed.</summary>
public sealed record StrategySummary(string Strategy, double MeanEvaluations, double MeanRegret, double WorstRegret, int ReachedBest, int Runs);

/// <param name="Best">
/// What regret is measured against: "optimum" where a device's measurements cover the whole space
/// (the search runs on them, and exhaustive search gives the true optimum), else "best found" (the
/// search runs on a predictor trained on all of them; the best any run found).
/// </param>
public sealed record StrategyBenchmarkResult(
    string Space, string Objective, int Evaluations, int Repeats, string Best, IReadOnlyList<StrategyRow> Rows, IReadOnlyList<StrategySummary> Summary);

/// <summary>
/// Shrinking search against evolution and random search: per device, latency budgets at the 10th,
/// 25th, 50th and 75th percentile of its measured latencies, each strategy run with several seeds;
/// regret against the optimum and evaluations spent. Evolution and random search run both with the
/// evaluations shrinking spent on the same seed and with the full evaluation budget.
/// </summary>
public sealed class StrategyBenchmark
{
    public StrategyBenchmarkResult Run(StrategyBenchmarkRequest request, IProgress<StrategyRow>? rows = null, CancellationToken cancellation = default)
    {
        if (request.Evaluations < 10 || request.Repeats < 1)
        {
            throw new InvalidInputException("The strategy benchmark needs at least 10 evaluations and 1 repeat.");
        }
        var space = request.Space;
        using var store = request.Store.OpenExisting();
        var devices = StoredLatencies.Resolve(store, request.Devices, space);
        ObjectiveCatalog.Check(store, space, request.Objective);
        var results = new List<StrategyRow>();
        int complete = 0;
        foreach (string device in devices)
        {
            var data = StoredLatencies.Load(store, device, space);
            bool listed = data.Architectures.Count == space.Size;
            complete += listed ? 1 : 0;
            ILatencyEstimator latency = listed ? new MeasuredLatencies(data) : PredictorTrainer.Train(PredictorModel.LightGbm, data, 0).Predictor;
            var objective = ObjectiveCatalog.Open(store, space, data.Dataset, request.Objective, 0);
            var sorted = data.LatenciesMs.Order().ToArray();
            foreach (int percentile in StrategyBenchmarkRequest.Percentiles)
            {
                cancellation.ThrowIfCancellationRequested();
                double budget = Descriptive.QuantileOfSorted(sorted, percentile / 100.0);
                var problem = new SearchProblem(space, latency, objective, budget);
                var runs = new Dictionary<string, List<SearchOutcome>>();
                void Add(string name, SearchOutcome outcome) => (runs.TryGetValue(name, out var list) ? list : runs[name] = []).Add(outcome);
                for (int seed = 0; seed < request.Repeats; seed++)
                {
                    var shrunk = new ShrinkingSearch().Search(problem, request.Evaluations, seed, cancellation);
                    Add("shrink", shrunk);
                    int matched = Math.Max(1, shrunk.Evaluations);
                    Add("evolution (matched)", new RegularizedEvolution().Search(problem, matched, seed, cancellation));
                    Add("random (matched)", new RandomSearch().Search(problem, matched, seed, cancellation));
                    Add("evolution", new RegularizedEvolution().Search(problem, request.Evaluations, seed, cancellation));
                    Add("random", new RandomSearch().Search(problem, request.Evaluations, seed, cancellation));
                }
                double? best = listed
                    ? new ExhaustiveSearch().Search(problem, 0, 0, cancellation).Best?.Objective
                    : runs.Values.SelectMany(r => r).Where(o => o.Best is not null).Select(o => (double?)o.Best!.Objective).Max();
                if (best is not { } target)
                {
                    continue; // nothing fits this budget
                }
                foreach (var (strategy, outcomes) in runs)
                {
                    var regrets = outcomes.Select(o => Regret(o, target)).ToList();
                    var row = new StrategyRow(data.Device, percentile, budget, strategy, outcomes.Average(o => o.Evaluations), regrets.Average(), regrets.Max(),
                        regrets.Count(r => r <= 0), outcomes.Count);
                    results.Add(row);
                    rows?.Report(row);
                }
            }
        }
        var summary = results.GroupBy(r => r.Strategy).Select(g => new StrategySummary(g.Key,
            g.Sum(r => r.MeanEvaluations * r.Runs) / g.Sum(r => r.Runs), g.Sum(r => r.MeanRegret * r.Runs) / g.Sum(r => r.Runs), g.Max(r => r.WorstRegret),
            g.Sum(r => r.ReachedBest), g.Sum(r => r.Runs))).ToList();
        return new StrategyBenchmarkResult(space.Name, request.Objective, request.Evaluations, request.Repeats,
            complete == devices.Count ? "optimum" : complete == 0 ? "best found" : "optimum where measured completely, else best found", results, summary);
    }

    private static double Regret(SearchOutcome outcome, double best)
        => outcome.Best is null ? 1 : best == 0 ? 0 : Math.Max(0, (best - outcome.Best.Objective) / Math.Abs(best));
}
