using System.CommandLine;
using LatencyNas.Core;

namespace LatencyNas.Agent;

/// <summary>The <c>agent</c> verb, shared by <c>latnas agent</c> and the stand-alone <c>latnas-agent</c>.</summary>
public static class AgentCommand
{
    public const string TokenVariable = "LATNAS_AGENT_TOKEN";

    public static Command Create(string name = "agent")
        => Configure(new Command(name, "Run the edge measurement agent: ONNX Runtime behind GET /healthz, GET /v1/info, POST /v1/measure and POST /v1/measure-batch."));

    /// <summary>Adds the agent's options and action to <paramref name="command"/> (a verb, or the stand-alone agent's root).</summary>
    public static Command Configure(Command command)
    {
        var urlsOption = new Option<string[]>("--urls")
        {
            Description = "Addresses to listen on.",
            DefaultValueFactory = _ => ["http://127.0.0.1:5080"],
            AllowMultipleArgumentsPerToken = true,
        };
        var tokenFileOption = new Option<string?>("--token-file") { Description = $"File holding the bearer token clients must send (or set {TokenVariable})." };
        var insecureOption = new Option<bool>("--insecure") { Description = "Accept requests without a token (only on loopback addresses)." };
        var maxModelOption = Whole<int>("--max-model-mb", "Largest model accepted, MiB.", 64);
        var maxBatchModelsOption = Whole<int>("--max-batch-models", "Most models one batch request may hold.", 64);
        var maxBatchOption = Whole<int>("--max-batch-mb", "Largest batch request, MiB.", 256);
        var maxRunsOption = Whole<int>("--max-runs", "Most runs (timed and warm-up) a request may ask of one model.", 20_000);
        var maxSecondsOption = Whole<int>("--max-seconds", "Most seconds a request may spend on one model; a longer one is stopped.", 60);
        var maxElementsOption = Whole<long>("--max-input-elements", "Most elements one model input may have.", 16L * 1024 * 1024);
        var queueOption = Whole<int>("--queue", "Requests that may wait while one is measured.", 4);
        var nameOption = new Option<string?>("--name") { Description = "Name reported with each measurement [default: host:port]." };
        foreach (var option in new Option[] { urlsOption, tokenFileOption, insecureOption, maxModelOption, maxBatchModelsOption, maxBatchOption, maxRunsOption, maxSecondsOption, maxElementsOption, queueOption, nameOption })
        {
            command.Options.Add(option);
        }
        command.SetAction(async (parse, cancellation) =>
        {
            try
            {
                string? token = Environment.GetEnvironmentVariable(TokenVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment.Trim() : null;
                if (parse.GetValue(tokenFileOption) is { } file)
                {
                    token = Core.IO.TokenFile.Read(file);
                }
                var options = new AgentOptions
                {
                    Urls = parse.GetValue(urlsOption)!,
                    Token = parse.GetValue(insecureOption) ? null : token,
                    Insecure = parse.GetValue(insecureOption),
                    MaxModelMegabytes = parse.GetValue(maxModelOption),
                    MaxBatchModels = parse.GetValue(maxBatchModelsOption),
                    MaxBatchMegabytes = parse.GetValue(maxBatchOption),
                    MaxRunsPerModel = parse.GetValue(maxRunsOption),
                    MaxSecondsPerModel = parse.GetValue(maxSecondsOption),
                    MaxInputElements = parse.GetValue(maxElementsOption),
                    QueueLimit = parse.GetValue(queueOption),
                    Name = parse.GetValue(nameOption),
                };
                await AgentHost.RunAsync(options, cancellation);
                return 0;
            }
            catch (InvalidInputException error)
            {
                Console.Error.WriteLine($"latnas agent: {error.Message}");
                return 2;
            }
            catch (IOException error)
            {
                Console.Error.WriteLine($"latnas agent: cannot listen: {error.Message}");
                return 1;
            }
            catch (Exception error) when (Environment.GetEnvironmentVariable("LATNAS_DEBUG") != "1")
            {
                Console.Error.WriteLine($"latnas agent: unexpected {error.GetType().Name}: {error.Message.Split('\n')[0]} (set LATNAS_DEBUG=1 to see the stack trace).");
                return 1;
            }
        });
        return command;
    }

    /// <summary>A whole-number option whose parse error names the option and the value, not a .NET type.</summary>
    private static Option<T> Whole<T>(string name, string description, T defaultValue) where T : struct, System.Numerics.IBinaryInteger<T> => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result =>
        {
            string text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
            if (T.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var value))
            {
                return value;
            }
            result.AddError($"{name}: '{text}' is not a whole number.");
            return defaultValue;
        },
    };
}
