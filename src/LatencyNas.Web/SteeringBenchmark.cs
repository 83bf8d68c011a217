using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using LatencyNas.Core;
using LatencyNas.Core.Spaces;
using LatencyNas.Core.Statistics;
using LatencyNas.Workflows;

namespace LatencyNas.Web;

/// <param name="Proxy">The device whose choice effects the steering rule reads, and whose predictor the searches adapt.</param>
/// <param name="Targets">The devices the budgets apply to (measured on the whole space: the truth the runs are scored on).</param>
/// <param name="TargetSamples">K: target measurements every search adapts the proxy with.</param>
/// <param name="Evaluations">Evaluation budget of every search.</param>
/// <param name="Seeds">Seeds per target and budget (the same for the unsteered and the steered run).</param>
public sealed record SteeringBenchmarkRequest(
    StoreLocation Store, string Proxy = SteeringBenchmarkRequest.DefaultProxy, IReadOnlyList<string>? Targets = null, string Objective = "cifar10_test_acc",
    int TargetSamples = 10, int Evaluations = SteeringBenchmarkRequest.DefaultEvaluations, int Seeds = 5)
{
    public const string DefaultProxy = "gold_6226";

    public const int DefaultEvaluations = 200;

    /// <summary>A phone, a single-board computer and an FPGA: three kinds of target, each measured on the whole space in HELP.</summary>
    public static readonly IReadOnlyList<string> DefaultTargets = ["pixel3", "raspi4", "fpga"];

    /// <summary>The targets to run: <see cref="Targets"/>, or <see cref="DefaultTargets"/> when none are given.</summary>
    public IReadOnlyList<string> TargetsOrDefault => Targets is { Count: > 0 } targets ? targets : DefaultTargets;
}

/// <summary>One target and budget: the unsteered and the steered runs over the seeds.</summary>
/// <param name="Percentile">The budget's percentile of the target's measured latencies.</param>
/// <param name="Optimum">The best objective of any architecture measured within the budget on the target.</param>
/// <param name="Banned">What the rule banned (the same for every budget: it reads only the proxy).</param>
public sealed record SteeringRow(
    string Target, int Percentile, double BudgetMs, double Optimum, SteeringRuns Unsteered, SteeringRuns Steered, IReadOnlyList<string> Banned);

/// <param name="MeanRegret">Mean over the seeds of the optimum less the objective of the architecture the run chose.</param>
/// <param name="OverBudget">Runs whose choice measures over the budget on the target (the adapted proxy read it low).</param>
/// <param name="ReachedOptimum">Runs that evaluated the optimum at all.</param>
/// <param name="MeanEvaluationsToOptimum">Over the runs that reached it: the evaluations until they first did.</param>
public sealed record SteeringRuns(double MeanRegret, double WorstRegret, int OverBudget, int ReachedOptimum, double? MeanEvaluationsToOptimum, int Runs);

public sealed record SteeringBenchmarkResult(string Proxy, int TargetSamples, int Evaluations, int Seeds, string Rule, IReadOnlyList<SteeringRow> Rows);

/// <summary>
/// What steering is worth: evolution unsteered against evolution steered by the workbench's own cue, a rule fixed in advance —
/// from the proxy's choice effects (<c>/api/effects</c>), ban at every edge each choice that adds latency and costs objective —
/// applied by this script through the workbench's HTTP API as a person would through the page (start paused, ban, resume).
/// Both runs of a seed search the proxy adapted with the same K target measurements; budgets at the 10th, 25th and 50th
/// percentile of the target's measured latencies; scored against the target's measurements.
/// </summary>
public sealed class SteeringBenchmark
{
    public const string Rule =
        "from the proxy's choice effects, ban each choice that adds latency and costs objective, and each whose latency effect, scaled to the target by " +
        "the K samples' median target/proxy ratio, exceeds a quarter of the budget";

    /// <summary>The share of the budget a single choice's scaled latency effect may take before the rule bans it.</summary>
    public const double BudgetShare = 0.25;

