using System.CommandLine;
using System.Globalization;
using LatencyNas.Workflows;
using LatencyNas.Workflows.Runners;
using Spectre.Console;

namespace LatencyNas.Cli.Commands;

/// <summary><c>queue add|status|cancel</c> and <c>worker</c>: profiling as work that many workers, on many machines, share through one store.</summary>
internal static class QueueCommands
{
    public static Command Queue()
    {
        var queue = new Command("queue", "Work for workers: architectures queued for a device in the store, measured by `latnas worker` processes on any machine that reaches it.");
        queue.Subcommands.Add(Add());
        queue.Subcommands.Add(Status());
        queue.Subcommands.Add(Cancel());
        return queue;
    }

    private static Command Add()
    {
        var deviceOption = LatnasOptions.DeviceDescriptor(ProfileCommands.DefaultDevice);
        var deviceNameOption = LatnasOptions.DeviceName("Queue the work under this device name instead of the descriptor's (give the workers the same).");
        var spaceOption = LatnasOptions.Space();
        var countOption = LatnasOptions.Count(ProfileRequest.DefaultCount);
        var seedOption = LatnasOptions.Seed("Seed of the architectures drawn by --count.");
        var allOption = new Option<bool>("--all") { Description = "Every architecture of the space (only for spaces that can be listed)." };
        var archsOption = LatnasOptions.Archs();
        var sessionOption = LatnasOptions.Integer("--session", "Session number the architectures are measured for (as with profile).", 1, 1, 1_000_000);
        var storeOption = LatnasOptions.Store();
        var jsonOption = LatnasOptions.Json();
        var datasetOptions = new DatasetOptions(defaultDataset: null,
            "Task to measure at instead of the descriptor's, queued for the device DEVICE@TASK (give the workers the same)");
        var command = new Command("add", "Queue architectures, chosen as profile chooses them, for the workers of a device. Already queued ones stay as they are.")
        {
            deviceOption, deviceNameOption, spaceOption, countOption, seedOption, allOption, archsOption, sessionOption, storeOption, jsonOption,
        };
        datasetOptions.AddTo(command);
        command.SetHandler(parse =>
        {
            var space = parse.SearchSpace(spaceOption);
            var result = new QueueAddUseCase().Run(new QueueAddRequest(
                parse.GetValue(deviceOption)!, space,
                new ArchitectureSelection(parse.Given(countOption), parse.GetValue(seedOption), parse.GetValue(allOption), parse.GetValue(archsOption)),
                parse.StoreLocation(storeOption), parse.GetValue(deviceNameOption), parse.GetValue(sessionOption), datasetOptions.Parse(parse, space)));
            if (parse.GetValue(jsonOption))
            {
                Json.Write(result);
            }
            else
            {
                Console.WriteLine($"queued {result.Added} of {result.Requested} {result.Space} architectures for {result.Device} (session {result.Session}) in {result.Store}" +
                                  (result.Added < result.Requested ? $"; {result.Requested - result.Added} were queued already" : ""));
            }
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Status()
    {
        var storeOption = LatnasOptions.Store();
        var jsonOption = LatnasOptions.Json();
        var command = new Command("status", "Per device and space: queued, done, failed, claimed (by which worker, since when) and left, with the rate and the time left.")
        {
            storeOption, jsonOption,
        };
        command.SetHandler(parse =>
        {
            var result = new QueueStatusUseCase().Run(new QueueStatusRequest(parse.StoreLocation(storeOption)));
            if (parse.GetValue(jsonOption))
            {
                Json.Write(result);
                return ExitCodes.Success;
            }
            var table = new Table().Border(TableBorder.Simple).AddColumns("device", "space", "session", "queued", "done", "failed", "claimed", "left", "per minute", "time left");
            foreach (var row in result.Rows)
            {
                table.AddRow(Markup.Escape(row.Device), row.Space, Number(row.Session), Number(row.Queued), Number(row.Done), Number(row.Failed), Number(row.Claimed),
                    Number(row.Left), row.PerMinute is { } rate ? rate.ToString("0.#", CultureInfo.InvariantCulture) : "–",
                    row.EtaSeconds is { } eta ? TimeSpan.FromSeconds(Math.Round(eta)).ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture) : "–");
            }
            AnsiConsole.Write(table);
            foreach (var row in result.Rows.Where(r => r.Claimants.Count > 0))
            {
                foreach (var claimant in row.Claimants)
                {
                    string since = claimant.Since is { } at ? $" since {at.UtcDateTime:HH:mm:ss} UTC" : "";
                    Console.WriteLine($"  {row.Device} {row.Space}: {claimant.Claimed} claimed by {claimant.Owner}{since}, lease until {claimant.Expires.UtcDateTime:HH:mm:ss} UTC");
                }
            }
            Console.WriteLine($"{result.Rows.Count} queue{(result.Rows.Count == 1 ? "" : "s")} in {result.Store}");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Cancel()
    {
        var deviceOption = LatnasOptions.Device("The device (its name in the store) whose queued work to remove.");
        var spaceOption = new Option<string?>("--space") { Description = "Only this space's queued work (default: all)." };
        var storeOption = LatnasOptions.Store();
        var jsonOption = LatnasOptions.Json();
        var command = new Command("cancel", "Remove a device's queued work that is not measured yet; what is measured or failed stays, and a batch being measured is still recorded.")
        {
            deviceOption, spaceOption, storeOption, jsonOption,
        };
        command.SetHandler(parse =>
        {
            var space = parse.GetValue(spaceOption) is { } name ? Core.Spaces.SearchSpaces.Get(name) : null;
            var result = new QueueCancelUseCase().Run(new QueueCancelRequest(parse.GetValue(deviceOption)!, parse.StoreLocation(storeOption), space));
            if (parse.GetValue(jsonOption))
            {
                Json.Write(result);
            }
            else
            {
                Console.WriteLine($"removed {result.Removed} queued architectures of {result.Device} from {result.Store}");
            }
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command Worker()
    {
        var deviceOption = LatnasOptions.DeviceDescriptor(ProfileCommands.DefaultDevice);
        var deviceNameOption = LatnasOptions.DeviceName("Work on the queue of this device name instead of the descriptor's (as given to queue add).");
        var storeOption = LatnasOptions.Store();
        var waitOption = new Option<bool>("--wait") { Description = "When the device's queue is empty, wait for more work instead of exiting." };
        var chunkOption = LatnasOptions.Integer("--chunk", "Architectures taken from the queue at a time (each batch of them claimed as it is measured).",
            WorkerRequest.DefaultChunkSize, 1, 100_000);
        var timeoutOption = LatnasOptions.Number("--timeout", "Seconds one measurement attempt may take.", 120, 0, 86_400, minimumExclusive: true);
        var retriesOption = LatnasOptions.Integer("--retries", "Retries of a transient fault or timeout per architecture.", 2, 0, 100);
        var jsonOption = LatnasOptions.Json();
        var datasetOptions = new DatasetOptions(defaultDataset: null, "Task the queue was added for (as given to queue add)");
        var command = new Command("worker",
            "Measure a device's queued work, sharing it with any number of workers on any machine that reaches the store; exits 0 when the queue is empty.")
        {
            deviceOption, deviceNameOption, storeOption, waitOption, chunkOption, timeoutOption, retriesOption, jsonOption,
        };
        datasetOptions.AddTo(command);
        command.SetHandler(async (parse, cancellation) =>
        {
            var request = new WorkerRequest(parse.GetValue(deviceOption)!, parse.StoreLocation(storeOption), parse.GetValue(deviceNameOption),
                datasetOptions.Parse(parse, space: null), parse.GetValue(waitOption), parse.GetValue(chunkOption), parse.GetValue(timeoutOption), parse.GetValue(retriesOption));
            bool json = parse.GetValue(jsonOption);
            var useCase = new WorkerUseCase(DeviceRunnerFactory.Instance);
            string title = request.DeviceName ?? Path.GetFileNameWithoutExtension(request.Device);
            var result = await ConsoleProgress.RunAsync(title, progress => useCase.RunAsync(request, progress, cancellation), toStandardError: json);
            if (json)
            {
                Json.Write(result);
            }
            else
            {
                Console.WriteLine($"worker of {result.Device} on {result.Store}: {result.Measured} measured, {result.Failed} failed, {result.LeftToOthers} left to other workers, " +
                                  $"in {result.Chunks} chunk{(result.Chunks == 1 ? "" : "s")} and {result.ElapsedSeconds:F1} s");
            }
            if (result.StopReason is not null)
            {
                Console.Error.WriteLine($"latnas: worker {result.StopReason}; start it again to continue.");
            }
            return result.Succeeded ? ExitCodes.Success : ExitCodes.RunFailed;
        });
        return command;
    }

    private static string Number(int value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
