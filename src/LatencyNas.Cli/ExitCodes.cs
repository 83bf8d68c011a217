namespace LatencyNas.Cli;

public static class ExitCodes
{
    public const int Success = 0;

    /// <summary>The input was fine but the run failed (a parity check above tolerance, a device that keeps failing, nothing fits).</summary>
    public const int RunFailed = 1;

    /// <summary>Bad input: a malformed option, an unknown name, an unreadable or unwritable file.</summary>
    public const int BadInput = 2;
}
