using LatencyNas.Core.IO;
using System.CommandLine;
using System.Globalization;
using System.Text;
using LatencyNas.Analysis;
using LatencyNas.Analysis.Search;
using LatencyNas.Core;
using LatencyNas.Core.Spaces;
using LatencyNas.Core.Statistics;
using LatencyNas.Prediction;
using LatencyNas.Profiling;
using LatencyNas.Profiling.Devices;
using LatencyNas.Profiling.Store;
using LatencyNas.Profiling.Timing;
using LatencyNas.Torch.Networks;
using LatencyNas.Torch.Runners;
using ScottPlot;

namespace LatencyNas.Cli.Commands;

/// <summary>Latency-constrained search, and the zero-cost accuracy proxies it can optimise.</summary>
internal static class SearchCommands
{
    public static Command Search()
    {
        var spaceOption = CommonOptions.Space();
        var targetOption = new Option<string>("--target") { Description = "The device the budget applies to (a device in the store).", Required = true };
        var proxyOption = new Option<string?>("--proxy") { Description = "Predict latency with this device's predictor instead (as is, or adapted with --adapt)." };
        var adaptOption = new Option<int?>("--adapt") { Description = "Adapt the proxy with K of the target's measurements." };
        var methodOption = AnalysisCommands.AdaptMethodOption();
        var latencyOption = new Option<string>("--latency") { Description = "Without --proxy: predicted (the target's predictor; default) or measured (its measurements, the predictor where it has none).", DefaultValueFactory = _ => "predicted" };
        latencyOption.AcceptOnlyFromAmong("predicted", "measured");
        var maxLatencyOption = new Option<double?>("--max-latency") { Description = "Latency budget in ms on the target." };
        var objectiveOption = new Option<string>("--objective")
        {
            Description = "What to maximise: an objective in the store (e.g. cifar10_test_acc), or a training-free proxy: params, macs, synflow, zico.",
            Required = true,
        };
        var strategyOption = new Option<string>("--strategy") { Description = "exhaustive, random or evolution.", DefaultValueFactory = _ => "evolution" };
        strategyOption.AcceptOnlyFromAmong([.. SearchStrategies.Names]);
        var budgetOption = CommonOptions.Positive("--budget", "Most architectures to evaluate (random, evolution).", 1000);
        var seedOption = CommonOptions.Seed();
        var verifyOption = new Option<bool>("--verify") { Description = "Measure the chosen architecture on the target (live device) or look it up (imported) and check the budget." };
        var sweepOption = new Option<bool>("--sweep") { Description = "Search under a series of budgets and write the predicted Pareto front (CSV, PNG, SVG) to --out." };
        var budgetsOption = new Option<string?>("--budgets") { Description = "Budgets (ms) for --sweep, comma-separated (default: 10th…90th percentiles of predicted latency)." };
        var outOption = new Option<string?>("--out") { Description = "CSV file for --sweep." };
        var storeOption = CommonOptions.Store();
        var jsonOption = CommonOptions.Json();
        var command = new Command("search", "Find the best architecture (by an objective) whose latency on a target stays under a budget.")
        {
            spaceOption, targetOption, proxyOption, adaptOption, methodOption, latencyOption, maxLatencyOption, objectiveOption, strategyOption,
            budgetOption, seedOption, verifyOption, sweepOption, budgetsOption, outOption, storeOption, jsonOption,
        };
        command.SetHandler(async (parse, cancellation) =>
        {
            var space = SearchSpaces.Get(parse.GetValue(spaceOption)!);
            string storePath = parse.GetValue(storeOption)!;
            using var store = ProfileStore.Open(storePath, createIfMissing: false);
            var target = LatencyData.FromStore(store, parse.GetValue(targetOption)!, space);
            int seed = parse.GetValue(seedOption);
            var latency = LatencySource(store, storePath, space, target, parse.GetValue(proxyOption), parse.GetValue(adaptOption),
                AnalysisCommands.ParseMethod(parse.GetValue(methodOption)!), parse.GetValue(latencyOption)!, seed);
            var objective = Objective(store, space, target.Dataset, parse.GetValue(objectiveOption)!, seed);
            var strategy = SearchStrategies.Create(parse.GetValue(strategyOption)!);
            int budget = parse.GetValue(budgetOption);

            if (parse.GetValue(sweepOption))
            {
                string output = parse.GetValue(outOption) ?? throw new InvalidInputException("--sweep writes its front to --out FILE.csv; give --out.");
                var budgets = parse.GetValue(budgetsOption) is { } list ? ParseBudgets(list) : DefaultBudgets(space, latency, seed);
                return Sweep(space, latency, objective, strategy, budget, seed, budgets, output, parse.GetValue(jsonOption), cancellation);
            }

            double maxLatency = parse.GetValue(maxLatencyOption) ?? throw new InvalidInputException("Give --max-latency MS (or --sweep).");
            if (!(maxLatency > 0))
            {
                throw new InvalidInputException($"--max-latency must be positive (got {maxLatency}).");
            }
            var result = strategy.Search(new SearchProblem(space, latency, objective, maxLatency), budget, seed, cancellation);
            if (result.Best is null)
            {
                Console.Error.WriteLine($"latnas: nothing fits: no architecture evaluated has a {latency.Description} latency within {maxLatency} ms " +
                                        $"({result.Evaluations:N0} evaluated by {result.Strategy}); raise --max-latency.");
                if (parse.GetValue(jsonOption))
                {
                    Json.Write(new { arch = (string?)null, max_latency_ms = maxLatency, evaluations = result.Evaluations, within_budget = false });
                }
                return ExitCodes.RunFailed;
            }
            double? measured = parse.GetValue(verifyOption) ? await VerifyAsync(store, space, target, result.Best.Architecture, cancellation) : null;
            bool? within = measured is { } m ? m <= maxLatency : null;
            if (parse.GetValue(jsonOption))
            {
                Json.Write(new
                {
                    arch = space.Format(result.Best.Architecture),
                    ops = result.Best.Architecture.Digits,
                    predicted_ms = result.Best.LatencyMs,
                    objective = result.Best.Objective,
                    objective_name = objective.Name,
                    max_latency_ms = maxLatency,
                    latency_source = latency.Description,
                    strategy = result.Strategy,
                    evaluations = result.Evaluations,
                    evaluations_to_best = result.EvaluationsToBest,
                    wall_seconds = result.Elapsed.TotalSeconds,
                    measured_ms = measured,
                    within_budget = within ?? result.Best.LatencyMs <= maxLatency,
                    verified = measured is not null,
                });
            }
            else
            {
                Console.WriteLine($"best   {space.Format(result.Best.Architecture)} ({result.Best.Architecture.Digits})");
                Console.WriteLine($"{objective.Name,-6} {result.Best.Objective.ToString("G6", CultureInfo.InvariantCulture)}");
                Console.WriteLine($"latency {result.Best.LatencyMs:F4} ms predicted by {latency.Description} (budget {maxLatency} ms)");
                Console.WriteLine($"search {result.Strategy}: {result.Evaluations:N0} evaluations ({result.EvaluationsToBest:N0} to the best) in {result.Elapsed.TotalSeconds:F2} s");
                if (measured is { } value)
                {
                    Console.WriteLine($"verify measured {value:F4} ms on {target.Device}: {(within == true ? "within" : "OVER")} the budget");
                }
            }
            return within == false ? ExitCodes.RunFailed : ExitCodes.Success;
        });
        return command;
    }

