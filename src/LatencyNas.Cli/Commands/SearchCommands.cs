using System.CommandLine;
using LatencyNas.Analysis.Search;
using LatencyNas.Core;
using LatencyNas.Workflows;
using LatencyNas.Workflows.Runners;

namespace LatencyNas.Cli.Commands;

/// <summary>Latency-constrained search, and the zero-cost accuracy proxies it can optimise.</summary>
internal static class SearchCommands
{
    public static Command Search()
    {
        var spaceOption = LatnasOptions.Space();
        var targetOption = new Option<string?>("--target") { Description = "The device the budget applies to (a device in the store); required but with --replay." };
        var proxyOption = new Option<string?>("--proxy") { Description = "Predict latency with this device's predictor instead (as is, or adapted with --target-samples)." };
        var samplesOption = LatnasOptions.OptionalTargetSamples("Adapt the proxy with K of the target's measurements.");
        var methodOption = LatnasOptions.Method();
        var samplingOption = LatnasOptions.TargetSampling();
        var latencyOption = LatnasOptions.Latency();
        var maxLatencyOption = LatnasOptions.Numbers("--max-latency",
            "Latency budget on the target, in ms; with --sweep, a comma-separated list [default with --sweep: the 10th…90th percentiles of the predicted latency].", InputLimits.MaxLatencyMs);
        var objectiveOption = LatnasOptions.Objective(
            "What to maximise: an objective in the store (e.g. cifar10_test_acc), or a training-free proxy: params, macs, synflow, zico; required but with --replay.", required: false);
        var strategyOption = LatnasOptions.Strategy();
        var evaluationsOption = LatnasOptions.Evaluations();
        var seedOption = LatnasOptions.Seed("Seed of the search and of the K samples drawn.");
        var verifyOption = new Option<bool>("--verify")
        {
            Description = "Measure the chosen architecture on the target (live device) or look it up (imported) and check the budget; while one measures over it, try the next best.",
        };
        var verifyCandidatesOption = LatnasOptions.Integer("--verify-candidates", "With --verify: most candidates to measure before giving up.",
            SearchRequest.DefaultVerifyCandidates, 1, 1000);
        var marginOption = LatnasOptions.Number("--margin", "Search under the budget less this share of it (e.g. 0.1), so a prediction that reads low still fits.", 0, 0, 0.9);
        var sweepOption = new Option<bool>("--sweep") { Description = "Search under a series of budgets and write the predicted Pareto front (CSV, PNG, SVG) to --out." };
        var outOption = LatnasOptions.Out("CSV file for --sweep (its PNG and SVG plots go beside it).", required: false);
        var recordOption = new Option<string?>("--record") { Description = "Write the search's record (settings, actions, every evaluation in order, result) to this JSON file." };
        var replayOption = new Option<string?>("--replay")
        {
            Description = "Run a recorded search again (a --record file, or one saved by the workbench) with its actions at the steps they applied at, " +
                          "and check that it evaluates the identical sequence (exit 1 if not). Its settings come from the record.",
        };
        var storeOption = LatnasOptions.Store();
        var jsonOption = LatnasOptions.Json();
        var command = new Command("search", "Find the best architecture (by an objective) whose latency on a target stays under a budget.")
        {
            spaceOption, targetOption, proxyOption, samplesOption, methodOption, samplingOption, latencyOption, maxLatencyOption, objectiveOption, strategyOption,
            evaluationsOption, seedOption, verifyOption, verifyCandidatesOption, marginOption, sweepOption, outOption, recordOption, replayOption, storeOption, jsonOption,
        };
        command.SetHandler(async (parse, cancellation) =>
        {
            bool json = parse.GetValue(jsonOption);
            var status = new Synchronous<string>(message => Console.Error.WriteLine($"latnas: {message}"));
            if (parse.GetValue(replayOption) is { } replayPath)
            {
                Option[] settings = [spaceOption, targetOption, proxyOption, samplesOption, methodOption, samplingOption, latencyOption, maxLatencyOption, objectiveOption,
                    strategyOption, evaluationsOption, seedOption, verifyOption, verifyCandidatesOption, marginOption, sweepOption, outOption];
                if (settings.FirstOrDefault(o => parse.GetResult(o) is { Implicit: false }) is { } given)
                {
                    throw new InvalidInputException($"--replay takes its settings from the record; leave out {given.Name}.");
                }
                var replay = await new SearchUseCase(DeviceRunnerFactory.Instance).ReplayAsync(
                    SearchRecord.Read(replayPath), parse.StoreLocation(storeOption), status, cancellation, parse.GetValue(recordOption));
                if (json)
                {
                    Json.Write(replay);
                }
                else
                {
                    WriteResult(replay.Result);
                    Console.WriteLine(replay.Identical
                        ? $"replay  {replay.ReplayedEvaluations:N0} evaluations, identical to the record ({replay.Result.Evaluations:N0} distinct, " +
                          $"{replay.Record!.Actions.Count} actions applied)"
                        : $"replay  DIFFERS from the record at evaluation {replay.FirstDifference + 1:N0}: recorded {replay.Recorded?.Ops ?? "(end)"}, " +
                          $"replayed {replay.Replayed?.Ops ?? "(end)"} ({replay.RecordedEvaluations:N0} recorded, {replay.ReplayedEvaluations:N0} replayed)");
                }
                if (!replay.Identical)
                {
                    Console.Error.WriteLine("latnas: the replay differs from the record: the store's predictor or measurements have changed since it was recorded, or the record was edited.");
                }
                return replay.Identical ? ExitCodes.Success : ExitCodes.RunFailed;
            }
            string objective = parse.GetValue(objectiveOption) ?? throw new InvalidInputException("Give --objective NAME (or --replay RECORD.json).");
            var latency = new SearchLatency(parse.GetValue(targetOption) ?? throw new InvalidInputException("Give --target DEVICE (or --replay RECORD.json)."), parse.GetValue(proxyOption), parse.GetValue(samplesOption), methodOption.ValueIn(parse),
                latencyOption.ValueIn(parse), samplingOption.ValueIn(parse));
            var space = parse.SearchSpace(spaceOption);
            var store = parse.StoreLocation(storeOption);
            double[]? budgets = parse.ListOrNull(maxLatencyOption);
            string? recordPath = parse.GetValue(recordOption);
            if (parse.GetValue(sweepOption))
            {
                if (recordPath is not null)
                {
                    throw new InvalidInputException("--record keeps one search's record; leave it out of --sweep.");
                }
                if (parse.GetValue(verifyOption))
                {
                    throw new InvalidInputException("--verify checks one search's choice; leave it out of --sweep.");
                }
                string output = parse.GetValue(outOption) ?? throw new InvalidInputException("--sweep writes its front to --out FILE.csv; give --out.");
                var points = new Synchronous<SweepPoint>(p => Console.Error.WriteLine(
                    $"budget {p.MaxLatencyMs:F4} ms: {(p.Ops is null ? "nothing fits" : $"{p.Ops} {parse.GetValue(objectiveOption)} {ObjectiveText.Of(p.Objective!.Value)} at {p.PredictedMs:F4} ms")}"));
                var sweep = new SweepUseCase().Run(new SweepRequest(latency, objective, output, space, store, budgets,
                    strategyOption.ValueIn(parse), parse.GetValue(evaluationsOption), parse.GetValue(seedOption)), points, status, cancellation);
                if (json)
                {
                    Json.Write(sweep);
                }
                else
                {
                    Console.WriteLine($"wrote {string.Join(", ", sweep.Files)}: {sweep.FrontPoints} front points from {sweep.Points.Count} budgets");
                }
                return sweep.Found ? ExitCodes.Success : ExitCodes.RunFailed;
            }
            if (budgets is not { Length: 1 })
            {
                throw new InvalidInputException(budgets is null ? "Give --max-latency MS (or --sweep)." : "One search takes one --max-latency; give several only with --sweep.");
            }
            if (parse.GetValue(outOption) is not null)
            {
                throw new InvalidInputException("--out is where --sweep writes its front; give --sweep too, or leave --out out.");
            }
            var request = new SearchRequest(latency, objective, budgets[0], space, store,
                strategyOption.ValueIn(parse), parse.GetValue(evaluationsOption), parse.GetValue(seedOption), parse.GetValue(verifyOption),
                parse.GetValue(marginOption), parse.GetValue(verifyCandidatesOption), recordPath);
            var result = await new SearchUseCase(DeviceRunnerFactory.Instance).RunAsync(request, status, cancellation);
            if (!result.Found)
            {
                Console.Error.WriteLine($"latnas: nothing fits: no architecture evaluated has a {result.LatencySource} latency within {result.MaxLatencyMs} ms " +
                                        $"({result.Evaluations:N0} evaluated by {result.Strategy}); raise --max-latency.");
            }
            if (result.Note is not null)
            {
                Console.Error.WriteLine($"latnas: {result.Note}");
            }
            if (json)
            {
                Json.Write(result);
            }
            else
            {
                WriteResult(result);
            }
            return result.WithinBudget ? ExitCodes.Success : ExitCodes.RunFailed;
        });
        return command;
    }

