namespace LatencyNas.Cli;

/// <summary>The command line this process was started with, as a POSIX shell would take it back.</summary>
internal static class ShellCommandLine
{
    /// <summary><c>latnas</c> and the arguments, each quoted where the shell would otherwise split or expand it.</summary>
    public static string Current() => string.Join(' ', ["latnas", .. Environment.GetCommandLineArgs().Skip(1).Select(Quote)]);

    /// <summary>An argument as is when it has only characters no shell treats specially, else in single quotes (a quote inside as <c>'\''</c>).</summary>
    public static string Quote(string argument)
        => argument.Length > 0 && argument.All(c => char.IsAsciiLetterOrDigit(c) || "_-./,:=@%+".Contains(c))
            ? argument
            : "'" + argument.Replace("'", "'\\''") + "'";
}
