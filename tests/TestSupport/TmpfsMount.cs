using System.Diagnostics;

namespace LatencyNas.Tests;

/// <summary>
/// A real tmpfs mounted on a fresh folder for the life of a test: a tiny one to fill up, or a
/// read-only one. Mounting needs root (CAP_SYS_ADMIN); without it the test is skipped.
/// </summary>
public sealed class TmpfsMount : IDisposable
{
    private TmpfsMount(string path, string options)
    {
        Directory.CreateDirectory(path);
        Path = path;
        Skip.IfNot(Run("mount", "-t", "tmpfs", "-o", options, "tmpfs", path) == 0,
            "mounting a tmpfs needs root (CAP_SYS_ADMIN)");
    }

    public string Path { get; }

    /// <summary>A file system of <paramref name="kilobytes"/> KiB at <paramref name="path"/>.</summary>
    public static TmpfsMount Tiny(string path, int kilobytes) => new(path, $"size={kilobytes}k");

    /// <summary>An empty read-only file system at <paramref name="path"/>.</summary>
    public static TmpfsMount ReadOnly(string path) => new(path, "ro,size=64k");

    /// <summary>Fills the file system with one file until no byte is left.</summary>
    public void Fill()
    {
        using var filler = new FileStream(System.IO.Path.Combine(Path, "filler"), FileMode.Create);
        var block = new byte[4096];
        try
        {
            while (true)
            {
                filler.Write(block);
                filler.Flush(flushToDisk: true);
            }
        }
        catch (IOException)
        {
            // full
        }
    }

    public void Dispose() => Run("umount", Path);

    private static int Run(string program, params string[] arguments)
    {
        try
        {
            var start = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (string argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }
            using var process = Process.Start(start)!;
            process.WaitForExit();
            return process.ExitCode;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return -1;
        }
    }
}
