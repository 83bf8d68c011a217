namespace LatencyNas.Core.IO;

/// <summary>Writes files whole or not at all: into a temporary file beside the target, flushed to disk, then renamed over it.</summary>
public static class AtomicFile
{
    /// <exception cref="InvalidInputException">The path cannot be written (missing permission, a directory, a read-only place).</exception>
    /// <exception cref="RunFailedException">The disk filled up; nothing is left behind, an older file at the path is kept.</exception>
    public static void WriteAtomically(string path, Action<Stream> write) => WriteTogether([(path, write)]);

    /// <summary>
    /// Several files whole or none of them: each is written to its temporary file first, and only when all are
    /// written are they renamed over their targets (one after another: a crash between two renames can leave the
    /// first new and the second old, but never a file half-written).
    /// </summary>
    /// <exception cref="InvalidInputException">A path cannot be written, or two name the same file.</exception>
    /// <exception cref="RunFailedException">The disk filled up; nothing is left behind, older files at the paths are kept.</exception>
    public static void WriteTogether(IReadOnlyList<(string Path, Action<Stream> Write)> files)
    {
        var targets = new List<(string Path, string Full, string Temporary, Action<Stream> Write)>();
        foreach (var (path, write) in files)
        {
            string fullPath = FullPath(path, $"'{path}' is not a valid output path");
            if (Directory.Exists(fullPath))
            {
                throw new InvalidInputException($"cannot write '{path}': it is a directory.");
            }
            if (targets.Any(t => t.Full == fullPath))
            {
                throw new InvalidInputException($"cannot write two outputs to one file, '{path}'.");
            }
            targets.Add((path, fullPath, fullPath + $".{Environment.ProcessId}.tmp", write));
        }
        string current = targets.Count > 0 ? targets[0].Path : "";
        try
        {
            foreach (var target in targets)
            {
                current = target.Path;
                Directory.CreateDirectory(Path.GetDirectoryName(target.Full)!);
                using var stream = new FileStream(target.Temporary, FileMode.Create, FileAccess.Write, FileShare.None);
                target.Write(stream);
                stream.Flush(flushToDisk: true);
            }
            foreach (var target in targets)
            {
                current = target.Path;
                File.Move(target.Temporary, target.Full, overwrite: true);
            }
        }
        catch (IOException error) when (IsDiskFull(error))
        {
            targets.ForEach(t => TryDelete(t.Temporary));
            throw new RunFailedException($"cannot write '{current}': the disk is full; free some space and run again.", error);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            targets.ForEach(t => TryDelete(t.Temporary));
            string message = targets.Aggregate(error.Message, (m, t) => m.Replace(t.Temporary, t.Full));
            throw new InvalidInputException($"cannot write '{current}': {message}");
        }
        catch
        {
            targets.ForEach(t => TryDelete(t.Temporary));
            throw;
        }
    }

    /// <summary>
    /// Checks before any work that <paramref name="path"/> is, or can become, a folder this process writes into, and
    /// leaves nothing behind: a long run should not end by finding its output folder under a file or read-only.
    /// </summary>
    /// <param name="option">How the user gave the path, e.g. "--out".</param>
    /// <exception cref="InvalidInputException">The path is a file, lies under one, or no folder can be written there.</exception>
    public static void CheckFolder(string path, string option)
    {
        string fullPath = FullPath(path, $"{option} '{path}' is not a valid folder");
        if (File.Exists(fullPath))
        {
            throw new InvalidInputException($"{option} '{path}' is a file; a folder is needed.");
        }
        string existing = fullPath;
        while (!Directory.Exists(existing))
        {
            if (File.Exists(existing))
            {
                throw new InvalidInputException($"{option} '{path}' lies under the file '{existing}'; a folder is needed.");
            }
            existing = Path.GetDirectoryName(existing) ?? throw new InvalidInputException($"{option} '{path}' has no existing folder above it.");
        }
        string probe = Path.Combine(existing, $".latnas-{Environment.ProcessId}.probe");
        try
        {
            Directory.CreateDirectory(probe);
            Directory.Delete(probe);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new InvalidInputException($"{option} '{path}': cannot write into '{existing}': {error.Message.Replace(probe, existing)}");
        }
    }

    public static void WriteAllBytes(string path, byte[] bytes) => WriteAtomically(path, stream => stream.Write(bytes));

    public static void WriteAllText(string path, string text)
        => WriteAtomically(path, stream =>
        {
            using var writer = new StreamWriter(stream, leaveOpen: true);
            writer.Write(text);
        });

    /// <summary>No space left or quota exceeded: ENOSPC or EDQUOT on Linux (the errno is the HResult), ERROR_DISK_FULL or ERROR_HANDLE_DISK_FULL on Windows.</summary>
    public static bool IsDiskFull(IOException error) => error.HResult is 28 or 122 or unchecked((int)0x80070070) or unchecked((int)0x80070027);

    private static string FullPath(string path, string invalid)
    {
        try
        {
            return Path.GetFullPath(path);
        }
        catch (Exception error) when (error is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new InvalidInputException($"{invalid}: {error.Message}");
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            // Nothing was written where the user looks; a stray temporary file is the lesser harm.
        }
    }
}
