using System.CommandLine;
using LatencyNas.Core;
using LatencyNas.Core.IO;
using LatencyNas.Web;

namespace LatencyNas.Cli.Commands;

/// <summary><c>serve</c>: the workbench page over the profile store.</summary>
internal static class ServeCommand
{
    public const string TokenVariable = "LATNAS_SERVE_TOKEN";

    public static Command Create()
    {
        var urlsOption = new Option<string>("--urls")
        {
            Description = "Address to listen on: a loopback address, or any other with a token.",
            DefaultValueFactory = _ => WorkbenchOptions.DefaultUrl,
        };
        var tokenFileOption = new Option<string?>("--token-file")
        {
            Description = $"File holding the token a browser (once, as ?token=) or an API client (as a bearer token) must present; required beyond loopback (or set {TokenVariable}).",
        };
        var demoOption = new Option<bool>("--demo")
        {
            Description = $"First fill the store (without --store or ${Workflows.StoreLocation.EnvironmentVariable}: {Workflows.DemoStoreUseCase.DefaultStore}) from the published tables — HELP's latencies of " +
                          "NAS-Bench-201 and FBNet on 27 devices, NAS-Bench-201's CIFAR-10 accuracy — and train predictors for the devices the page opens with; " +
                          "what is already there is not done again.",
        };
        var dataOption = new Option<string?>("--data")
        {
            Description = $"With --demo: the folder holding the published tables (default: ${Workflows.DemoStoreUseCase.DataVariable}, else ../shared/data).",
        };
        var storeOption = LatnasOptions.Store();
        var command = new Command("serve",
            "Serve the workbench in a browser: the store's devices, the monotonicity heatmap and a pair's scatter, its fronts and choice effects, " +
            "one architecture explained, any ONNX model's kernels, and a search to start and steer — linked views. Ctrl-C stops it.")
        {
            urlsOption, tokenFileOption, demoOption, dataOption, storeOption,
        };
        command.SetHandler(async (parse, cancellation) =>
        {
            string? token = parse.GetValue(tokenFileOption) is { } file ? TokenFile.Read(file)
                : Environment.GetEnvironmentVariable(TokenVariable) is { Length: > 0 } variable ? variable.Trim() : null;
            bool demo = parse.GetValue(demoOption);
            if (parse.GetValue(dataOption) is not null && !demo)
            {
                throw new InvalidInputException("--data names the published tables for --demo; give --demo too.");
            }
            var store = parse.StoreLocation(storeOption, demo ? Workflows.DemoStoreUseCase.DefaultStore : null);
            var options = new WorkbenchOptions { Store = store, Url = parse.GetValue(urlsOption)!, Token = token };
            options.Check(); // before a demo spends a minute filling the store
            if (demo)
            {
                var filled = new Workflows.DemoStoreUseCase().Run(new Workflows.DemoStoreRequest(parse.GetValue(dataOption), store),
                    new Synchronous<string>(step => Console.Error.WriteLine($"latnas: {step}")), cancellation);
                Console.Error.WriteLine(filled.Imported.Count + filled.Trained.Count == 0
                    ? $"latnas: {filled.Store} already holds the published tables and their predictors"
                    : $"latnas: {filled.Store}: {filled.Imported.Count} tables imported, {filled.Trained.Count} predictors trained");
            }
            await using var app = Workbench.Build(options); // opens the store: a missing or damaged one is refused before any progress line
            Console.Error.WriteLine("latnas: preparing the workbench (the monotonicity matrix the page opens with)");
            try
            {
                await app.StartAsync(cancellation);
            }
            catch (IOException error)
            {
                throw new RunFailedException($"Cannot listen on {parse.GetValue(urlsOption)}: {error.Message}");
            }
            try
            {
                await app.WarmUpAsync(token, cancellation);
                Console.WriteLine($"workbench of {store.Location} on {app.Urls.First()}{(token is null ? "" : " (open it with ?token=TOKEN once)")}; Ctrl-C stops it");
                await Task.Delay(Timeout.Infinite, cancellation);
            }
            catch (OperationCanceledException)
            {
                // Ctrl-C, even while the workbench warms up: the way a server is stopped, not a failure.
            }
            await app.StopAsync(CancellationToken.None);
            return ExitCodes.Success;
        });
        return command;
    }
}
