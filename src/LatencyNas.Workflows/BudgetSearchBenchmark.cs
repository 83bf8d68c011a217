using System.Globalization;
using System.Text;
using LatencyNas.Analysis.Reports;
using LatencyNas.Analysis.Search;
using LatencyNas.Core;
using LatencyNas.Core.IO;
using LatencyNas.Core.Spaces;
using LatencyNas.Core.Tables;
using LatencyNas.Core.Statistics;
using LatencyNas.Prediction;

namespace LatencyNas.Workflows;

/// <param name="Devices">Device names or patterns (<c>all</c>, a prefix ending in <c>*</c>) of devices measured on <paramref name="Space"/>.</param>
/// <param name="Objective">What the search maximises (params, macs, an objective in the store...).</param>
/// <param name="TrainSize">Measurements each device's predictor trains on; the rest are the pool whose true latencies judge the winner.</param>
/// <param name="Model">The predictor family (auto cross-validates, which costs a few seconds per device).</param>
/// <param name="Evaluations">Evaluations of each evolution and random search in the whole space.</param>
/// <param name="Repeats">Seeds of each whole-space search.</param>
/// <param name="Out">Directory for the CSV files and the objective-against-evaluations plot (null: none).</param>
public sealed record BudgetSearchRequest(
    SearchSpace Space, IReadOnlyList<string> Devices, string Objective, StoreLocation Store, int TrainSize = 900, PredictorModel Model = PredictorModel.LightGbm,
    int Evaluations = 10_000, int Repeats = 1, string? Out = null);

/// <summary>The winner among the held-out measured architectures, chosen on predicted latency, judged on the measured one.</summary>
/// <param name="TrueMs">The winner's measured latency (null when no predicted latency fits).</param>
/// <param name="Regret">(best objective that truly fits − the winner's) / best: what predicting rather than measuring cost; negative when a winner over the budget beats it.</param>
public sealed record PoolWinner(string? Architecture, double? PredictedMs, double? TrueMs, double? Regret)
{
    public bool BreaksBudget(double budgetMs) => TrueMs > budgetMs;
}

/// <summary>One device and budget.</summary>
/// <param name="Percentile">The budget as a percentile of the pool's measured latencies.</param>
/// <param name="EvolutionBest">Best objective evolution found in the whole space (mean over seeds; null when nothing fit).</param>
/// <param name="RandomBest">The same for random search.</param>
/// <param name="EvolutionSeconds">Mean wall time of one evolution run.</param>
public sealed record BudgetSearchRow(
    string Device, string Predictor, int Percentile, double BudgetMs, PoolWinner Pool, double? EvolutionBest, double? RandomBest, double EvolutionSeconds);

/// <summary>The best objective so far, relative to the best any whole-space run found for that device and budget, averaged over devices and seeds.</summary>
public sealed record SearchProgressPoint(string Strategy, int Percentile, int Evaluations, double RelativeObjective);

/// <summary>How often the winner breaks each budget on its true latency, and how far.</summary>
/// <param name="MedianOvershoot">Median of true / budget − 1 over the winners that break it (null when none does).</param>
public sealed record BudgetBreaks(int Percentile, int Winners, int Breaks, double? MedianOvershoot, double? MaxOvershoot, double MedianRegret);

public sealed record BudgetSearchResult(
    string Space, string Objective, int TrainSize, int Evaluations, int Repeats, IReadOnlyList<BudgetSearchRow> Rows, IReadOnlyList<BudgetBreaks> Breaks,
    IReadOnlyList<SearchProgressPoint> Progress, IReadOnlyList<string> Files);

/// <summary>
/// Latency-constrained search where the space cannot be listed, judged on real measurements. Per
/// device, a predictor trains on <see cref="BudgetSearchRequest.TrainSize"/> measured architectures;
/// budgets are percentiles of the other (held-out) architectures' measured latencies. (1) The pool:
/// among the held-out architectures the best objective whose predicted latency fits wins, and its
/// measured latency says whether it breaks the budget — the only winners whose truth is known.
/// (2) The whole space: evolution and random search on the predictor, and the best objective
/// against the number of evaluations.
/// </summary>
public sealed class BudgetSearchBenchmark
{
    public static readonly IReadOnlyList<int> Percentiles = [25, 50, 75];

