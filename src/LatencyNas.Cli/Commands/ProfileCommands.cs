using System.CommandLine;
using LatencyNas.Core;
using LatencyNas.Core.Spaces;
using LatencyNas.Profiling;
using LatencyNas.Profiling.Devices;
using LatencyNas.Profiling.Store;
using LatencyNas.Profiling.Timing;
using LatencyNas.Torch.Runners;

namespace LatencyNas.Cli.Commands;

internal static class ProfileCommands
{
    public const string DefaultDevice = "ort-cpu-1t";

    public static Command Profile()
    {
        var deviceOption = new Option<string>("--device")
        {
            Description = $"Device descriptor: a JSON file, or the name of a shipped one ({string.Join(", ", DeviceDescriptorReader.EmbeddedNames)}).",
            DefaultValueFactory = _ => DefaultDevice,
        };
        var deviceNameOption = new Option<string?>("--device-name") { Description = "Store the measurements under this device name instead of the descriptor's." };
        var spaceOption = CommonOptions.Space();
        var selection = new ArchitectureSelection(defaultSample: 100);
        var storeOption = CommonOptions.Store();
        var sessionOption = CommonOptions.Positive("--session", "Session number: profile the same architectures again as session 2, 3, … (test-retest).", 1);
        var retryFailedOption = new Option<bool>("--retry-failed") { Description = "Measure again architectures recorded as failed." };
        var precisionOption = new Option<double?>("--precision") { Description = $"Relative half-width of the median's 95% confidence interval to reach (default {MeasurementProtocol.Default.TargetRelativePrecision})." };
        var maxRunsOption = new Option<int?>("--max-runs") { Description = $"Timed runs per architecture at most (default {MeasurementProtocol.Default.MaxRuns})." };
        var maxSecondsOption = new Option<double?>("--max-seconds") { Description = $"Timed phase per architecture at most, in seconds (default {MeasurementProtocol.Default.MaxTime.TotalSeconds})." };
        var warmupSecondsOption = new Option<double?>("--warmup-seconds") { Description = $"Warm-up per architecture at most, in seconds (default {MeasurementProtocol.Default.WarmupMaxTime.TotalSeconds})." };
        var timeoutOption = new Option<double>("--timeout") { Description = "Seconds one measurement attempt may take.", DefaultValueFactory = _ => 120 };
        var retriesOption = new Option<int>("--retries") { Description = "Retries of a transient fault or timeout per architecture.", DefaultValueFactory = _ => 2 };
        var command = new Command("profile",
            "Measure architectures on a device into the profile store. Resumable: run it again and it continues where it stopped.")
        {
            deviceOption, deviceNameOption, spaceOption, storeOption, sessionOption, retryFailedOption,
            precisionOption, maxRunsOption, maxSecondsOption, warmupSecondsOption, timeoutOption, retriesOption,
        };
        foreach (var option in selection.Options)
        {
            command.Options.Add(option);
        }
        command.SetHandler(async (parse, cancellation) =>
        {
            var device = DeviceDescriptorReader.Resolve(parse.GetValue(deviceOption)!);
            if (parse.GetValue(deviceNameOption) is { } rename)
            {
                device = device with { Name = rename };
            }
            var space = SearchSpaces.Get(parse.GetValue(spaceOption)!);
            var architectures = selection.Resolve(parse, space);
            var protocol = device.Protocol ?? MeasurementProtocol.Default;
            if (parse.GetValue(precisionOption) is { } precision) protocol = protocol with { TargetRelativePrecision = precision };
            if (parse.GetValue(maxRunsOption) is { } maxRuns) protocol = protocol with { MaxRuns = maxRuns, MinRuns = Math.Min(protocol.MinRuns, maxRuns) };
            if (parse.GetValue(maxSecondsOption) is { } maxSeconds) protocol = protocol with { MaxTime = TimeSpan.FromSeconds(maxSeconds) };
            if (parse.GetValue(warmupSecondsOption) is { } warmupSeconds)
            {
                protocol = protocol with { WarmupMaxTime = TimeSpan.FromSeconds(warmupSeconds), WarmupMinTime = TimeSpan.FromSeconds(Math.Min(warmupSeconds, protocol.WarmupMinTime.TotalSeconds)) };
            }
            var options = new ProfileOptions
            {
                Protocol = protocol.Validated(),
                Session = parse.GetValue(sessionOption),
                RetryFailed = parse.GetValue(retryFailedOption),
                AttemptTimeout = TimeSpan.FromSeconds(parse.GetValue(timeoutOption)),
                MaxRetries = parse.GetValue(retriesOption),
            };

            await using var runner = DeviceRunners.Create(device);
            using var store = ProfileStore.Open(parse.GetValue(storeOption)!);
            Console.WriteLine($"profiling {architectures.Count} {space.Name} architectures on {device.Name} ({device.Summary}) into {store.Path}");
            var profiler = new Profiler(runner, store, options);
            var summary = await ConsoleProgress.RunAsync(device.Name, progress => profiler.RunAsync(space, architectures, progress, cancellation));
            PrintSummary(summary, space);
            return summary.Completed && summary.Failures.Count == 0 ? ExitCodes.Success : ExitCodes.RunFailed;
        });
        return command;
    }

    private static void PrintSummary(ProfileSummary summary, SearchSpace space)
    {
        double perArchitecture = summary.Measured + summary.Failures.Count > 0 ? summary.Elapsed.TotalSeconds / (summary.Measured + summary.Failures.Count) : 0;
        Console.WriteLine(
            $"{summary.Device}: {summary.Requested} requested, {summary.AlreadyStored} already stored, {summary.Measured} measured, " +
            $"{summary.Failures.Count} failed, {summary.Remaining} left, in {summary.Elapsed.TotalSeconds:F1} s ({perArchitecture:F2} s per architecture)" +
            (summary.MedianOfMediansMs is { } m ? $"; median latency {m:F3} ms" : ""));
        foreach (var failure in summary.Failures.Take(20))
        {
            Console.WriteLine($"  failed {space.Format(failure.Architecture)}: {failure.Reason}");
        }
        if (summary.Failures.Count > 20)
        {
            Console.WriteLine($"  … and {summary.Failures.Count - 20} more (see `latnas profiles export`)");
        }
        if (summary.StopReason is not null)
        {
            Console.Error.WriteLine($"latnas: profile {summary.StopReason}; run the same command again to continue.");
        }
    }
}
