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
        var storeOption = LatnasOptions.Store();
        var command = new Command("serve", "Serve the workbench: the store's devices, the monotonicity heatmap, a pair's scatter and fronts, and one architecture, linked, in a browser. Ctrl-C stops it.")
        {
            urlsOption, tokenFileOption, storeOption,
        };
        command.SetHandler(async (parse, cancellation) =>
        {
            string? token = parse.GetValue(tokenFileOption) is { } file ? TokenFile.Read(file)
                : Environment.GetEnvironmentVariable(TokenVariable) is { Length: > 0 } variable ? variable.Trim() : null;
            var store = parse.StoreLocation(storeOption);
            Console.Error.WriteLine("latnas: preparing the workbench (the monotonicity matrix the page opens with)");
            await using var app = Workbench.Build(new WorkbenchOptions { Store = store, Url = parse.GetValue(urlsOption)!, Token = token });
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
