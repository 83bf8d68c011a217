using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using LatencyNas.Core;
using LatencyNas.Core.Spaces;
using LatencyNas.Core.Statistics;
using LatencyNas.Prediction;
using LatencyNas.Profiling.Store;
using Spectre.Console;

namespace LatencyNas.Cli.Commands;

internal static class PredictCommands
{
    /// <summary>One row of <c>train</c> and <c>evaluate</c> output (JSON keys in snake case).</summary>
    internal sealed record EvaluationRow(
        string Device, string Model, int Train, int Test, double Within5, double Within10, double Srcc, double Kendall, double Mape, double Rmse,
        double TrainSeconds, string? PredictorPath = null);

    private static Option<string> ModelOption(string defaultModel = "auto") => new("--model")
    {
        Description = $"Predictor family: {string.Join(", ", PredictorTrainer.ModelNames)} (auto picks by cross-validation).",
        DefaultValueFactory = _ => defaultModel,
    };

    private static Option<int> TrainSizeOption() => CommonOptions.Positive("--train-size", "Measured architectures to train on; the rest are the test set.", 1000);

    public static Command Train()
    {
        var deviceOption = new Option<string>("--device") { Description = "Device name in the profile store.", Required = true };
        var modelOption = ModelOption();
        var trainSizeOption = TrainSizeOption();
        var seedOption = CommonOptions.Seed();
        var spaceOption = CommonOptions.Space();
        var storeOption = CommonOptions.Store();
        var jsonOption = CommonOptions.Json();
        var command = new Command("train",
            "Train a latency predictor for a device on N sampled measured architectures, report metrics on the rest, and save it next to the store.")
        {
            deviceOption, modelOption, trainSizeOption, seedOption, spaceOption, storeOption, jsonOption,
        };
        command.SetHandler(parse =>
        {
            string model = parse.GetValue(modelOption)!;
            PredictorTrainer.ParseKind(model);
            var space = SearchSpaces.Get(parse.GetValue(spaceOption)!);
            string storePath = parse.GetValue(storeOption)!;
            using var store = ProfileStore.Open(storePath, createIfMissing: false);
            var data = LatencyData.FromStore(store, parse.GetValue(deviceOption)!, space);
            var (row, trained) = TrainAndTest(data, model, parse.GetValue(trainSizeOption), parse.GetValue(seedOption));
            string path = PredictorFile.PathFor(storePath, data.Device, model);
            PredictorFile.Save(path, trained.Predictor, Metadata(data, trained, model, row, parse.GetValue(seedOption)));
            row = row with { PredictorPath = path };
            if (parse.GetValue(jsonOption))
            {
                Json.Write(row);
                return ExitCodes.Success;
            }
            Console.WriteLine($"{row.Device}: {row.Model} trained on {row.Train} in {row.TrainSeconds:F1} s; on the other {row.Test}: " +
                              $"within ±10% {row.Within10:P1}, within ±5% {row.Within5:P1}, SRCC {row.Srcc:F4}, Kendall {row.Kendall:F4}, MAPE {row.Mape:P2}, RMSE {row.Rmse:F4} ms");
            foreach (var candidate in trained.CandidateScores)
            {
                Console.WriteLine($"  candidate {candidate.Choice,-22} cross-validated: within ±10% {candidate.CvWithin10:P1}, SRCC {candidate.CvSrcc:F4}, MAPE {candidate.CvMape:P2}");
            }
            Console.WriteLine($"saved {path}");
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command Predict()
    {
        var deviceOption = new Option<string>("--device") { Description = "Device whose trained predictor to use.", Required = true };
        var archOption = CommonOptions.Arch(required: false);
        var archsOption = new Option<string?>("--archs") { Description = "A file with one architecture a line (either text form)." };
        var modelOption = new Option<string?>("--model") { Description = "Which saved predictor: auto, additive, fasttree or lightgbm (default: auto if trained, else the newest)." };
        var spaceOption = CommonOptions.Space();
        var storeOption = CommonOptions.Store();
        var jsonOption = CommonOptions.Json();
        var command = new Command("predict", "Predict latencies on a device with its saved predictor.")
        {
            deviceOption, archOption, archsOption, modelOption, spaceOption, storeOption, jsonOption,
        };
        command.SetHandler(parse =>
        {
            var space = SearchSpaces.Get(parse.GetValue(spaceOption)!);
            string? arch = parse.GetValue(archOption);
            string? file = parse.GetValue(archsOption);
            if ((arch is null) == (file is null))
            {
                throw new InvalidInputException("Give exactly one of --arch and --archs.");
            }
            var architectures = arch is not null ? [space.Parse(arch)] : ArchitectureSelection.ReadFile(file!, space);
            string device = parse.GetValue(deviceOption)!;
            var (predictor, metadata) = PredictorFile.Load(FindPredictor(parse.GetValue(storeOption)!, device, parse.GetValue(modelOption)));
            if (predictor.Space.Name != space.Name)
            {
                throw new InvalidInputException($"The predictor of '{device}' is for space {predictor.Space.Name}, not {space.Name}.");
            }
            double[] predictions = predictor.Predict(architectures);
            if (parse.GetValue(jsonOption))
            {
                Json.Write(new
                {
                    device,
                    model = predictor.Description,
                    predictions = architectures.Select((a, i) => new { arch = space.Format(a), ops = a.Digits, predicted_ms = predictions[i] }),
                });
                return ExitCodes.Success;
            }
            for (int i = 0; i < architectures.Count; i++)
            {
                Console.WriteLine($"{predictions[i].ToString("F4", CultureInfo.InvariantCulture)} ms  {space.Format(architectures[i])}");
            }
            Console.Error.WriteLine($"{architectures.Count} predictions by {predictor.Description} trained on {metadata.TrainedOn} architectures of {metadata.Device}");
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command Evaluate()
    {
        var devicesOption = new Option<string>("--devices")
        {
            Description = "Comma-separated device names; 'all' for every device in the store; a trailing * matches a prefix (help:*).",
            Required = true,
        };
        var trainSizeOption = TrainSizeOption();
        var modelOption = ModelOption();
        var seedOption = CommonOptions.Seed();
        var spaceOption = CommonOptions.Space();
        var storeOption = CommonOptions.Store();
        var jsonOption = CommonOptions.Json();
        var command = new Command("evaluate", "Train and test a predictor per device and print one row each (nothing is saved).")
        {
            devicesOption, trainSizeOption, modelOption, seedOption, spaceOption, storeOption, jsonOption,
        };
        command.SetHandler(parse =>
        {
            string model = parse.GetValue(modelOption)!;
            PredictorTrainer.ParseKind(model);
            var space = SearchSpaces.Get(parse.GetValue(spaceOption)!);
            using var store = ProfileStore.Open(parse.GetValue(storeOption)!, createIfMissing: false);
            var devices = ResolveDevices(store, parse.GetValue(devicesOption)!);
            var rows = new List<EvaluationRow>();
            foreach (string device in devices)
            {
                var data = LatencyData.FromStore(store, device, space);
                rows.Add(TrainAndTest(data, model, parse.GetValue(trainSizeOption), parse.GetValue(seedOption)).Row);
                var row = rows[^1];
                Console.Error.WriteLine($"[{rows.Count}/{devices.Count}] {device}: {row.Model}, within ±10% {row.Within10:P1}, SRCC {row.Srcc:F4} ({row.TrainSeconds:F1} s)");
            }
            if (parse.GetValue(jsonOption))
            {
                Json.Write(rows);
                return ExitCodes.Success;
            }
            var table = new Table().Border(TableBorder.Markdown)
                .AddColumns("device", "model", "train", "test", "±5%", "±10%", "SRCC", "Kendall", "MAPE", "RMSE ms");
            foreach (var row in rows)
            {
                table.AddRow(Markup.Escape(row.Device), row.Model, $"{row.Train}", $"{row.Test}", $"{row.Within5:P1}", $"{row.Within10:P1}",
                    $"{row.Srcc:F4}", $"{row.Kendall:F4}", $"{row.Mape:P2}", $"{row.Rmse:F4}");
            }
            AnsiConsole.Write(table);
            return ExitCodes.Success;
        });
        return command;
    }

    internal static (EvaluationRow Row, TrainedPredictor Trained) TrainAndTest(LatencyData data, string model, int trainSize, int seed)
    {
        var (train, test) = data.Split(trainSize, seed);
        var clock = Stopwatch.StartNew();
        var trained = PredictorTrainer.Train(model, train, seed);
        double seconds = clock.Elapsed.TotalSeconds;
        var metrics = PredictionMetrics.Compute(test.LatenciesMs, trained.Predictor.Predict(test.Architectures));
        return (new EvaluationRow(data.Device, trained.Predictor.Description, train.Count, test.Count, metrics.Within5, metrics.Within10,
            metrics.Srcc, metrics.KendallTau, metrics.Mape, metrics.Rmse, seconds), trained);
    }

    private static PredictorMetadata Metadata(LatencyData data, TrainedPredictor trained, string model, EvaluationRow row, int seed) => new()
    {
        Device = data.Device,
        Kind = trained.Predictor.Kind.ToString(),
        Target = trained.Predictor.Target.ToString(),
        Space = data.Space.Name,
        Dataset = data.Dataset.Name,
        Resolution = data.Dataset.Resolution,
        TrainedOn = row.Train,
        Seed = seed,
        Requested = model,
        TestMetrics = new PredictionMetrics(row.Test, row.Rmse, row.Mape, row.Within5, row.Within10, row.Srcc, row.Kendall),
        Candidates = trained.CandidateScores,
    };

    /// <summary>The predictor file to use: the named model, else auto, else the newest trained for the device.</summary>
    internal static string FindPredictor(string storePath, string device, string? model)
    {
        if (model is not null)
        {
            PredictorTrainer.ParseKind(model);
            return PredictorFile.PathFor(storePath, device, model);
        }
        string auto = PredictorFile.PathFor(storePath, device, "auto");
        if (File.Exists(auto))
        {
            return auto;
        }
        string directory = Path.GetDirectoryName(auto)!;
        return Directory.Exists(directory) && Directory.GetFiles(directory, "*.predictor").OrderByDescending(File.GetLastWriteTimeUtc).FirstOrDefault() is { } newest
            ? newest
            : throw new InvalidInputException($"No trained predictor for device '{device}' next to {storePath}. Run `latnas train --device {device}` first.");
    }

    /// <summary>Expands 'all' and prefix* patterns against the store's devices.</summary>
    internal static IReadOnlyList<string> ResolveDevices(ProfileStore store, string list)
    {
        var known = store.ListDevices().Select(d => d.Device.Name).ToList();
        var names = new List<string>();
        foreach (string item in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (item == "all")
            {
                names.AddRange(known);
            }
            else if (item.EndsWith('*'))
            {
                var matches = known.Where(k => k.StartsWith(item[..^1], StringComparison.Ordinal)).ToList();
                names.AddRange(matches.Count > 0 ? matches : throw new InvalidInputException($"No device in {store.Path} matches '{item}'."));
            }
            else
            {
                names.Add(store.GetDevice(item).Name);
            }
        }
        return names.Count > 0 ? names.Distinct().ToList() : throw new InvalidInputException("--devices names no device.");
    }
}