    public static Command ZeroCost()
    {
        var spaceOption = CommonOptions.Space();
        var sampleOption = CommonOptions.Positive("--sample", "Architectures to score.", 100);
        var seedOption = CommonOptions.Seed();
        var datasetOption = CommonOptions.Dataset();
        var objectiveOption = new Option<string?>("--objective") { Description = "An objective in the store to rank the proxies against (e.g. cifar10_test_acc)." };
        var storeOption = CommonOptions.Store();
        var jsonOption = CommonOptions.Json();
        var command = new Command("zerocost",
            "Compute the training-free accuracy proxies (params, macs, synflow, zico) on a sample and report each one's Kendall tau against a benchmark objective.")
        {
            spaceOption, sampleOption, seedOption, datasetOption, objectiveOption, storeOption, jsonOption,
        };
        command.SetHandler(parse =>
        {
            var space = SearchSpaces.Get(parse.GetValue(spaceOption)!);
            var dataset = space.ParseDataset(parse.GetValue(datasetOption)!);
            int seed = parse.GetValue(seedOption);
            using var store = ProfileStore.Open(parse.GetValue(storeOption)!);
            IReadOnlyDictionary<string, double>? truth = parse.GetValue(objectiveOption) is { } name ? store.Objective(name, space) : null;
            var sample = space.SampleDistinct(parse.GetValue(sampleOption), seed).Where(a => truth is null || truth.ContainsKey(a.Digits)).ToList();
            var rows = new List<(string Proxy, double Kendall, double Srcc, double SecondsPerArchitecture)>();
            foreach (string proxy in new[] { "params", "macs" }.Concat(ZeroCostProxies.Names))
            {
                var clock = System.Diagnostics.Stopwatch.StartNew();
                double[] scores = Objective(store, space, dataset, proxy, seed).Evaluate(sample);
                double seconds = clock.Elapsed.TotalSeconds / sample.Count;
                double kendall = double.NaN, srcc = double.NaN;
                if (truth is not null)
                {
                    double[] accuracy = sample.Select(a => truth[a.Digits]).ToArray();
                    kendall = RankCorrelation.KendallTauB(scores, accuracy);
                    srcc = RankCorrelation.Spearman(scores, accuracy);
                }
                rows.Add((proxy, kendall, srcc, seconds));
                Console.Error.WriteLine($"{proxy}: {seconds * 1000:F1} ms per architecture");
            }
            if (parse.GetValue(jsonOption))
            {
                Json.Write(rows.Select(r => new { proxy = r.Proxy, kendall = r.Kendall, srcc = r.Srcc, seconds_per_architecture = r.SecondsPerArchitecture, sample = sample.Count }));
                return ExitCodes.Success;
            }
            Console.WriteLine($"{sample.Count} {space.Name} architectures on {dataset.Name}{(truth is null ? "" : $", ranked against {parse.GetValue(objectiveOption)}")}");
            foreach (var r in rows)
            {
                Console.WriteLine($"{r.Proxy,-8} Kendall tau {r.Kendall,7:F4}  SRCC {r.Srcc,7:F4}  {r.SecondsPerArchitecture * 1000,8:F1} ms per architecture");
            }
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>The latency model the search trusts, per the options.</summary>
    internal static ILatencyEstimator LatencySource(ProfileStore store, string storePath, SearchSpace space, LatencyData target, string? proxyName, int? adapt,
        AdaptationMethod? method, string latencyMode, int seed)
    {
        if (proxyName is null)
        {
            if (adapt is not null)
            {
                throw new InvalidInputException("--adapt needs --proxy.");
            }
            var predictor = new Lazy<ILatencyEstimator>(() => SavedOrTrained(storePath, target, seed));
            return latencyMode == "measured"
                ? AdaptationExperiment.MeasuredOr(target, () => predictor.Value)
                : predictor.Value;
        }
        var proxy = LatencyData.FromStore(store, proxyName, space);
        if (adapt is not { } k)
        {
            return SavedOrTrained(storePath, proxy, seed);
        }
        var samples = target.Split(k, seed).Train;
        return AnalysisCommands.AdaptProxy(store, space, proxy, samples, method, needed: null, () => SavedOrTrained(storePath, proxy, seed));
    }

    /// <summary>The device's saved predictor, or one trained now (auto) on all its measurements.</summary>
    private static ILatencyEstimator SavedOrTrained(string storePath, LatencyData device, int seed)
    {
        try
        {
            return PredictorFile.Load(PredictCommands.FindPredictor(storePath, device.Device, model: null)).Predictor;
        }
        catch (InvalidInputException) when (!Directory.Exists(Path.GetDirectoryName(PredictorFile.PathFor(storePath, device.Device, "auto"))))
        {
            Console.Error.WriteLine($"latnas: no saved predictor for {device.Device}; training one on its {device.Count:N0} measurements (latnas train saves it).");
            return PredictorTrainer.Train("auto", device, seed, folds: 3).Predictor;
        }
    }

    /// <summary>An objective by name: stored (imported or cached), analytic, or a zero-cost proxy computed with TorchSharp and cached in the store.</summary>
    internal static IObjective Objective(ProfileStore store, SearchSpace space, Dataset dataset, string name, int seed)
    {
        if (name is "params" or "macs")
        {
            return ComputedObjective.Analytic(name, space, dataset);
        }
        if (ZeroCostProxies.Names.Contains(name))
        {
            string cacheName = $"zerocost:{name}:{dataset.Name}:{dataset.Resolution}:seed{seed}";
            var cached = store.ObjectiveOrEmpty(cacheName, space);
            return new ComputedObjective(name, architectures =>
            {
                var missing = architectures.Where(a => !cached.ContainsKey(a.Digits)).ToList();
                var computed = missing.Select(a => (a, ZeroCostProxies.Compute(name, space, a, dataset, seed))).ToList();
                if (computed.Count > 0)
                {
                    store.SaveObjective(cacheName, space, dataset, computed, "latnas zerocost");
                }
                var values = computed.ToDictionary(p => p.a.Digits, p => p.Item2);
                return architectures.Select(a => cached.TryGetValue(a.Digits, out double v) ? v : values[a.Digits]).ToArray();
            });
        }
        return new TableObjective(name, store.Objective(name, space));
    }

    private static async Task<double?> VerifyAsync(ProfileStore store, SearchSpace space, LatencyData target, Architecture chosen, CancellationToken cancellation)
    {
        var device = store.GetDevice(target.Device);
        if (device.Kind == DeviceKind.Table)
        {
            var measured = new MeasuredLatencies(target);
            if (!measured.Covers(chosen))
            {
                Console.Error.WriteLine($"latnas: {chosen.Digits} was never measured on the imported device {target.Device}; cannot verify.");
                return null;
            }
            return measured.Predict([chosen])[0];
        }
        string source = device.Source ?? throw new InvalidInputException($"The store does not say which descriptor measured '{device.Name}'; cannot measure it again.");
        var descriptor = DeviceDescriptorReader.Resolve(source.StartsWith("embedded:", StringComparison.Ordinal) ? source["embedded:".Length..] : source) with { Name = device.Name };
        await using var runner = DeviceRunners.Create(descriptor);
        // Measured like `latnas profile` would (the descriptor's protocol); a stored failure is tried again.
        var options = new ProfileOptions { Protocol = descriptor.Protocol ?? MeasurementProtocol.Default, RetryFailed = true };
        var summary = await new Profiler(runner, store, options).RunAsync(space, [chosen], progress: null, cancellation);
        if (summary.Failures.Count > 0 || summary.StopReason is not null)
        {
            throw new RunFailedException($"verification on {device.Name} failed: {summary.Failures.FirstOrDefault()?.Reason ?? summary.StopReason}");
        }
        return store.Latencies(device, space).TryGetValue(chosen.Digits, out double latency)
            ? latency
            : throw new RunFailedException($"verification on {device.Name} stored no measurement of {chosen.Digits}.");
    }

    private static int Sweep(SearchSpace space, ILatencyEstimator latency, IObjective objective, ISearchStrategy strategy, int budget, int seed,
        IReadOnlyList<double> budgets, string output, bool json, CancellationToken cancellation)
    {
        var rows = new List<(double Budget, Candidate? Best, int Evaluations)>();
        foreach (double maxLatency in budgets)
        {
            var result = strategy.Search(new SearchProblem(space, latency, objective, maxLatency), budget, seed, cancellation);
            rows.Add((maxLatency, result.Best, result.Evaluations));
            Console.Error.WriteLine($"budget {maxLatency:F4} ms: {(result.Best is null ? "nothing fits" : $"{result.Best.Architecture.Digits} {objective.Name} {result.Best.Objective:G5} at {result.Best.LatencyMs:F4} ms")}");
        }
        var csv = new StringBuilder("budget_ms,arch,ops,predicted_ms,objective,evaluations\n");
        foreach (var (maxLatency, best, evaluations) in rows)
        {
            csv.Append(CultureInfo.InvariantCulture, $"{maxLatency:G9},{(best is null ? "" : Core.Tables.CsvTable.Escape(space.Format(best.Architecture)))},{best?.Architecture.Digits},{best?.LatencyMs:G9},{best?.Objective:G9},{evaluations}\n");
        }
        AtomicFile.WriteAllText(output, csv.ToString());
        var front = Pareto.Front(rows.Where(r => r.Best is not null).Select((r, i) => new ParetoPoint(i, r.Best!.LatencyMs, r.Best.Objective)));
        var plot = new Plot();
        var line = plot.Add.Scatter(front.Select(p => p.Latency).ToArray(), front.Select(p => p.Objective).ToArray());
        line.ConnectStyle = ConnectStyle.StepHorizontal;
        line.MarkerSize = 7;
        line.LegendText = latency.Description;
        plot.ShowLegend(Alignment.LowerRight);
        plot.XLabel("predicted latency (ms)");
        plot.YLabel(objective.Name);
        plot.Title($"Predicted Pareto front ({strategy.Name}, {budgets.Count} budgets)");
        string stem = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(output))!, Path.GetFileNameWithoutExtension(output));
        plot.SavePng(stem + ".png", 900, 600);
        plot.SaveSvg(stem + ".svg", 900, 600);
        if (json)
        {
            Json.Write(rows.Select(r => new { budget_ms = r.Budget, arch = r.Best is null ? null : space.Format(r.Best.Architecture), predicted_ms = r.Best?.LatencyMs, objective = r.Best?.Objective, evaluations = r.Evaluations }));
        }
        else
        {
            Console.WriteLine($"wrote {output}, {stem}.png and {stem}.svg: {front.Count} front points from {budgets.Count} budgets");
        }
        return rows.Any(r => r.Best is not null) ? ExitCodes.Success : ExitCodes.RunFailed;
    }

    private static IReadOnlyList<double> ParseBudgets(string list)
    {
        var budgets = new List<double>();
        foreach (string item in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            budgets.Add(double.TryParse(item, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && value > 0
                ? value
                : throw new InvalidInputException($"--budgets: '{item}' is not a positive number of milliseconds."));
        }
        return budgets.Count > 0 ? budgets : throw new InvalidInputException("--budgets is empty.");
    }

    private static IReadOnlyList<double> DefaultBudgets(SearchSpace space, ILatencyEstimator latency, int seed)
    {
        var sample = space.SampleDistinct((int)Math.Min(2_000, (double)space.Size), seed);
        double[] sorted = latency.Predict(sample).Order().ToArray();
        return ParetoReuse.BudgetPercentiles.Select(p => Descriptive.QuantileOfSorted(sorted, p / 100.0)).ToList();
    }
}
