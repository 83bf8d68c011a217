using System.CommandLine;
using LatencyNas.Core.Spaces.Kernels;
using LatencyNas.Profiling.Timing;
using LatencyNas.Workflows;
using LatencyNas.Workflows.Runners;

namespace LatencyNas.Cli.Commands;

internal static class ProfileCommands
{
    public const string DefaultDevice = "ort-cpu-1t";

    public static Command ProfileKernels()
    {
        var deviceOption = LatnasOptions.DeviceDescriptor(DefaultDevice);
        var deviceNameOption = LatnasOptions.DeviceName("Store the measurements under this device name instead of the descriptor's.");
        var scaleOption = LatnasOptions.Number("--scale",
            $"Multiplies the kernels drawn per space ({string.Join(", ", ProfileKernelsUseCase.SampleSizes.Select(p => $"{KernelSpace.For(p.Key).Name} {p.Value}"))}).",
            1, 0, 100, minimumExclusive: true);
        var seedOption = LatnasOptions.Seed("Seed of the kernels drawn.");
        var storeOption = LatnasOptions.Store();
        var jsonOption = LatnasOptions.Json();
        var command = new Command("profile-kernels",
            "Measure a sample of single-kernel models of every kind (convolutions, depthwise convolutions, elementwise, pooling, Gemm) on a device into the store, " +
            "and train one predictor per kind: what `kernels` and the prediction of any ONNX model need. Resumable like profile.")
        {
            deviceOption, deviceNameOption, scaleOption, seedOption, storeOption, jsonOption,
        };
        command.SetHandler(async (parse, cancellation) =>
        {
            var request = new ProfileKernelsRequest(parse.GetValue(deviceOption)!, parse.StoreLocation(storeOption), parse.GetValue(scaleOption),
                parse.GetValue(seedOption), parse.GetValue(deviceNameOption));
            bool json = parse.GetValue(jsonOption);
            var useCase = new ProfileKernelsUseCase(DeviceRunnerFactory.Instance);
            string title = (request.DeviceName ?? Path.GetFileNameWithoutExtension(request.Device)) + " kernels";
            var result = await ConsoleProgress.RunAsync(title, progress => useCase.RunAsync(request, progress, cancellation), toStandardError: json);
            if (json)
            {
                Json.Write(result);
            }
            else
            {
                foreach (var space in result.Spaces)
                {
                    var p = space.Profile;
                    string predictor = space.Predictor is { } t
                        ? $"{t.Evaluation.Model} on {t.Evaluation.Train}, tested on {t.Evaluation.Test}: within ±10% {t.Evaluation.Within10:P1}, SRCC {t.Evaluation.Srcc:F3}"
                        : "no predictor (too few kernels measured)";
                    Console.WriteLine($"{space.Space,-19} {space.Kernels,4} kernels ({p.Measured} measured now, {p.Failed} failed, {p.ElapsedSeconds:F0} s); {predictor}");
                }
                Console.WriteLine($"{result.Device} into {result.Store} in {result.ElapsedSeconds:F0} s");
            }
            if (result.StopReason is { } stop)
            {
                Console.Error.WriteLine($"latnas: profile-kernels {stop}; run the same command again to continue.");
            }
            else if (!result.Succeeded)
            {
                var failed = result.Failed.ToList();
                var few = result.TooFewKernels.ToList();
                if (failed.Count > 0)
                {
                    Console.Error.WriteLine($"latnas: profile-kernels has no predictor for {string.Join(", ", failed.Select(s => $"{s.Space} ({s.Profile.Failed} failed)"))}; " +
                                            "run the same command again to retry what failed.");
                }
                if (few.Count > 0)
                {
                    Console.Error.WriteLine($"latnas: profile-kernels has no predictor for {string.Join(", ", few.Select(s => $"{s.Space} ({s.Kernels} kernels)"))}: " +
                                            $"a predictor needs at least {ProfileKernelsUseCase.MinimumToTrain} kernels of its kind; give --scale {ProfileKernelsUseCase.MinimumScale:0.##} or more.");
                }
            }
            return result.Succeeded ? ExitCodes.Success : ExitCodes.RunFailed;
        });
        return command;
    }

