using System.CommandLine;
using LatencyNas.Cli;
using LatencyNas.Cli.Commands;

var root = new RootCommand(
    "latnas — hardware-aware latency prediction and device profiling for neural architecture search.")
{
    SpaceCommands.Create(),
    ExportCommands.Export(),
    ExportCommands.CheckExport(),
    ModelCommands.Kernels(),
    ProfileCommands.Profile(),
    ProfileCommands.ProfileKernels(),
    QueueCommands.Queue(),
    QueueCommands.Worker(),
    StoreCommands.Import(),
    StoreCommands.Profiles(),
    StoreCommands.Devices(),
    StoreCommands.Store(),
    StoreCommands.Show(),
    PredictCommands.Train(),
    PredictCommands.Predict(),
    PredictCommands.Explain(),
    PredictCommands.Evaluate(),
    PredictCommands.Predictors(),
    AnalysisCommands.MonotonicityCommand(),
    AnalysisCommands.Adapt(),
    AnalysisCommands.Pareto(),
    AnalysisCommands.Recommend(),
    AnalysisCommands.Report(),
    SearchCommands.Search(),
    SearchCommands.ZeroCost(),
    ServeCommand.Create(),
    LatencyNas.Agent.AgentCommand.Create(),
    BenchCommands.Create(),
};

// Piped or redirected output keeps tables whole instead of wrapping them at 80 columns.
if (Console.IsOutputRedirected)
{
    Spectre.Console.AnsiConsole.Profile.Width = 250;
}

var parse = root.Parse(args);
if (parse.Errors.Count > 0)
{
    // One line: the first problem is the one to fix; `--help` on the verb shows the rest of the contract. A mistyped
    // verb also leaves "Required command was not provided"; the unrecognized word is what the user needs to see.
    var first = parse.Errors.FirstOrDefault(e => e.Message.StartsWith("Unrecognized command", StringComparison.Ordinal)) ?? parse.Errors[0];
    return CommandActions.Fail(ExitCodes.BadInput, first.Message + " (see --help)");
}
return await parse.InvokeAsync();
