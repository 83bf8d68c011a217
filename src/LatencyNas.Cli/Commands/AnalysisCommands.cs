using System.CommandLine;
using LatencyNas.Analysis;
using LatencyNas.Core;
using LatencyNas.Workflows;
using Spectre.Console;

namespace LatencyNas.Cli.Commands;

/// <summary>monotonicity, adapt, pareto, recommend, report: the "one proxy device" workflow.</summary>
internal static class AnalysisCommands
{
    public static Command MonotonicityCommand()
    {
        var devicesOption = LatnasOptions.Devices("--devices", "Devices to compare (at least two).");
        var archsOption = LatnasOptions.Archs("Only these architectures (a file, one a line).");
        var countOption = LatnasOptions.OptionalInteger("--count",
            "Only this many architectures, drawn from those all devices share (with --predicted: drawn from the space) [default: all shared; with --predicted 1000].", InputLimits.ComparedCount);
        var seedOption = LatnasOptions.Seed("Seed of --count and of the bootstrap.");
        var predictedOption = new Option<bool>("--predicted") { Description = "Compare the devices' saved predictors' predictions instead of measurements." };
        var thresholdOption = LatnasOptions.Threshold("SRCC at which a pair counts as monotonic (its front can be re-used).");
        var bootstrapOption = LatnasOptions.Bootstrap();
        var spaceOption = LatnasOptions.Space();
        var storeOption = LatnasOptions.Store();
        var jsonOption = LatnasOptions.Json();
        var command = new Command("monotonicity", "SRCC and Kendall matrices of latency rankings across devices, with 95% intervals (analytic, or bootstrapped) and a verdict per pair.")
        {
            devicesOption, archsOption, countOption, seedOption, predictedOption, thresholdOption, bootstrapOption, spaceOption, storeOption, jsonOption,
        };
        command.SetHandler(parse =>
        {
            var result = new MonotonicityUseCase().Run(new MonotonicityRequest(
                parse.GetValue(devicesOption)!, parse.SearchSpace(spaceOption), parse.StoreLocation(storeOption), parse.GetValue(predictedOption),
                parse.GetValue(archsOption), parse.GetValue(countOption), parse.GetValue(seedOption), parse.GetValue(thresholdOption), parse.GetValue(bootstrapOption)));
            if (parse.GetValue(jsonOption))
            {
                Json.Write(result);
                return ExitCodes.Success;
            }
            Console.WriteLine($"{(result.Predicted ? "predicted" : "measured")} latencies of {result.Devices.Count} devices on {result.Architectures:N0} shared architectures");
            WriteMatrix("SRCC", result.Devices, result.Srcc);
            WriteMatrix("Kendall tau-b", result.Devices, result.Kendall);
            var pairs = new Table().Border(TableBorder.Markdown).AddColumns("proxy", "target", "SRCC", "95% CI", "Kendall", "verdict");
            foreach (var p in result.Pairs.OrderByDescending(p => double.IsNaN(p.Srcc) ? double.NegativeInfinity : p.Srcc))
            {
                pairs.AddRow(Markup.Escape(p.First), Markup.Escape(p.Second), NumberText.Of(p.Srcc, "F4"), NumberText.Interval(p.CiLow, p.CiHigh), NumberText.Of(p.Kendall, "F4"), p.Verdict);
            }
            AnsiConsole.Write(pairs);
            WriteNotes(result.Pairs.Select(p => p.Note));
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command Adapt()
    {
        var proxyOption = new Option<string>("--proxy") { Description = "The measured proxy device.", Required = true };
        var targetsOption = LatnasOptions.Devices("--targets", "Target devices; each one's measurements beyond the K samples are its test set.");
        var samplesOption = LatnasOptions.TargetSamples("Target measurements each adaptation may use (K).");
        var seedOption = LatnasOptions.Seed("Seed of the K samples drawn.");
        var methodOption = LatnasOptions.Choices("--method", "Adaptation methods to compare.", LatnasOptions.AdaptationMethods);
        var samplingOption = LatnasOptions.Sampling(
            "How each target's K samples are drawn: at random, spread over the proxy's latency (one from each of K equal strata), " +
            "or diverse (where the store's other devices disagree most: farthest apart in the leading principal components of their log latencies; " +
            "such samples are mixed, not cross-validated).", spread: true);
        var spaceOption = LatnasOptions.Space();
        var storeOption = LatnasOptions.Store();
        var jsonOption = LatnasOptions.Json();
        var command = new Command("adapt",
            "Adapt a proxy's latency predictor to targets from K target measurements; report SRCC on each target's other architectures before and after.")
        {
            proxyOption, targetsOption, samplesOption, seedOption, methodOption, samplingOption, spaceOption, storeOption, jsonOption,
        };
        command.SetHandler(parse =>
        {
            var request = new AdaptRequest(parse.GetValue(proxyOption)!, parse.GetValue(targetsOption)!, parse.SearchSpace(spaceOption), parse.StoreLocation(storeOption),
                parse.GetValue(samplesOption), parse.GetValue(methodOption), parse.GetValue(seedOption), samplingOption.ValueIn(parse));
            var methods = request.MethodsToRun;
            bool json = parse.GetValue(jsonOption);
            var table = new StreamingTable(json ? Console.Error : Console.Out,
                ["target", "before (proxy)", .. methods.Select(m => $"{ProxyAdaptation.Name(m)} SRCC"), "chosen by cross-validation"]);
            // Introduced with the first row, so that a refused request prints nothing but its error.
            bool introduced = json;
            var rows = new Synchronous<AdaptationReport>(r =>
            {
                if (!introduced)
                {
                    Console.WriteLine($"proxy {request.Proxy}, K = {request.TargetSamples} target samples (seed {request.Seed}{request.Sampling switch { TargetSampling.Spread => ", spread over the proxy's latency", TargetSampling.Diverse => ", where the other devices disagree most", _ => "" }}); SRCC on each target's other measured architectures (before: on those of them the proxy measured too)");
                    introduced = true;
                }
                table.Row([r.Target, $"{r.SrccProxyMeasured:F4}",
                    .. methods.Select(m => r.Outcomes.FirstOrDefault(o => o.Method == m) is { } o ? $"{o.Metrics.Srcc:F4}" : "n/a"),
                    $"{r.Chosen.Metrics.Srcc:F4} ({ProxyAdaptation.Name(r.Choice.Method)})"]);
            });
            var result = new AdaptUseCase().Run(request, rows);
            if (json)
            {
                Json.Write(result);
                return ExitCodes.Success;
            }
            if (result.Targets.Count > 1)
            {
                foreach (var summary in result.Summaries)
                {
                    table.Row([summary.Aggregate, $"{summary.Before:F4}", .. summary.Methods.Select(v => v is { } srcc ? $"{srcc:F4}" : "n/a"), $"{summary.Chosen:F4}"]);
                }
            }
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command Pareto()
    {
        var proxyOption = new Option<string>("--proxy") { Description = "Device whose latency chooses the front.", Required = true };
        var targetOption = new Option<string>("--target") { Description = "Device the front is re-used on (its measurements are the truth).", Required = true };
        var objectiveOption = LatnasOptions.Objective("Objective (higher is better): one in the store, e.g. cifar10_test_acc (latnas import --csv nb201_accuracy.csv --objectives cifar10_test_acc), or params, macs, synflow, zico.");
        var samplesOption = LatnasOptions.OptionalTargetSamples("Also re-use the front of the proxy adapted with K target measurements.");
        var methodOption = LatnasOptions.Method();
        var seedOption = LatnasOptions.Seed("Seed of the K samples drawn.");
        var samplingOption = LatnasOptions.TargetSampling();
        var spaceOption = LatnasOptions.Space();
        var storeOption = LatnasOptions.Store();
        var jsonOption = LatnasOptions.Json();
        var command = new Command("pareto", "Pareto-front re-use: the proxy's front (and the adapted proxy's) judged on the target's measured latency.")
        {
            proxyOption, targetOption, objectiveOption, samplesOption, methodOption, seedOption, samplingOption, spaceOption, storeOption, jsonOption,
        };
        command.SetHandler(parse =>
        {
            var result = new ParetoUseCase().Run(new ParetoRequest(parse.GetValue(proxyOption)!, parse.GetValue(targetOption)!, parse.GetValue(objectiveOption)!,
                parse.SearchSpace(spaceOption), parse.StoreLocation(storeOption), parse.GetValue(samplesOption), methodOption.ValueIn(parse), parse.GetValue(seedOption),
                samplingOption.ValueIn(parse)));
            if (parse.GetValue(jsonOption))
            {
                Json.Write(result);
                return ExitCodes.Success;
            }
            foreach (var r in result.Fronts)
            {
                Console.WriteLine($"{r.Source}: front of {r.SourceFront} → {r.ReusedFront} non-dominated on {result.Target} (true front {r.TrueFront}); " +
                                  $"hypervolume ratio {NumberText.Of(r.HypervolumeRatio, "F4")}, true front recovered {r.RecoveredShare:P1} ({r.Candidates:N0} candidates)");
                var table = new Table().Border(TableBorder.Markdown).AddColumns("budget", "ms", "best re-used", "true best", "gap");
                foreach (var b in r.Budgets)
                {
                    table.AddRow($"p{b.Percentile}", $"{b.BudgetMs:F3}", ObjectiveText.Of(b.BestReused), ObjectiveText.Of(b.BestTrue), ObjectiveText.Of(b.Gap));
                }
                AnsiConsole.Write(table);
                if (r.Budgets.Any(b => double.IsNaN(b.BestReused)))
                {
                    Console.WriteLine($"{NumberText.None}: no member of the re-used front fits that budget on {result.Target} (null in --json)");
                }
            }
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command Recommend()
    {
        var targetOption = new Option<string>("--target") { Description = "The new device (a few measurements in the store).", Required = true };
        var samplesOption = LatnasOptions.OptionalTargetSamples("Use only K of the target's measurements, as if that were all it had [default: all].");
        var seedOption = LatnasOptions.Seed("Seed of the K samples drawn and of the bootstrap.");
        var thresholdOption = LatnasOptions.Threshold("SRCC needed to re-use a proxy's front.");
        var bootstrapOption = LatnasOptions.Bootstrap();
        var spaceOption = LatnasOptions.Space();
        var storeOption = LatnasOptions.Store();
        var jsonOption = LatnasOptions.Json();
        var command = new Command("recommend", "Rank the known devices as proxies for a target from its few measurements, and say whether re-use is safe or adaptation is needed.")
        {
            targetOption, samplesOption, seedOption, thresholdOption, bootstrapOption, spaceOption, storeOption, jsonOption,
        };
        command.SetHandler(parse =>
        {
            var result = new RecommendUseCase().Run(new RecommendRequest(parse.GetValue(targetOption)!, parse.SearchSpace(spaceOption), parse.StoreLocation(storeOption),
                parse.GetValue(samplesOption), parse.GetValue(seedOption), parse.GetValue(thresholdOption), parse.GetValue(bootstrapOption)));
            if (parse.GetValue(jsonOption))
            {
                Json.Write(result);
                return ExitCodes.Success;
            }
            Console.WriteLine($"{result.Target}: {result.TargetMeasurements} measured architectures; proxies by estimated SRCC");
            var table = new Table().Border(TableBorder.Markdown).AddColumns("proxy", "est. SRCC", "95% CI", "shared", "advice");
            foreach (var c in result.Proxies)
            {
                string advice = c.Advice switch
                {
                    ProxyAdvice.Reuse => "re-use its Pareto front",
                    ProxyAdvice.ProbablyReuse => "probably re-usable; measure more target architectures to be sure",
                    ProxyAdvice.Undefined => "undefined: no ranking to compare",
                    _ => $"adapt it ({c.Next})",
                };
                table.AddRow(Markup.Escape(c.Device), NumberText.Of(c.EstimatedSrcc, "F3"), NumberText.Interval(c.CiLow, c.CiHigh), $"{c.Shared}", Markup.Escape(advice));
            }
            AnsiConsole.Write(table);
            WriteNotes(result.Proxies.Select(p => p.Note));
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command Report()
    {
        var devicesOption = LatnasOptions.Devices("--devices", "Devices to show (at least two); the first is the proxy unless --proxy says otherwise.");
        var outOption = LatnasOptions.Out("Folder to write the plots (PNG, SVG and the CSV of each) and index.html into.");
        var objectiveOption = LatnasOptions.Objective("Objective for the Pareto fronts (one in the store, e.g. cifar10_test_acc, or params, macs, synflow, zico); without it, no fronts are drawn.", required: false);
        var proxyOption = new Option<string?>("--proxy") { Description = "Proxy for the scatter plot and front re-use [default: the first device]." };
        var targetOption = new Option<string?>("--target") { Description = "Target for the scatter plot [default: the first device that is not the proxy]." };
        var bootstrapOption = LatnasOptions.Bootstrap();
        var seedOption = LatnasOptions.Seed("Seed of the bootstrap.");
        var spaceOption = LatnasOptions.Space();
        var storeOption = LatnasOptions.Store();
        var jsonOption = LatnasOptions.Json();
        var command = new Command("report", "Write plots (SRCC heatmap, Pareto fronts per device, proxy-vs-target scatter) as PNG and SVG with the CSV of each, and an index.html with the tables.")
        {
            devicesOption, outOption, objectiveOption, proxyOption, targetOption, bootstrapOption, seedOption, spaceOption, storeOption, jsonOption,
        };
        command.SetHandler(parse =>
        {
            var result = new ReportUseCase().Run(new ReportRequest(parse.GetValue(devicesOption)!, parse.GetValue(outOption)!, parse.SearchSpace(spaceOption),
                parse.StoreLocation(storeOption), parse.GetValue(objectiveOption), parse.GetValue(proxyOption), parse.GetValue(targetOption),
                parse.GetValue(bootstrapOption), parse.GetValue(seedOption), ShellCommandLine.Current()));
            if (parse.GetValue(jsonOption))
            {
                Json.Write(result);
                return ExitCodes.Success;
            }
            foreach (string file in result.Files)
            {
                Console.WriteLine($"wrote {file}");
            }
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>Why some numbers are undefined: each reason once, below the table.</summary>
    private static void WriteNotes(IEnumerable<string?> notes)
    {
        foreach (string note in notes.OfType<string>().Distinct(StringComparer.Ordinal))
        {
            Console.WriteLine($"{NumberText.Undefined}: {note}");
        }
    }

    private static void WriteMatrix(string title, IReadOnlyList<string> devices, double[][] values)
    {
        var table = new Table().Border(TableBorder.Markdown).Title(title).AddColumn("");
        foreach (string device in devices)
        {
            table.AddColumn(Markup.Escape(device));
        }
        for (int i = 0; i < devices.Count; i++)
        {
            table.AddRow([Markup.Escape(devices[i]), .. values[i].Select(v => NumberText.Of(v, "F3"))]);
        }
        AnsiConsole.Write(table);
    }
}