    public static Command Profile()
    {
        var deviceOption = LatnasOptions.DeviceDescriptor(DefaultDevice);
        var deviceNameOption = LatnasOptions.DeviceName("Store the measurements under this device name instead of the descriptor's.");
        var spaceOption = LatnasOptions.Space();
        var countOption = LatnasOptions.Count(ProfileRequest.DefaultCount);
        var seedOption = LatnasOptions.Seed("Seed of the architectures drawn by --count.");
        var allOption = new Option<bool>("--all") { Description = "Every architecture of the space (only for spaces that can be listed)." };
        var archsOption = LatnasOptions.Archs();
        var storeOption = LatnasOptions.Store();
        var sessionOption = LatnasOptions.Integer("--session", "Session number: profile the same architectures again as session 2, 3, … (test-retest).", 1, 1, 1_000_000);
        var retryFailedOption = new Option<bool>("--retry-failed") { Description = "Measure again architectures recorded as failed." };
        var giveUpFailedOption = new Option<bool>("--give-up-failed")
        {
            Description = "Accept the recorded failures of the architectures asked for: they stay failed, and the run no longer fails because of them.",
        };
        var protocol = MeasurementProtocol.Default;
        var modeOption = LatnasOptions.Choice("--protocol",
            "interleaved: every architecture of a batch visited in many short shuffled rounds on three sessions in turn, its latency the median of their fastest quiet visits; " +
            "burst: one block of runs per architecture, their median (the protocol before schema 4). Overrides the device descriptor's.",
            MeasurementMode.Interleaved, ("interleaved", MeasurementMode.Interleaved), ("burst", MeasurementMode.Burst));
        var precisionOption = LatnasOptions.Number("--precision",
            "Relative half-width of the estimate's 95% interval to reach: interleaved, the interval a re-measurement falls in (burst: the median's, default 0.02). " +
            "Overrides the descriptor's protocol.", protocol.TargetRelativePrecision, 0, 1, minimumExclusive: true);
        var maxRunsOption = LatnasOptions.Integer("--max-runs", "Burst: timed runs per architecture at most (overrides the descriptor's protocol).", protocol.MaxRuns, 1, 10_000_000);
        var maxSecondsOption = LatnasOptions.Number("--max-seconds", "Burst: timed phase per architecture at most, in seconds (overrides the descriptor's protocol).",
            protocol.MaxTime.TotalSeconds, 0, 86_400, minimumExclusive: true);
        var warmupSecondsOption = LatnasOptions.Number("--warmup-seconds", "Burst: warm-up per architecture at most, in seconds (overrides the descriptor's protocol).",
            protocol.WarmupMaxTime.TotalSeconds, 0, 86_400, minimumExclusive: true);
        var timeoutOption = LatnasOptions.Number("--timeout", "Seconds one measurement attempt may take.", 120, 0, 86_400, minimumExclusive: true);
        var retriesOption = LatnasOptions.Integer("--retries", "Retries of a transient fault or timeout per architecture.", 2, 0, 100);
        var datasetOptions = new DatasetOptions(defaultDataset: null,
            "Task to measure at instead of the descriptor's (cifar10 unless it says), stored as another device, DEVICE@TASK, never mixed with the first");
        var jsonOption = LatnasOptions.Json();
        var command = new Command("profile",
            "Measure architectures on a device into the profile store. Resumable: run it again and it continues where it stopped.")
        {
            deviceOption, deviceNameOption, spaceOption, countOption, seedOption, allOption, archsOption, storeOption, sessionOption, retryFailedOption, giveUpFailedOption,
            modeOption, precisionOption, maxRunsOption, maxSecondsOption, warmupSecondsOption, timeoutOption, retriesOption, jsonOption,
        };
        datasetOptions.AddTo(command);
        command.SetHandler(async (parse, cancellation) =>
        {
            var space = parse.SearchSpace(spaceOption);
            var request = new ProfileRequest(
                parse.GetValue(deviceOption)!,
                space,
                new ArchitectureSelection(parse.Given(countOption), parse.GetValue(seedOption), parse.GetValue(allOption), parse.GetValue(archsOption)),
                parse.StoreLocation(storeOption),
                parse.GetValue(deviceNameOption),
                parse.GetValue(sessionOption),
                parse.GetValue(retryFailedOption),
                parse.Given(precisionOption),
                parse.Given(maxRunsOption),
                parse.Given(maxSecondsOption),
                parse.Given(warmupSecondsOption),
                parse.GetValue(timeoutOption),
                parse.GetValue(retriesOption),
                parse.GetResult(modeOption) is { Implicit: false } ? modeOption.ValueIn(parse) : null,
                parse.GetValue(giveUpFailedOption),
                datasetOptions.Parse(parse, space));
            bool json = parse.GetValue(jsonOption);
            var useCase = new ProfileUseCase(DeviceRunnerFactory.Instance);
            string title = request.DeviceName ?? Path.GetFileNameWithoutExtension(request.Device);
            var result = await ConsoleProgress.RunAsync(title, progress => useCase.RunAsync(request, progress, cancellation), toStandardError: json);
            if (json)
            {
                Json.Write(result);
            }
            else
            {
                Console.WriteLine(
                    $"{result.Device} ({result.Setting}) into {result.Store}: {result.Requested} requested, {result.AlreadyStored} already stored, {result.Measured} measured, " +
                    $"{result.Failed} failed, {result.Remaining} left, in {result.ElapsedSeconds:F1} s ({result.SecondsPerArchitecture:F2} s per architecture; " +
                    $"batches measured for {result.MeasuringSeconds:F1} s, the rest building, loading and storing)" +
                    (result.MedianLatencyMs is { } m ? $"; median latency {m:F3} ms" : ""));
                if (result.Measured > 0)
                {
                    Console.WriteLine($"  precision met for {result.PrecisionMet} of {result.Measured}" +
                                      (result.ContendedVisits is { } c ? $"; {c:P1} of the visits were contended and set aside" : ""));
                }
                if (result.InReferenceBatch > 0)
                {
                    Console.WriteLine($"  {result.InReferenceBatch} estimates claim no precision: their batch stored the device's reference architectures, " +
                                      "so nothing has checked its scale (a later session of them will)");
                }
                if (result.Uneven is { } uneven)
                {
                    string spreads = uneven.SmallestSpread.ToString("P1") + (uneven.Batches > 1 ? $"–{uneven.LargestSpread:P1}" : "");
                    Console.WriteLine($"  {uneven.Architectures} estimates in {uneven.Batches} batch{(uneven.Batches > 1 ? "es" : "")} claim no precision: their reference architectures " +
                                      $"disagreed by {spreads}, more than half the ±{uneven.Precision:P0} asked for — the machine's speed moved unevenly while they were measured");
                }
                foreach (var failure in result.Failures.Take(20))
                {
                    Console.WriteLine($"  failed {failure.Arch}: {failure.Reason}");
                }
                if (result.Failures.Count > 20)
                {
                    Console.WriteLine($"  … and {result.Failures.Count - 20} more (see `latnas profiles export --device {result.Device}{request.Store.Suggestion} --out FILE.csv`)");
                }
                if (result.EarlierFailures is { Count: > 0 } earlier)
                {
                    Console.WriteLine($"  {earlier.Count} failed in an earlier run and are still not measured, e.g. {earlier[0].Arch}: {earlier[0].Reason}");
                }
                if (result.LeftToOthers > 0)
                {
                    Console.WriteLine($"  {result.LeftToOthers} were being measured by another profile of {result.Device} at the same time");
                }
                if (result.GivenUp > 0)
                {
                    Console.WriteLine($"  gave up on {result.GivenUp} recorded failures");
                }
            }
            if (result.EarlierFailures is { Count: > 0 } outstanding)
            {
                Console.Error.WriteLine($"latnas: {outstanding.Count} of the architectures asked for failed in an earlier run; " +
                                        "add --retry-failed to measure them again, or --give-up-failed to accept them.");
            }
            if (result.StopReason is not null)
            {
                Console.Error.WriteLine($"latnas: profile {result.StopReason}; run the same command again to continue.");
            }
            return result.Succeeded ? ExitCodes.Success : ExitCodes.RunFailed;
        });
        return command;
    }
}
