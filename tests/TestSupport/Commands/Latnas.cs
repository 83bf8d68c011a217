using System.Diagnostics;

namespace LatencyNas.Tests;

/// <summary>Runs the real <c>latnas</c> command (built beside the tests) in a child process.</summary>
internal static class Latnas
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
    }

    public static string Dll { get; } = Path.Combine(AppContext.BaseDirectory, "latnas.dll");

    public static ProcessStartInfo StartInfo(params string[] arguments)
    {
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.ArgumentList.Add(Dll);
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        start.Environment.Remove("LATNAS_DEBUG");
        start.Environment.Remove("LATNAS_STORE");
        return start;
    }

    /// <summary>
    /// A start for a child the test interrupts with SIGINT, its disposition reset to the default: a test run started in the background
    /// (a CI job, <c>cmd &amp;</c>) inherits SIGINT ignored, .NET keeps an inherited ignore, and the child would never see the Ctrl-C.
    /// </summary>
    public static ProcessStartInfo InterruptibleStartInfo(params string[] arguments)
    {
        var start = StartInfo(arguments);
        if (OperatingSystem.IsLinux())
        {
            start.ArgumentList.Insert(0, start.FileName);
            start.ArgumentList.Insert(0, "--default-signal=INT"); // coreutils env, which then execs the host: the same process id
            start.FileName = "env";
        }
        return start;
    }

    public static Result Run(params string[] arguments) => Run(StartInfo(arguments));

    /// <summary>Runs with <paramref name="variable"/> set in the child's environment.</summary>
    public static Result RunWith((string Name, string Value) variable, params string[] arguments)
    {
        var start = StartInfo(arguments);
        start.Environment[variable.Name] = variable.Value;
        return Run(start);
    }

    private static Result Run(ProcessStartInfo start)
    {
        string[] arguments = [.. start.ArgumentList.Skip(1)];
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(10)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"latnas {string.Join(' ', arguments)} did not finish in 10 minutes.");
        }
        return new Result(process.ExitCode, stdout.Result, stderr.Result);
    }

    private static string DotnetHost()
        => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
}
