using System.Runtime.InteropServices;

namespace LatencyNas.Cli;

/// <summary>
/// Keeps what native libraries print on file descriptor 2 — libtorch's warnings, such as NNPACK's
/// "Could not initialize NNPACK! Reason: Unsupported hardware." once per convolution on some CPUs —
/// out of a verb's output while its work runs: they go to a temporary file, and the verb says at
/// the end how many lines there were and what the first one said. .NET's own <see cref="Console.Error"/>
/// writes through a duplicate of the original descriptor, so the verb's progress still shows.
/// Outside Linux and macOS it captures nothing.
/// </summary>
internal sealed class NativeStandardError : IDisposable
{
    private const int StandardError = 2;
    private readonly int _saved = -1;
    private readonly string? _file;
    private bool _disposed;

    private NativeStandardError()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            return;
        }
        Console.Error.Flush(); // opens .NET's own duplicate of descriptor 2 before it is redirected
        _file = Path.GetTempFileName();
        int target = Open(_file, OpenWriteOnly, 0);
        _saved = target < 0 ? -1 : Duplicate(StandardError);
        if (_saved < 0 || DuplicateOnto(target, StandardError) < 0)
        {
            _saved = -1;
        }
        if (target >= 0)
        {
            Close(target);
        }
    }

    /// <summary>Native lines written while capturing (available after <see cref="Dispose"/>).</summary>
    public IReadOnlyList<string> Lines { get; private set; } = [];

    /// <summary>Starts capturing; dispose to restore descriptor 2 and read <see cref="Lines"/>.</summary>
    public static NativeStandardError Capture() => new();

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        if (_saved >= 0)
        {
            DuplicateOnto(_saved, StandardError);
            Close(_saved);
        }
        if (_file is not null)
        {
            Lines = File.ReadAllLines(_file).Where(line => line.Trim().Length > 0).ToList();
            File.Delete(_file);
        }
    }

    /// <summary>
    /// Runs a verb's work with native standard error captured, then says in one line what the library printed meanwhile:
    /// building a network calibrates its BatchNorm with a forward pass, and on some CPUs libtorch warns once per convolution.
    /// </summary>
    public static async Task<T> AsideAsync<T>(string library, Func<Task<T>> work)
    {
        var native = Capture();
        try
        {
            return await work();
        }
        finally
        {
            native.EndAndReport(library);
        }
    }

    /// <summary>Ends the capture and, when anything was captured, says so in one line on standard error.</summary>
    public void EndAndReport(string library)
    {
        Dispose();
        if (Summary(library) is { } summary)
        {
            Console.Error.WriteLine(summary);
        }
    }

    /// <summary>One line for the end of a verb's output, or null when nothing was captured.</summary>
    public string? Summary(string library) => Lines.Count == 0
        ? null
        : $"{library} wrote {Lines.Count} line{(Lines.Count == 1 ? "" : "s")} of its own to standard error ({Lines.Select(Message).Distinct().Count()} distinct), e.g. \"{Lines[0].Trim()}\"";

    /// <summary>A line without its bracketed prefix: libtorch stamps each warning with the time ("[W1205 01:08:48.931176553 NNPACK.cpp:56] ..."), so no two lines are equal.</summary>
    private static string Message(string line)
    {
        int end = line.StartsWith('[') ? line.IndexOf("] ", StringComparison.Ordinal) : -1;
        return (end > 0 ? line[(end + 2)..] : line).Trim();
    }

    // O_WRONLY; the file exists (GetTempFileName created it).
    private const int OpenWriteOnly = 1;

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open(string path, int flags, int mode);

    [DllImport("libc", EntryPoint = "dup", SetLastError = true)]
    private static extern int Duplicate(int descriptor);

    [DllImport("libc", EntryPoint = "dup2", SetLastError = true)]
    private static extern int DuplicateOnto(int descriptor, int onto);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int descriptor);
}