    public static readonly int[] Percentiles = [10, 25, 50];

    /// <exception cref="InvalidInputException">A device or objective the store lacks, or a target not measured on the whole space.</exception>
    public async Task<SteeringBenchmarkResult> RunAsync(SteeringBenchmarkRequest request, IProgress<SteeringRow>? rows = null, CancellationToken cancellation = default)
    {
        var space = SearchSpaces.Default;
        var truth = new Dictionary<string, IReadOnlyDictionary<string, double>>();
        IReadOnlyDictionary<string, double> objective;
        IReadOnlyDictionary<string, double> proxyTruth;
        using (var store = request.Store.OpenExisting())
        {
            foreach (string target in request.TargetsOrDefault)
            {
                var data = StoredLatencies.Load(store, target, space);
                if (data.Count < (int)space.Size)
                {
                    throw new InvalidInputException($"{target} has {data.Count:N0} of the {space.Size:N0} {space.Name} architectures measured; the benchmark scores runs against the whole space.");
                }
                truth[target] = data.Architectures.Zip(data.LatenciesMs).ToDictionary(p => p.First.Digits, p => p.Second);
            }
            var proxyData = StoredLatencies.Load(store, request.Proxy, space);
            proxyTruth = proxyData.Architectures.Zip(proxyData.LatenciesMs).ToDictionary(p => p.First.Digits, p => p.Second);
            objective = store.Objectives.GetOrEmpty(request.Objective, space);
            if (objective.Count == 0)
            {
                throw new InvalidInputException($"No objective '{request.Objective}' for {space.Name} in {request.Store.Location}.");
            }
        }

        await using var workbench = Workbench.Build(new WorkbenchOptions { Store = request.Store, Url = "http://127.0.0.1:0" });
        await workbench.StartAsync(cancellation);
        using var http = new HttpClient(new HttpClientHandler { CookieContainer = new System.Net.CookieContainer() }) { BaseAddress = new Uri(workbench.Urls.First()) };
        var token = JsonNode.Parse(await http.GetStringAsync("/api/antiforgery", cancellation))!;
        http.DefaultRequestHeaders.Add(Workbench.AntiforgeryHeader, (string)token["token"]!);

        // The rule reads the proxy's cues once: they do not depend on the target or the budget.
        var effects = JsonNode.Parse(await http.GetStringAsync($"/api/effects?devices={Uri.EscapeDataString(request.Proxy)}&objective={Uri.EscapeDataString(request.Objective)}", cancellation))!;
        var decisions = effects["decisions"]!.AsArray();
        var latency = effects["series"]![0]!["effects"]!.AsArray();
        var gain = effects["series"]![1]!["effects"]!.AsArray();
        List<(int Decision, int Choice, string Name)> Bans(double scale, double budget)
        {
            var bans = new List<(int Decision, int Choice, string Name)>();
            for (int d = 0; d < decisions.Count; d++)
            {
                for (int c = 0; c < latency[d]!.AsArray().Count; c++)
                {
                    double ms = (double?)latency[d]![c] ?? 0, objectiveEffect = (double?)gain[d]![c] ?? 0;
                    if (ms > 0 && (objectiveEffect < 0 || ms * scale > BudgetShare * budget))
                    {
                        bans.Add((d, c, $"{(string)decisions[d]!["choices"]![c]!} at {((string)decisions[d]!["name"]!).Split(' ')[0]}"));
                    }
                }
            }
            return bans;
        }

        var result = new List<SteeringRow>();
        foreach (string target in request.TargetsOrDefault)
        {
            double[] sorted = truth[target].Values.Order().ToArray();
            // What the rule may see of the target: K measurements, here to put the proxy's effects on the target's scale.
            var samples = space.SampleDistinct(request.TargetSamples, seed: 0).Select(a => a.Digits).Where(proxyTruth.ContainsKey).ToList();
            double scale = Descriptive.Median(samples.Select(a => truth[target][a] / proxyTruth[a]).ToArray());
            foreach (int percentile in Percentiles)
            {
                double budget = Descriptive.QuantileOfSorted(sorted, percentile / 100.0);
                var feasible = truth[target].Where(p => p.Value <= budget && objective.ContainsKey(p.Key)).ToList();
                double optimum = feasible.Max(p => objective[p.Key]);
                var optimal = feasible.Where(p => objective[p.Key] == optimum).Select(p => p.Key).ToHashSet();
                var bans = Bans(scale, budget);
                var unsteered = new List<Run>();
                var steered = new List<Run>();
                for (int seed = 0; seed < request.Seeds; seed++)
                {
                    var start = new
                    {
                        target, proxy = request.Proxy, target_samples = request.TargetSamples, objective = request.Objective, max_latency_ms = budget,
                        strategy = "evolution", evaluations = request.Evaluations, seed, start_paused = false, evaluations_per_second = (double?)null,
                    };
                    unsteered.Add(await SearchAsync(http, start, [], cancellation));
                    steered.Add(await SearchAsync(http, bans.Count > 0 ? start with { start_paused = true } : start, bans, cancellation));
                }
                SteeringRuns Score(List<Run> runs)
                {
                    var regrets = runs.Select(r => r.Ops is null ? optimum : optimum - objective[r.Ops]).ToList();
                    var reached = runs.Select(r => r.Evaluated.FindIndex(optimal.Contains)).Where(i => i >= 0).ToList();
                    return new SteeringRuns(regrets.Average(), regrets.Max(), runs.Count(r => r.Ops is null || truth[target][r.Ops] > budget), reached.Count,
                        reached.Count > 0 ? reached.Average(i => i + 1.0) : null, runs.Count);
                }
                var row = new SteeringRow(target, percentile, budget, optimum, Score(unsteered), Score(steered), bans.Select(b => b.Name).ToList());
                result.Add(row);
                rows?.Report(row);
            }
        }
        await workbench.StopAsync(cancellation);
        return new SteeringBenchmarkResult(request.Proxy, request.TargetSamples, request.Evaluations, request.Seeds, Rule, result);
    }