    /// <summary>Where the objective-against-evaluations curve is sampled (a 1-2-5 series up to the evaluations).</summary>
    public static IReadOnlyList<int> Checkpoints(int evaluations)
    {
        var points = new List<int>();
        for (int decade = 10; decade <= evaluations; decade *= 10)
        {
            points.AddRange(new[] { decade, 2 * decade, 5 * decade }.Where(n => n <= evaluations));
        }
        if (points.Count == 0 || points[^1] != evaluations)
        {
            points.Add(evaluations);
        }
        return points;
    }

    public BudgetSearchResult Run(BudgetSearchRequest request, IProgress<BudgetSearchRow>? rows = null, CancellationToken cancellation = default)
    {
        if (request.Evaluations < 10 || request.Repeats < 1)
        {
            throw new InvalidInputException("The budget-search benchmark needs at least 10 evaluations and 1 repeat.");
        }
        if (request.Out is { } folder)
        {
            AtomicFile.CheckFolder(folder, "--out");
        }
        var space = request.Space;
        using var store = request.Store.OpenExisting();
        var devices = StoredLatencies.Resolve(store, request.Devices, space);
        ObjectiveCatalog.Check(store, space, request.Objective);
        var checkpoints = Checkpoints(request.Evaluations);
        var results = new List<BudgetSearchRow>();
        // Per strategy and percentile: each run's best-so-far at each checkpoint, relative to its device and budget's best.
        var curves = new Dictionary<(string, int), List<double[]>>();
        foreach (string device in devices)
        {
            var data = StoredLatencies.Load(store, device, space);
            var (train, pool) = data.Split(request.TrainSize, 0);
            var objective = ObjectiveCatalog.Open(store, space, data.Dataset, request.Objective, 0);
            var predictor = PredictorTrainer.Train(request.Model, train, 0).Predictor;
            double[] predicted = predictor.Predict(pool.Architectures);
            double[] objectives = objective.Evaluate(pool.Architectures);
            var sortedTrue = pool.LatenciesMs.Order().ToArray();
            foreach (int percentile in Percentiles)
            {
                cancellation.ThrowIfCancellationRequested();
                double budget = Descriptive.QuantileOfSorted(sortedTrue, percentile / 100.0);
                var winner = PoolWinnerOf(pool, predicted, objectives, budget);
                var problem = new SearchProblem(space, predictor, objective, budget);
                var evolution = Enumerable.Range(0, request.Repeats).Select(seed => new RegularizedEvolution().Search(problem, request.Evaluations, seed, cancellation)).ToList();
                var random = Enumerable.Range(0, request.Repeats).Select(seed => new RandomSearch().Search(problem, request.Evaluations, seed, cancellation)).ToList();
                var found = evolution.Concat(random).Where(o => o.Best is not null).Select(o => o.Best!.Objective).ToList();
                if (found.Count > 0)
                {
                    double best = found.Max();
                    foreach (var outcome in evolution.Concat(random))
                    {
                        var key = (outcome.Strategy, percentile);
                        if (!curves.TryGetValue(key, out var list))
                        {
                            curves[key] = list = [];
                        }
                        list.Add(checkpoints.Select(n => BestAt(outcome, n) / best).ToArray());
                    }
                }
                var row = new BudgetSearchRow(data.Device, predictor.Description, percentile, budget, winner, MeanBest(evolution), MeanBest(random),
                    evolution.Average(o => o.Elapsed.TotalSeconds));
                results.Add(row);
                rows?.Report(row);
            }
        }
        var breaks = Percentiles.Select(p => Summarise(p, results.Where(r => r.Percentile == p).ToList())).ToList();
        var progress = curves.OrderBy(c => c.Key.Item2).ThenBy(c => c.Key.Item1, StringComparer.Ordinal)
            .SelectMany(c => checkpoints.Select((n, i) => new SearchProgressPoint(c.Key.Item1, c.Key.Item2, n, c.Value.Average(run => run[i])))).ToList();
        var files = request.Out is { } directory ? Write(directory, request, results, progress) : [];
        return new BudgetSearchResult(space.Name, request.Objective, request.TrainSize, request.Evaluations, request.Repeats, results, breaks, progress, files);
    }

    private static PoolWinner PoolWinnerOf(Prediction.LatencyData pool, double[] predicted, double[] objectives, double budget)
    {
        int chosen = -1, truthBest = -1;
        for (int i = 0; i < predicted.Length; i++)
        {
            if (predicted[i] <= budget && (chosen < 0 || objectives[i] > objectives[chosen] || (objectives[i] == objectives[chosen] && predicted[i] < predicted[chosen])))
            {
                chosen = i;
            }
            if (pool.LatenciesMs[i] <= budget && (truthBest < 0 || objectives[i] > objectives[truthBest]))
            {
                truthBest = i;
            }
        }
        if (chosen < 0)
        {
            return new PoolWinner(null, null, null, null);
        }
        double regret = truthBest < 0 || objectives[truthBest] == 0 ? 0 : (objectives[truthBest] - objectives[chosen]) / Math.Abs(objectives[truthBest]);
        return new PoolWinner(pool.Architectures[chosen].Digits, predicted[chosen], pool.LatenciesMs[chosen], regret);
    }

