using System.CommandLine;
using LatencyNas.Analysis;
using LatencyNas.Core;
using LatencyNas.Core.Spaces;
using LatencyNas.Prediction;
using LatencyNas.Profiling.Store;
using Spectre.Console;

namespace LatencyNas.Cli.Commands;

/// <summary>monotonicity, adapt, pareto, recommend: the "one proxy device" workflow.</summary>
internal static class AnalysisCommands
{
    public static Command MonotonicityCommand()
    {
        var devicesOption = DevicesOption("Devices to compare (comma-separated; 'all' or a prefix* allowed).");
        var archsOption = new Option<string?>("--archs") { Description = "Only these architectures (a file, one a line)." };
        var sampleOption = new Option<int?>("--sample") { Description = "Only N architectures drawn from those all devices share." };
        var seedOption = CommonOptions.Seed();
        var predictedOption = new Option<bool>("--predicted") { Description = "Compare the devices' saved predictors' predictions instead of measurements (architectures: --archs, or --sample N from the space)." };
        var thresholdOption = new Option<double>("--threshold") { Description = $"SRCC at which a pair counts as monotonic.", DefaultValueFactory = _ => Monotonicity.DefaultThreshold };
        var bootstrapOption = new Option<int>("--bootstrap") { Description = "Bootstrap resamples for the SRCC interval.", DefaultValueFactory = _ => 200 };
        var spaceOption = CommonOptions.Space();
        var storeOption = CommonOptions.Store();
        var jsonOption = CommonOptions.Json();
        var command = new Command("monotonicity", "SRCC and Kendall matrices of latency rankings across devices, with bootstrap intervals and a verdict per pair.")
        {
            devicesOption, archsOption, sampleOption, seedOption, predictedOption, thresholdOption, bootstrapOption, spaceOption, storeOption, jsonOption,
        };
        command.SetHandler(parse =>
        {
            var space = SearchSpaces.Get(parse.GetValue(spaceOption)!);
            string storePath = parse.GetValue(storeOption)!;
            using var store = ProfileStore.Open(storePath, createIfMissing: false);
            var names = PredictCommands.ResolveDevices(store, parse.GetValue(devicesOption)!);
            if (names.Count < 2)
            {
                throw new InvalidInputException("Monotonicity compares at least two devices.");
            }
            IReadOnlyList<Architecture> architectures;
            IReadOnlyList<DeviceLatencies> latencies;
            string? file = parse.GetValue(archsOption);
            int? sample = parse.GetValue(sampleOption);
            if (parse.GetValue(predictedOption))
            {
                architectures = file is not null ? ArchitectureSelection.ReadFile(file, space) : space.SampleDistinct(sample ?? 1000, parse.GetValue(seedOption));
                latencies = names.Select(name =>
                {
                    var (predictor, _) = PredictorFile.Load(PredictCommands.FindPredictor(storePath, name, model: null));
                    return new DeviceLatencies(name, predictor.Predict(architectures));
                }).ToList();
            }
            else
            {
                var data = names.Select(name => LatencyData.FromStore(store, name, space)).ToList();
                architectures = Monotonicity.Shared(data.Select(d => (IReadOnlyCollection<Architecture>)d.Architectures));
                if (file is not null)
                {
                    var wanted = ArchitectureSelection.ReadFile(file, space).ToHashSet();
                    architectures = architectures.Where(wanted.Contains).ToList();
                }
                if (sample is { } count && count < architectures.Count)
                {
                    var order = architectures.ToArray();
                    new Random(parse.GetValue(seedOption)).Shuffle(order);
                    architectures = order.Take(count).OrderBy(a => a.Digits, StringComparer.Ordinal).ToList();
                }
                if (architectures.Count < 3)
                {
                    throw new InvalidInputException($"The devices share only {architectures.Count} measured architectures; at least 3 are needed.");
                }
                latencies = data.Select(d => new DeviceLatencies(d.Device, new MeasuredLatencies(d).Predict(architectures))).ToList();
            }
            var matrix = Monotonicity.Compute(latencies, architectures.Count, parse.GetValue(thresholdOption), parse.GetValue(bootstrapOption), parse.GetValue(seedOption));
            if (parse.GetValue(jsonOption))
            {
                Json.Write(new
                {
                    devices = matrix.Devices,
                    architectures = matrix.Architectures,
                    threshold = matrix.Threshold,
                    predicted = parse.GetValue(predictedOption),
                    srcc = ToJagged(matrix.Srcc),
                    kendall = ToJagged(matrix.Kendall),
                    pairs = matrix.Pairs.Select(p => new { first = p.First, second = p.Second, srcc = p.Srcc, kendall = p.Kendall, ci_low = p.CiLow, ci_high = p.CiHigh, verdict = p.Verdict }),
                });
                return ExitCodes.Success;
            }
            Console.WriteLine($"{(parse.GetValue(predictedOption) ? "predicted" : "measured")} latencies of {matrix.Devices.Count} devices on {matrix.Architectures:N0} shared architectures");
            WriteMatrix("SRCC", matrix.Devices, matrix.Srcc);
            WriteMatrix("Kendall tau-b", matrix.Devices, matrix.Kendall);
            var pairs = new Table().Border(TableBorder.Markdown).AddColumns("proxy", "target", "SRCC", "95% CI", "Kendall", "verdict");
            foreach (var p in matrix.Pairs.OrderByDescending(p => p.Srcc))
            {
                pairs.AddRow(Markup.Escape(p.First), Markup.Escape(p.Second), $"{p.Srcc:F4}", double.IsNaN(p.CiLow) ? "" : $"{p.CiLow:F3}–{p.CiHigh:F3}", $"{p.Kendall:F4}", p.Verdict);
            }
            AnsiConsole.Write(pairs);
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command Adapt()
    {
        var proxyOption = new Option<string>("--proxy") { Description = "The measured proxy device.", Required = true };
        var targetOption = DevicesOption("Target device (or several: comma-separated, 'all', prefix*); its measurements beyond the K samples are the test set.", name: "--target");
        var samplesOption = CommonOptions.Positive("--samples", "Target measurements the adaptation may use (K).", 10);
        var seedOption = CommonOptions.Seed();
        var methodOption = new Option<string>("--method") { Description = "rescale, proxy-feature, device-mix, or all.", DefaultValueFactory = _ => "all" };
        methodOption.AcceptOnlyFromAmong("rescale", "proxy-feature", "device-mix", "all");
        var spaceOption = CommonOptions.Space();
        var storeOption = CommonOptions.Store();
        var jsonOption = CommonOptions.Json();
        var command = new Command("adapt",
            "Adapt a proxy's latency predictor to a target from K target measurements; report SRCC on the target's other architectures before and after.")
        {
            proxyOption, targetOption, samplesOption, seedOption, methodOption, spaceOption, storeOption, jsonOption,
        };
        command.SetHandler(parse =>
        {
            var space = SearchSpaces.Get(parse.GetValue(spaceOption)!);
            using var store = ProfileStore.Open(parse.GetValue(storeOption)!, createIfMissing: false);
            var proxy = LatencyData.FromStore(store, parse.GetValue(proxyOption)!, space);
            var targets = PredictCommands.ResolveDevices(store, parse.GetValue(targetOption)!).Where(t => t != proxy.Device).ToList();
            var methods = ParseMethods(parse.GetValue(methodOption)!);
            var others = methods.Contains(AdaptationMethod.DeviceMix) ? AllDevices(store, space) : [];
            var reports = new List<AdaptationReport>();
            foreach (string target in targets)
            {
                var data = LatencyData.FromStore(store, target, space);
                reports.Add(AdaptationExperiment.Run(proxy, data, parse.GetValue(samplesOption), parse.GetValue(seedOption), methods, others));
                if (targets.Count > 1)
                {
                    Console.Error.WriteLine($"[{reports.Count}/{targets.Count}] {target}");
                }
            }
            if (parse.GetValue(jsonOption))
            {
                Json.Write(reports.Select(r => new
                {
                    proxy = r.Proxy,
                    target = r.Target,
                    samples = r.Samples,
                    test = r.Test,
                    srcc_before = r.SrccProxyMeasured,
                    srcc_proxy_additive = r.SrccProxyAdditive,
                    methods = r.Outcomes.Select(o => new
                    {
                        method = MethodName(o.Method),
                        srcc_after = o.Metrics.Srcc,
                        kendall_after = o.Metrics.KendallTau,
                        mape = o.Metrics.Mape,
                        within10 = o.Metrics.Within10,
                        lambda = o.Lambda,
                        description = o.Description,
                    }),
                }));
                return ExitCodes.Success;
            }
            var table = new Table().Border(TableBorder.Markdown).AddColumn("target").AddColumn("before (proxy)");
            foreach (var method in methods)
            {
                table.AddColumn($"{MethodName(method)} SRCC");
            }
            foreach (var r in reports)
            {
                var cells = new List<string> { Markup.Escape(r.Target), $"{r.SrccProxyMeasured:F4}" };
                cells.AddRange(methods.Select(m => r.Outcomes.FirstOrDefault(o => o.Method == m) is { } o ? $"{o.Metrics.Srcc:F4}" : "n/a"));
                table.AddRow(cells.ToArray());
            }
            if (reports.Count > 1)
            {
                var mean = new List<string> { "mean", $"{reports.Average(r => r.SrccProxyMeasured):F4}" };
                var worst = new List<string> { "worst", $"{reports.Min(r => r.SrccProxyMeasured):F4}" };
                foreach (var method in methods)
                {
                    var values = reports.SelectMany(r => r.Outcomes.Where(o => o.Method == method)).Select(o => o.Metrics.Srcc).ToList();
                    mean.Add(values.Count > 0 ? $"{values.Average():F4}" : "n/a");
                    worst.Add(values.Count > 0 ? $"{values.Min():F4}" : "n/a");
                }
                table.AddRow(mean.ToArray());
                table.AddRow(worst.ToArray());
            }
            Console.WriteLine($"proxy {proxy.Device}, K = {parse.GetValue(samplesOption)} target samples (seed {parse.GetValue(seedOption)}); SRCC on each target's other measured architectures");
            AnsiConsole.Write(table);
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command ParetoCommand()
    {
        var proxyOption = new Option<string>("--proxy") { Description = "Device whose latency chooses the front.", Required = true };
        var targetOption = new Option<string>("--target") { Description = "Device the front is re-used on (its measurements are the truth).", Required = true };
        var objectiveOption = ObjectiveOption();
        var adaptOption = new Option<int?>("--adapt") { Description = "Also re-use the front of the proxy adapted with K target samples." };
        var methodOption = AdaptMethodOption();
        var seedOption = CommonOptions.Seed();
        var spaceOption = CommonOptions.Space();
        var storeOption = CommonOptions.Store();
        var jsonOption = CommonOptions.Json();
        var command = new Command("pareto",
            "Re-use the proxy's Pareto front (latency ↓, objective ↑) on the target: hypervolume ratio, share of the true front recovered, best objective per latency budget.")
        {
            proxyOption, targetOption, objectiveOption, adaptOption, methodOption, seedOption, spaceOption, storeOption, jsonOption,
        };
        command.SetHandler(parse =>
        {
            var space = SearchSpaces.Get(parse.GetValue(spaceOption)!);
            using var store = ProfileStore.Open(parse.GetValue(storeOption)!, createIfMissing: false);
            var proxy = LatencyData.FromStore(store, parse.GetValue(proxyOption)!, space);
            var target = LatencyData.FromStore(store, parse.GetValue(targetOption)!, space);
            var objective = store.Objective(parse.GetValue(objectiveOption)!, space);
            var results = ParetoAnalysis(store, space, proxy, target, objective, parse.GetValue(adaptOption), ParseMethod(parse.GetValue(methodOption)!), parse.GetValue(seedOption));
            if (parse.GetValue(jsonOption))
            {
                Json.Write(results.Select(r => new
                {
                    source = r.Source,
                    candidates = r.Candidates,
                    source_front = r.SourceFrontSize,
                    reused_front = r.ReusedFrontSize,
                    true_front = r.TrueFrontSize,
                    hypervolume_ratio = r.HypervolumeRatio,
                    recovered_share = r.RecoveredShare,
                    budgets = r.Budgets.Select(b => new { percentile = b.Percentile, budget_ms = b.BudgetMs, best_reused = b.BestReused, best_true = b.BestTrue }),
                }));
                return ExitCodes.Success;
            }
            foreach (var r in results)
            {
                Console.WriteLine($"{r.Source}: front of {r.SourceFrontSize} → {r.ReusedFrontSize} non-dominated on {target.Device} (true front {r.TrueFrontSize}); " +
                                  $"hypervolume ratio {r.HypervolumeRatio:F4}, true front recovered {r.RecoveredShare:P1} ({r.Candidates:N0} candidates)");
                var table = new Table().Border(TableBorder.Markdown).AddColumns("budget", "ms", "best re-used", "true best", "gap");
                foreach (var b in r.Budgets)
                {
                    table.AddRow($"p{b.Percentile}", $"{b.BudgetMs:F3}", $"{b.BestReused:F2}", $"{b.BestTrue:F2}", $"{b.Gap:F2}");
                }
                AnsiConsole.Write(table);
            }
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command Recommend()
    {
        var targetOption = new Option<string>("--target") { Description = "The new device (a few measurements in the store).", Required = true };
        var samplesOption = new Option<int?>("--samples") { Description = "Use only K of the target's measurements (as if that were all it had)." };
        var seedOption = CommonOptions.Seed();
        var thresholdOption = new Option<double>("--threshold") { Description = $"SRCC needed to re-use a proxy's front.", DefaultValueFactory = _ => Monotonicity.DefaultThreshold };
        var spaceOption = CommonOptions.Space();
        var storeOption = CommonOptions.Store();
        var jsonOption = CommonOptions.Json();
        var command = new Command("recommend", "Rank the known devices as proxies for a target from its few measurements, and say whether re-use is safe or adaptation is needed.")
        {
            targetOption, samplesOption, seedOption, thresholdOption, spaceOption, storeOption, jsonOption,
        };
        command.SetHandler(parse =>
        {
            var space = SearchSpaces.Get(parse.GetValue(spaceOption)!);
            using var store = ProfileStore.Open(parse.GetValue(storeOption)!, createIfMissing: false);
            var target = LatencyData.FromStore(store, parse.GetValue(targetOption)!, space);
            if (parse.GetValue(samplesOption) is { } k && k < target.Count)
            {
                target = target.Split(k, parse.GetValue(seedOption)).Train;
            }
            var known = AllDevices(store, space);
            var ranking = ProxyRecommender.Rank(target, known, parse.GetValue(thresholdOption), parse.GetValue(seedOption));
            if (ranking.Count == 0)
            {
                throw new InvalidInputException($"No known device shares at least 3 measured architectures with '{target.Device}'.");
            }
            if (parse.GetValue(jsonOption))
            {
                Json.Write(ranking);
                return ExitCodes.Success;
            }
            Console.WriteLine($"{target.Device}: {target.Count} measured architectures; proxies by estimated SRCC");
            var table = new Table().Border(TableBorder.Markdown).AddColumns("proxy", "est. SRCC", "95% CI", "shared", "advice");
            foreach (var c in ranking)
            {
                table.AddRow(Markup.Escape(c.Device), $"{c.EstimatedSrcc:F3}", $"{c.CiLow:F3}–{c.CiHigh:F3}", $"{c.Shared}", Markup.Escape(c.Advice));
            }
            AnsiConsole.Write(table);
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command Report()
    {
        var devicesOption = DevicesOption("Devices to show (comma-separated; 'all' or a prefix* allowed); the first is the proxy unless --proxy says otherwise.");
        var outOption = new Option<string>("--out") { Description = "Folder to write the PNG, SVG and index.html into.", Required = true };
        var objectiveOption = new Option<string?>("--objective") { Description = "Objective for the Pareto fronts (e.g. cifar10_test_acc); without it, no fronts are drawn." };
        var proxyOption = new Option<string?>("--proxy") { Description = "Proxy for the scatter plot and front re-use (default: the first device)." };
        var targetOption = new Option<string?>("--target") { Description = "Target for the scatter plot (default: the second device)." };
        var bootstrapOption = new Option<int>("--bootstrap") { Description = "Bootstrap resamples for the SRCC intervals.", DefaultValueFactory = _ => 100 };
        var seedOption = CommonOptions.Seed();
        var spaceOption = CommonOptions.Space();
        var storeOption = CommonOptions.Store();
        var command = new Command("report", "Write plots (SRCC heatmap, Pareto fronts, proxy-vs-target scatter) as PNG and SVG, and an index.html with the tables.")
        {
            devicesOption, outOption, objectiveOption, proxyOption, targetOption, bootstrapOption, seedOption, spaceOption, storeOption,
        };
        command.SetHandler(parse =>
        {
            var space = SearchSpaces.Get(parse.GetValue(spaceOption)!);
            using var store = ProfileStore.Open(parse.GetValue(storeOption)!, createIfMissing: false);
            var names = PredictCommands.ResolveDevices(store, parse.GetValue(devicesOption)!);
            if (names.Count < 2)
            {
                throw new InvalidInputException("A report compares at least two devices.");
            }
            var data = names.Select(name => LatencyData.FromStore(store, name, space)).ToDictionary(d => d.Device);
            var shared = Monotonicity.Shared(data.Values.Select(d => (IReadOnlyCollection<Architecture>)d.Architectures));
            if (shared.Count < 3)
            {
                throw new InvalidInputException($"The devices share only {shared.Count} measured architectures; at least 3 are needed.");
            }
            var measured = names.ToDictionary(n => n, n => new MeasuredLatencies(data[n]).Predict(shared));
            var matrix = Monotonicity.Compute(names.Select(n => new DeviceLatencies(n, measured[n])).ToList(), shared.Count,
                bootstrap: parse.GetValue(bootstrapOption), seed: parse.GetValue(seedOption));
            string proxy = parse.GetValue(proxyOption) is { } p ? store.GetDevice(p).Name : names[0];
            string target = parse.GetValue(targetOption) is { } t ? store.GetDevice(t).Name : names.First(n => n != proxy);
            foreach (string device in new[] { proxy, target }.Where(d => !data.ContainsKey(d)))
            {
                data[device] = LatencyData.FromStore(store, device, space);
            }
            var (proxyShared, targetShared) = LatencyData.Intersect(data[proxy], data[target]);

            var fronts = new List<Analysis.Reports.DeviceFront>();
            var reuse = new List<ParetoReuseResult>();
            string? objectiveName = parse.GetValue(objectiveOption);
            if (objectiveName is not null)
            {
                var objective = store.Objective(objectiveName, space);
                var candidates = shared.Where(a => objective.ContainsKey(a.Digits)).ToList();
                double[] objectives = candidates.Select(a => objective[a.Digits]).ToArray();
                foreach (string name in names)
                {
                    double[] latency = new MeasuredLatencies(data[name]).Predict(candidates);
                    var front = Core.Statistics.Pareto.Front(candidates.Select((_, i) => new Core.Statistics.ParetoPoint(i, latency[i], objectives[i])));
                    fronts.Add(new Analysis.Reports.DeviceFront(name, front.Select(f => f.Latency).ToArray(), front.Select(f => f.Objective).ToArray()));
                    if (name != proxy)
                    {
                        reuse.Add(ParetoReuse.Evaluate($"{proxy} → {name}", candidates, new MeasuredLatencies(data[proxy]).Predict(candidates), latency, objectives));
                    }
                }
            }
            var files = Analysis.Reports.ReportWriter.Write(parse.GetValue(outOption)!, new Analysis.Reports.ReportContent(
                matrix, fronts, objectiveName, proxy, target, proxyShared.LatenciesMs, targetShared.LatenciesMs, reuse));
            foreach (string file in files)
            {
                Console.WriteLine($"wrote {file}");
            }
            return ExitCodes.Success;
        });
        return command;
    }

    internal static IReadOnlyList<ParetoReuseResult> ParetoAnalysis(ProfileStore store, SearchSpace space, LatencyData proxy, LatencyData target,
        IReadOnlyDictionary<string, double> objective, int? adapt, AdaptationMethod? method, int seed)
    {
        var proxyMeasured = new MeasuredLatencies(proxy);
        var candidates = target.Architectures.Where(a => objective.ContainsKey(a.Digits) && proxyMeasured.Covers(a)).ToList();
        if (candidates.Count < 3)
        {
            throw new InvalidInputException($"Only {candidates.Count} architectures have the objective and measurements on both {proxy.Device} and {target.Device}.");
        }
        var targetLatency = new MeasuredLatencies(target).Predict(candidates);
        var objectives = candidates.Select(a => objective[a.Digits]).ToArray();
        var results = new List<ParetoReuseResult>
        {
            ParetoReuse.Evaluate($"{proxy.Device} front", candidates, proxyMeasured.Predict(candidates), targetLatency, objectives),
        };
        if (adapt is { } k)
        {
            var samples = target.Split(k, seed).Train;
            var adapted = AdaptProxy(store, space, proxy, samples, method, candidates,
                () => PredictorTrainer.Fit(PredictorTrainer.DefaultChoice(ModelKind.LightGbm), proxy, seed));
            results.Add(ParetoReuse.Evaluate($"{proxy.Device} adapted with K = {k} ({adapted.Description})", candidates, adapted.Predict(candidates), targetLatency, objectives));
        }
        return results;
    }

    /// <summary>The proxy adapted to the target from its samples, by the named method or the default.</summary>
    /// <param name="needed">Architectures the adapted model will be asked about (null: the whole space).</param>
    internal static AdaptedEstimator AdaptProxy(ProfileStore store, SearchSpace space, LatencyData proxy, LatencyData samples, AdaptationMethod? method,
        IReadOnlyCollection<Architecture>? needed, Func<ILatencyEstimator> proxyPredictor)
    {
        var others = method is null or AdaptationMethod.DeviceMix ? AllDevices(store, space) : [];
        return method is { } chosen
            ? ProxyAdaptation.Adapt(chosen, proxy, samples, others, needed, proxyPredictor)
              ?? throw new InvalidInputException("No other device in the store is measured on every architecture needed; device mixing has nothing to mix.")
            : ProxyAdaptation.AdaptDefault(proxy, samples, others, needed, proxyPredictor);
    }

    /// <summary>Every device in the store with its measurements of a space.</summary>
    internal static IReadOnlyList<LatencyData> AllDevices(ProfileStore store, SearchSpace space)
        => store.ListDevices().Select(d => LatencyData.FromStore(store, d.Device.Name, space)).ToList();

    internal static Option<string> ObjectiveOption() => new("--objective")
    {
        Description = "Objective (higher is better) imported into the store, e.g. cifar10_test_acc (latnas import --csv nb201_accuracy.csv --objectives cifar10_test_acc).",
        Required = true,
    };

    private static Option<string> DevicesOption(string description, string name = "--devices") => new(name) { Description = description, Required = true };

    /// <summary>--method for verbs that use one adapted model; "default" is device-mix where possible, else rescale.</summary>
    internal static Option<string> AdaptMethodOption()
    {
        var option = new Option<string>("--method")
        {
            Description = "Adaptation for --adapt: default (device-mix where other devices cover the architectures, else rescale), rescale, proxy-feature or device-mix.",
            DefaultValueFactory = _ => "default",
        };
        option.AcceptOnlyFromAmong("default", "rescale", "proxy-feature", "device-mix");
        return option;
    }

    internal static AdaptationMethod? ParseMethod(string text) => text == "default" ? null : ParseMethods(text)[0];

    internal static IReadOnlyList<AdaptationMethod> ParseMethods(string text) => text switch
    {
        "rescale" => [AdaptationMethod.Rescale],
        "proxy-feature" => [AdaptationMethod.ProxyFeature],
        "device-mix" => [AdaptationMethod.DeviceMix],
        "all" => [AdaptationMethod.Rescale, AdaptationMethod.ProxyFeature, AdaptationMethod.DeviceMix],
        _ => throw new InvalidInputException($"Unknown adaptation method '{text}'."),
    };

    internal static string MethodName(AdaptationMethod method) => method switch
    {
        AdaptationMethod.Rescale => "rescale",
        AdaptationMethod.ProxyFeature => "proxy-feature",
        AdaptationMethod.DeviceMix => "device-mix",
        _ => method.ToString(),
    };

    private static double[][] ToJagged(double[,] matrix)
        => Enumerable.Range(0, matrix.GetLength(0)).Select(i => Enumerable.Range(0, matrix.GetLength(1)).Select(j => matrix[i, j]).ToArray()).ToArray();

    private static void WriteMatrix(string title, IReadOnlyList<string> devices, double[,] values)
    {
        var table = new Table().Border(TableBorder.Markdown).Title(title).AddColumn("");
        foreach (string device in devices)
        {
            table.AddColumn(Markup.Escape(device));
        }
        for (int i = 0; i < devices.Count; i++)
        {
            var cells = new List<string> { Markup.Escape(devices[i]) };
            for (int j = 0; j < devices.Count; j++)
            {
                cells.Add($"{values[i, j]:F3}");
            }
            table.AddRow(cells.ToArray());
        }
        AnsiConsole.Write(table);
    }
}