    private sealed record Run(string? Ops, List<string> Evaluated);

    /// <summary>One search through the API: started (paused when there is something to ban), banned, resumed, waited for, and its record read.</summary>
    private static async Task<Run> SearchAsync(HttpClient http, object start, IReadOnlyList<(int Decision, int Choice, string Name)> bans, CancellationToken cancellation)
    {
        await Post(http, "/api/search", start, cancellation);
        foreach (var (decision, choice, _) in bans)
        {
            await Post(http, "/api/search/actions", new { kind = "ban", decision, choice }, cancellation);
        }
        if (bans.Count > 0)
        {
            await Post(http, "/api/search/actions", new { kind = "resume" }, cancellation);
        }
        while (true)
        {
            var state = JsonNode.Parse(await http.GetStringAsync("/api/search", cancellation))!;
            string status = (string)state["status"]!;
            if (status == "failed")
            {
                throw new RunFailedException($"A search of the benchmark failed: {(string?)state["error"]}");
            }
            if (status is "finished" or "stopped")
            {
                break;
            }
            await Task.Delay(20, cancellation);
        }
        var record = JsonSerializer.Deserialize<SearchRecord>(await http.GetStringAsync("/api/search/record", cancellation), ResultJson.Options)!;
        return new Run(record.Result?.Ops, record.Evaluated.Select(e => e.Ops).ToList());
    }

    private static async Task Post(HttpClient http, string path, object body, CancellationToken cancellation)
    {
        using var response = await http.PostAsJsonAsync(path, body, cancellation);
        if (!response.IsSuccessStatusCode)
        {
            string problem = await response.Content.ReadAsStringAsync(cancellation);
            throw new RunFailedException($"{path} answered {(int)response.StatusCode}: {problem}");
        }
    }
}