    /// <summary>The best objective a run had after <paramref name="evaluations"/> evaluations (0 before anything fit).</summary>
    private static double BestAt(SearchOutcome outcome, int evaluations)
    {
        double best = 0;
        foreach (var (n, objective) in outcome.BestTrace)
        {
            if (n > evaluations)
            {
                break;
            }
            best = objective;
        }
        return best;
    }

    private static double? MeanBest(IReadOnlyList<SearchOutcome> outcomes)
    {
        var bests = outcomes.Where(o => o.Best is not null).Select(o => o.Best!.Objective).ToList();
        return bests.Count > 0 ? bests.Average() : null;
    }

    private static BudgetBreaks Summarise(int percentile, IReadOnlyList<BudgetSearchRow> rows)
    {
        var winners = rows.Where(r => r.Pool.TrueMs is not null).ToList();
        var overshoots = winners.Where(r => r.Pool.BreaksBudget(r.BudgetMs)).Select(r => r.Pool.TrueMs!.Value / r.BudgetMs - 1).ToList();
        return new BudgetBreaks(percentile, winners.Count, overshoots.Count, overshoots.Count > 0 ? Descriptive.Median(overshoots) : null,
            overshoots.Count > 0 ? overshoots.Max() : null, winners.Count > 0 ? Descriptive.Median(winners.Select(r => r.Pool.Regret!.Value).ToList()) : 0);
    }

    private static IReadOnlyList<string> Write(string directory, BudgetSearchRequest request, IReadOnlyList<BudgetSearchRow> rows, IReadOnlyList<SearchProgressPoint> progress)
    {
        Directory.CreateDirectory(directory);
        static string N(double? value) => value?.ToString("R", CultureInfo.InvariantCulture) ?? "";
        var budgets = new StringBuilder("device,predictor,percentile,budget_ms,pool_winner,predicted_ms,true_ms,breaks_budget,regret,evolution_best,random_best,evolution_seconds\n");
        foreach (var r in rows)
        {
            budgets.Append(CultureInfo.InvariantCulture, $"{CsvTable.Escape(r.Device)},{CsvTable.Escape(r.Predictor)},{r.Percentile},{N(r.BudgetMs)},{r.Pool.Architecture},")
                .Append(CultureInfo.InvariantCulture, $"{N(r.Pool.PredictedMs)},{N(r.Pool.TrueMs)},{(r.Pool.TrueMs is null ? "" : r.Pool.BreaksBudget(r.BudgetMs) ? "true" : "false")},")
                .Append(CultureInfo.InvariantCulture, $"{N(r.Pool.Regret)},{N(r.EvolutionBest)},{N(r.RandomBest)},{N(r.EvolutionSeconds)}\n");
        }
        var curve = new StringBuilder("strategy,percentile,evaluations,relative_objective\n");
        foreach (var p in progress)
        {
            curve.Append(CultureInfo.InvariantCulture, $"{p.Strategy},{p.Percentile},{p.Evaluations},{N(p.RelativeObjective)}\n");
        }
        string budgetsCsv = Path.Combine(directory, "budget-search.csv");
        string curveCsv = Path.Combine(directory, "objective-vs-evaluations.csv");
        AtomicFile.WriteAllText(budgetsCsv, budgets.ToString());
        AtomicFile.WriteAllText(curveCsv, curve.ToString());
        var series = progress.GroupBy(p => (p.Strategy, p.Percentile))
            .Select(g => new ProgressSeries($"{g.Key.Strategy}, budget p{g.Key.Percentile}", g.Select(p => (double)p.Evaluations).ToArray(), g.Select(p => p.RelativeObjective).ToArray()))
            .ToList();
        var plots = ReportWriter.WriteProgress(Path.Combine(directory, "objective-vs-evaluations"), series, $"best {request.Objective} so far / best found",
            $"{request.Space.Name}: {request.Objective} under a latency budget, on {rows.Select(r => r.Device).Distinct().Count()} devices' predictors (mean over devices and {request.Repeats} seed(s))");
        return [budgetsCsv, curveCsv, .. plots];
    }
}