    private static void WriteResult(SearchResult result)
    {
        if (!result.Found)
        {
            return;
        }
        Console.WriteLine($"best   {result.Arch} ({result.Ops}{(result.Index is { } index ? $" #{index}" : "")})");
        Console.WriteLine($"{result.ObjectiveName,-6} {ObjectiveText.Of(result.Objective!.Value)}");
        Console.WriteLine($"latency {result.PredictedMs:F4} ms predicted by {result.LatencySource} (budget {result.MaxLatencyMs} ms" +
                          (result.SearchedUnderMs < result.MaxLatencyMs ? $", searched under {result.SearchedUnderMs:G4} ms" : "") + ")");
        Console.WriteLine($"search {result.Strategy}: {result.Evaluations:N0} evaluations ({result.EvaluationsToBest:N0} to the best) in {result.WallSeconds:F2} s" +
                          (result.Stopped ? ", stopped by steering" : ""));
        if (result.MeasuredMs is { } measured)
        {
            Console.WriteLine($"verify measured {measured:F4} ms on {result.Target}: {(result.WithinBudget ? "within" : "OVER")} the budget" +
                              (result.VerifiedCandidates > 1 ? $" ({result.VerifiedCandidates} candidates measured, best first)" : ""));
        }
    }

    public static Command ZeroCost()
    {
        var spaceOption = LatnasOptions.Space();
        var countOption = LatnasOptions.Count(100);
        var seedOption = LatnasOptions.Seed("Seed of the architectures drawn and of the proxies' weights.");
        var datasetOptions = new DatasetOptions();
        var objectiveOption = LatnasOptions.Objective("An objective in the store to rank the proxies against (e.g. cifar10_test_acc).", required: false);
        var storeOption = LatnasOptions.Store();
        var jsonOption = LatnasOptions.Json();
        var command = new Command("zerocost",
            "Compute the training-free accuracy proxies (params, macs, synflow, zico) on a sample and report each one's Kendall tau against a benchmark objective.")
        {
            spaceOption, countOption, seedOption, objectiveOption, storeOption, jsonOption,
        };
        datasetOptions.AddTo(command);
        command.SetHandler(async (parse, _) =>
        {
            var space = parse.SearchSpace(spaceOption);
            var rows = new Synchronous<ZeroCostRow>(r => Console.Error.WriteLine($"{r.Proxy}: {r.SecondsPerArchitecture * 1000:F1} ms per architecture"));
            var progress = new Synchronous<ZeroCostProgress>(p =>
            {
                if (p.Done < p.Total && p.Done % (ZeroCostUseCase.ProgressStep * 5) == 0)
                {
                    Console.Error.WriteLine($"{p.Proxy}: {p.Done}/{p.Total} architectures scored");
                }
            });
            var result = await NativeStandardError.AsideAsync("libtorch", () => Task.FromResult(new ZeroCostUseCase().Run(new ZeroCostRequest(space,
                datasetOptions.Parse(parse, space)!, parse.StoreLocation(storeOption), parse.GetValue(countOption), parse.GetValue(seedOption),
                parse.GetValue(objectiveOption)), rows, progress)));
            if (parse.GetValue(jsonOption))
            {
                Json.Write(result);
                return ExitCodes.Success;
            }
            Console.WriteLine($"{result.Architectures} {result.Space} architectures on {result.Dataset}{(result.Objective is null ? "" : $", ranked against {result.Objective}")}");
            foreach (var r in result.Proxies)
            {
                string ranking = r.Kendall is { } kendall ? $"Kendall tau {kendall,7:F4}  SRCC {r.Srcc,7:F4}  " : "";
                Console.WriteLine($"{r.Proxy,-8} {ranking}score median {r.MedianScore,10:G4} (range {r.MinScore:G4} – {r.MaxScore:G4})  {r.SecondsPerArchitecture * 1000,8:F1} ms per architecture");
            }
            if (result.Objective is null)
            {
                Console.WriteLine($"No --objective given, so nothing to rank against; the scores are cached in {parse.StoreLocation(storeOption).Location} for search and pareto (--objective synflow, zico...).");
            }
            return ExitCodes.Success;
        });
        return command;
    }
}
