using System.CommandLine;
using System.Globalization;
using LatencyNas.Core;
using LatencyNas.Prediction;
using LatencyNas.Workflows;
using Spectre.Console;

namespace LatencyNas.Cli.Commands;

/// <summary>train, predict, evaluate, predictors list.</summary>
internal static class PredictCommands
{
    public static Command Train()
    {
        var deviceOption = LatnasOptions.Device("Device name in the profile store.");
        var modelOption = LatnasOptions.Model();
        var trainSizeOption = LatnasOptions.TrainSize();
        var seedOption = LatnasOptions.Seed("Seed of the train/test split and of the model.");
        var mixOption = new Option<bool>("--mix-protocols") { Description = "Train on the measurements of both protocols when the device has both (otherwise only the interleaved ones)." };
        var spaceOption = LatnasOptions.Space();
        var storeOption = LatnasOptions.Store();
        var jsonOption = LatnasOptions.Json();
        var command = new Command("train",
            "Train a latency predictor for a device on part of its measurements, report metrics on the rest, and save it next to the store.")
        {
            deviceOption, modelOption, trainSizeOption, seedOption, mixOption, spaceOption, storeOption, jsonOption,
        };
        command.SetHandler(parse =>
        {
            var result = new TrainUseCase().Run(new TrainRequest(parse.GetValue(deviceOption)!, parse.SearchSpace(spaceOption), parse.StoreLocation(storeOption),
                modelOption.ValueIn(parse), parse.Given(trainSizeOption), parse.GetValue(seedOption), parse.GetValue(mixOption)));
            if (result.LeftOut > 0)
            {
                Console.Error.WriteLine($"latnas: left out {result.LeftOut:N0} measurements of {result.Evaluation.Device} made by the burst protocol (--mix-protocols keeps them)");
            }
            if (parse.GetValue(jsonOption))
            {
                Json.Write(result);
                return ExitCodes.Success;
            }
            var e = result.Evaluation;
            Console.WriteLine($"{e.Device}: {e.Model} trained on {e.Train} ({e.TrainSeconds:F1} s of fitting); on the other {e.Test}: " +
                              $"within ±10% {e.Within10:P1}, within ±5% {e.Within5:P1}, SRCC {e.Srcc:F4}, Kendall {e.Kendall:F4}, MAPE {e.Mape:P2}, RMSE {e.Rmse:F4} ms");
            foreach (var candidate in result.Candidates)
            {
                Console.WriteLine($"  candidate {candidate.Choice,-22} cross-validated: within ±10% {candidate.CvWithin10:P1}, SRCC {candidate.CvSrcc:F4}, MAPE {candidate.CvMape:P2}");
            }
            Console.WriteLine($"saved {result.PredictorPath}");
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command Predict()
    {
        var deviceOption = LatnasOptions.Device("Device whose saved predictor to use.");
        var archOption = LatnasOptions.Arch(required: false);
        var archsOption = LatnasOptions.Archs();
        var modelOption = LatnasOptions.SavedModel();
        var spaceOption = LatnasOptions.Space();
        var storeOption = LatnasOptions.Store();
        var jsonOption = LatnasOptions.Json();
        var stdinOption = new Option<bool>("--stdin")
        {
            Description = "Read architectures from standard input, one a line (any architecture form, or a JSON line {\"arch\": ..., \"id\": ...}), " +
                          "and write one JSON line per line as soon as it is predicted; a bad line gets an error line and the stream goes on.",
        };
        var onnxOption = new Option<string?>("--onnx")
        {
            Description = "Predict any ONNX model from its kernels, with the predictors `profile-kernels` trained for the device (prints the kernels that cost most).",
        };
        var batchOption = LatnasOptions.Batch("With --onnx: the batch size a symbolic batch dimension is taken as (a model with a fixed batch runs at its own; another given is refused).");
        var measureOption = new Option<bool>("--measure")
        {
            Description = "With --onnx: also measure the model on the device (an ONNX Runtime device of this machine, with its protocol) and print the prediction's error.",
        };
        var command = new Command("predict", "Predict latencies on a device with its saved predictor, or any ONNX model's from its kernels.")
        {
            deviceOption, archOption, archsOption, stdinOption, onnxOption, batchOption, measureOption, modelOption, spaceOption, storeOption, jsonOption,
        };
        command.SetHandler(parse =>
        {
            var space = parse.SearchSpace(spaceOption);
            string? arch = parse.GetValue(archOption);
            string? file = parse.GetValue(archsOption);
            bool stdin = parse.GetValue(stdinOption);
            string? onnx = parse.GetValue(onnxOption);
            if ((arch is not null ? 1 : 0) + (file is not null ? 1 : 0) + (stdin ? 1 : 0) + (onnx is not null ? 1 : 0) != 1)
            {
                throw new InvalidInputException("Give exactly one of --arch, --archs, --stdin and --onnx.");
            }
            if (onnx is not null)
            {
                return PredictModel(new ModelPredictionRequest(parse.GetValue(deviceOption)!, onnx, parse.StoreLocation(storeOption), parse.Given(batchOption),
                    Measure: parse.GetValue(measureOption)), parse.GetValue(jsonOption));
            }
            if (parse.GetValue(measureOption))
            {
                throw new InvalidInputException("--measure goes with --onnx: it measures the model file the prediction is for.");
            }
            if (stdin)
            {
                var session = PredictSession.Open(parse.GetValue(deviceOption)!, space, parse.StoreLocation(storeOption), modelOption.ValueIn(parse));
                return PredictionStream.Run(session, space.Name, Console.In, Console.Out, Console.Error);
            }
            var architectures = arch is not null ? [space.Parse(arch)] : ArchitectureSelection.ReadFile(file!, space);
            var result = new PredictUseCase().Run(new PredictRequest(parse.GetValue(deviceOption)!, architectures, space, parse.StoreLocation(storeOption), modelOption.ValueIn(parse)));
            if (parse.GetValue(jsonOption))
            {
                Json.Write(result);
                return ExitCodes.Success;
            }
            foreach (var p in result.Predictions)
            {
                Console.WriteLine($"{p.PredictedMs.ToString("F4", CultureInfo.InvariantCulture)} ms  {p.Arch}");
            }
            Console.Error.WriteLine($"{result.Predictions.Count} predictions by {result.Model} trained on {result.TrainedOn} architectures of {result.Device}");
            return ExitCodes.Success;
        });
        return command;
    }

    private static int PredictModel(ModelPredictionRequest request, bool json)
    {
        var result = new ModelPredictionUseCase().Run(request);
        if (json)
        {
            Json.Write(result);
            return ExitCodes.Success;
        }
        Console.WriteLine($"{result.PredictedMs.ToString("F3", CultureInfo.InvariantCulture)} ms predicted for {result.Model} on {result.Device} " +
                          $"({result.Kernels.Count} kernels at optimization {result.Optimization}, batch {result.Batch}, one run's overhead {result.OverheadMs:F3} ms)");
        var table = new Table().Border(TableBorder.Simple).AddColumns("kernel", "nodes", "predicted as", "ms", "share");
        foreach (var kernel in result.Kernels.OrderByDescending(k => k.PredictedMs).Take(10))
        {
            table.AddRow(Markup.Escape(kernel.Operator), Markup.Escape(ModelCommands.NodesText(kernel.Nodes)),
                Markup.Escape(kernel.As), kernel.PredictedMs.ToString("F4", CultureInfo.InvariantCulture), $"{kernel.Share:P1}");
        }
        AnsiConsole.Write(table);
        if (result.MeasuredMs is { } measured)
        {
            Console.WriteLine($"measured {measured.ToString("F3", CultureInfo.InvariantCulture)} ms on {result.Device}: the prediction is off by {result.Error!.Value.ToString("+0.0%;-0.0%", CultureInfo.InvariantCulture)}");
        }
        return ExitCodes.Success;
    }

    public static Command Evaluate()
    {
        var devicesOption = LatnasOptions.Devices("--devices", "Devices to train and test a predictor for.");
        var trainSizeOption = LatnasOptions.TrainSize();
        var modelOption = LatnasOptions.Model();
        var seedOption = LatnasOptions.Seed("Seed of the train/test splits and of the models.");
        var spaceOption = LatnasOptions.Space();
        var storeOption = LatnasOptions.Store();
        var jsonOption = LatnasOptions.Json();
        var command = new Command("evaluate", "Train and test a predictor per device and print one row each as it finishes (nothing is saved).")
        {
            devicesOption, trainSizeOption, modelOption, seedOption, spaceOption, storeOption, jsonOption,
        };
        command.SetHandler(parse =>
        {
            bool json = parse.GetValue(jsonOption);
            var table = new StreamingTable(json ? Console.Error : Console.Out, "device", "model", "train", "test", "±5%", "±10%", "SRCC", "Kendall", "MAPE", "RMSE ms");
            var rows = new Synchronous<PredictorEvaluation>(row => table.Row(row.Device, row.Model, $"{row.Train}", $"{row.Test}", $"{row.Within5:P1}",
                $"{row.Within10:P1}", $"{row.Srcc:F4}", $"{row.Kendall:F4}", $"{row.Mape:P2}", $"{row.Rmse:F4}"));
            var result = new EvaluateUseCase().Run(new EvaluateRequest(parse.GetValue(devicesOption)!, parse.SearchSpace(spaceOption), parse.StoreLocation(storeOption),
                modelOption.ValueIn(parse), parse.Given(trainSizeOption), parse.GetValue(seedOption)), rows);
            if (json)
            {
                Json.Write(result);
            }
            else if (result.Rows.Count > 1)
            {
                Console.WriteLine($"mean of {result.Rows.Count}: within ±10% {result.MeanWithin10:P1}, SRCC {result.MeanSrcc:F4}");
            }
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command Predictors()
    {
        var predictors = new Command("predictors", "The latency predictors saved beside the profile store.");
        var storeOption = LatnasOptions.Store();
        var jsonOption = LatnasOptions.Json();
        var list = new Command("list", "List saved predictors: device, model, training size, test metrics and date.") { storeOption, jsonOption };
        list.SetHandler(parse =>
        {
            var result = new PredictorsListUseCase().Run(new PredictorsListRequest(parse.StoreLocation(storeOption)));
            if (parse.GetValue(jsonOption))
            {
                Json.Write(result);
                return ExitCodes.Success;
            }
            var table = new Table().Border(TableBorder.Simple).AddColumns("device", "model", "chosen", "trained on", "±10%", "SRCC", "MAPE", "created (UTC)");
            foreach (var p in result.Predictors)
            {
                var m = p.TestMetrics;
                table.AddRow(Markup.Escape(p.Device), p.Model, Markup.Escape(p.Chosen ?? $"unreadable: {p.Problem}"), p.TrainedOn?.ToString("N0", CultureInfo.InvariantCulture) ?? "",
                    m is null ? "" : $"{m.Within10:P1}", m is null ? "" : $"{m.Srcc:F4}", m is null ? "" : $"{m.Mape:P2}",
                    p.CreatedAt?.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) ?? "");
            }
            AnsiConsole.Write(table);
            Console.WriteLine($"{result.Predictors.Count} predictors in {result.Folder}");
            return ExitCodes.Success;
        });
        predictors.Subcommands.Add(list);
        predictors.Subcommands.Add(PredictorsExport());
        return predictors;
    }

    private static Command PredictorsExport()
    {
        var deviceOption = LatnasOptions.Device("The device whose saved predictor is exported.");
        var outOption = LatnasOptions.Out("Where to write the ONNX model (e.g. raspi4.onnx).");
        var modelOption = LatnasOptions.SavedModel();
        var checkedOption = LatnasOptions.Integer("--check", "Architectures the written model must predict as the native predictor does (within 1e-5 relative) in ONNX Runtime.",
            PredictorExportRequest.DefaultChecked, 1, 10_000_000);
        var spaceOption = LatnasOptions.Space();
        var storeOption = LatnasOptions.Store();
        var jsonOption = LatnasOptions.Json();
        var command = new Command("export",
            "Write a device's saved predictor as a standalone ONNX model: int64 [N, decisions] architectures in, float [N] milliseconds out, " +
            "for any ONNX Runtime (Python's onnxruntime included). See docs/python.md.")
        {
            deviceOption, outOption, modelOption, checkedOption, spaceOption, storeOption, jsonOption,
        };
        command.SetHandler(parse =>
        {
            var result = new PredictorExportUseCase().Run(new PredictorExportRequest(parse.GetValue(deviceOption)!, parse.SearchSpace(spaceOption),
                parse.StoreLocation(storeOption), parse.GetValue(outOption)!, modelOption.ValueIn(parse), parse.GetValue(checkedOption)));
            if (parse.GetValue(jsonOption))
            {
                Json.Write(result);
                return ExitCodes.Success;
            }
            Console.WriteLine($"wrote {result.Path} ({result.Bytes / 1024.0:N0} KiB): {result.Model} of {result.Device}, trained on {result.TrainedOn:N0} {result.Space} architectures");
            Console.WriteLine($"checked in ONNX Runtime on {result.Checked:N0} architectures: largest difference from the native predictor {result.MaxRelativeError:E1} relative");
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command Explain()
    {
        var archArgument = new Argument<string>("ARCH") { Description = LatnasOptions.ArchForms };
        var devicesOption = LatnasOptions.Devices("--devices", "Devices to explain the latency on (each with a saved predictor: latnas train).");
        var modelOption = LatnasOptions.SavedModel();
        var spaceOption = LatnasOptions.Space();
        var storeOption = LatnasOptions.Store();
        var jsonOption = LatnasOptions.Json();
        var command = new Command("explain",
            "Why an architecture is slow where it is slow: each device's predicted latency in parts — the reference (every decision at its first choice) " +
            "and what each decision's choice adds (its Shapley value: averaged over every order of setting the decisions); they add up to the prediction.")
        {
            archArgument, devicesOption, modelOption, spaceOption, storeOption, jsonOption,
        };
        command.SetHandler(parse =>
        {
            var space = parse.SearchSpace(spaceOption);
            var result = new ExplainUseCase().Run(new ExplainRequest(space.Parse(parse.GetValue(archArgument)!), parse.GetValue(devicesOption)!, space,
                parse.StoreLocation(storeOption), modelOption.ValueIn(parse)));
            if (parse.GetValue(jsonOption))
            {
                Json.Write(result);
                return ExitCodes.Success;
            }
            Console.WriteLine($"{result.Arch} ({result.Ops})");
            var table = new Table().Border(TableBorder.Simple).AddColumn("part");
            foreach (var device in result.Devices)
            {
                table.AddColumn(new TableColumn(Markup.Escape(device.Device)).RightAligned());
            }
            string Ms(double value) => value.ToString("+0.0000;-0.0000", CultureInfo.InvariantCulture);
            table.AddRow(["reference " + result.Devices[0].ReferenceOps, .. result.Devices.Select(d => d.ReferenceMs.ToString("F4", CultureInfo.InvariantCulture))]);
            for (int i = 0; i < result.Devices[0].Parts.Count; i++)
            {
                var part = result.Devices[0].Parts[i];
                table.AddRow([Markup.Escape($"{part.Decision}: {part.Choice}"), .. result.Devices.Select(d => Ms(d.Parts[i].Ms))]);
            }
            table.AddRow(["[bold]predicted[/]", .. result.Devices.Select(d => $"[bold]{d.PredictedMs.ToString("F4", CultureInfo.InvariantCulture)}[/]")]);
            table.AddRow(["measured", .. result.Devices.Select(d => d.MeasuredMs?.ToString("F4", CultureInfo.InvariantCulture) ?? "–")]);
            AnsiConsole.Write(table);
            foreach (var device in result.Devices)
            {
                Console.WriteLine($"{device.Device}: {device.Predictor}{(device.Exact ? "" : $", parts estimated from {ExplainUseCase.SampledOrders} sampled orders")}");
            }
            return ExitCodes.Success;
        });
        return command;
    }
}
