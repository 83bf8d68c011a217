using System.CommandLine;
using LatencyNas.Core;

namespace LatencyNas.Cli;

/// <summary>Runs a command's body and turns its errors into one line on stderr and an exit code.</summary>
internal static class CommandActions
{
    public static void SetHandler(this Command command, Func<ParseResult, CancellationToken, Task<int>> body)
        => command.SetAction(async (parse, cancellation) => await Guard(() => body(parse, cancellation)));

    public static void SetHandler(this Command command, Func<ParseResult, int> body)
        => command.SetAction(parse => Guard(() => Task.FromResult(body(parse))).GetAwaiter().GetResult());

    private static async Task<int> Guard(Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (InvalidInputException error)
        {
            return Fail(ExitCodes.BadInput, error.Message);
        }
        catch (RunFailedException error)
        {
            return Fail(ExitCodes.RunFailed, error.Message);
        }
        catch (OperationCanceledException)
        {
            return Fail(ExitCodes.RunFailed, "cancelled.");
        }
        catch (Exception error) when (Environment.GetEnvironmentVariable("LATNAS_DEBUG") != "1")
        {
            return Fail(ExitCodes.RunFailed,
                $"unexpected {error.GetType().Name}: {OneLine(error.Message)} (set LATNAS_DEBUG=1 to see the stack trace).");
        }
    }

    public static int Fail(int exitCode, string message)
    {
        Console.Error.WriteLine($"latnas: {OneLine(message)}");
        return exitCode;
    }

    private static string OneLine(string message) => message.Split('\n', 2)[0].TrimEnd();
}
