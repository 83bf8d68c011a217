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
        var targets = new List<(string Path, string Full, string? Temporary, Action<Stream> Write)>();
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
            targets.Add((path, fullPath, IsSpecial(fullPath) ? null : fullPath + $".{Environment.ProcessId}.tmp", write));
        }
        string current = targets.Count > 0 ? targets[0].Path : "";
        try
        {
            foreach (var target in targets.Where(t => t.Temporary is not null))
            {
                current = target.Path;
                Directory.CreateDirectory(Path.GetDirectoryName(target.Full)!);
                using var stream = new FileStream(target.Temporary!, FileMode.Create, FileAccess.Write, FileShare.None);
                target.Write(stream);
                stream.Flush(flushToDisk: true);
            }
            foreach (var target in targets.Where(t => t.Temporary is null))
            {
                current = target.Path;
                using var stream = new FileStream(target.Full, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
                target.Write(stream);
                stream.Flush();
            }
            foreach (var target in targets.Where(t => t.Temporary is not null))
            {
                current = target.Path;
                File.Move(target.Temporary!, target.Full, overwrite: true);
            }
        }
        catch (IOException error) when (IsDiskFull(error))
        {
            DeleteTemporaries(targets);
            throw new RunFailedException($"cannot write '{current}': the disk is full; free some space and run again.", error);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            DeleteTemporaries(targets);
            string message = targets.Where(t => t.Temporary is not null).Aggregate(error.Message, (m, t) => m.Replace(t.Temporary!, t.Full));
            throw new InvalidInputException($"cannot write '{current}': {message}");
        }
        catch
        {
            DeleteTemporaries(targets);
            throw;
        }
    }

    /// <summary>
    /// A folder of several files whole or not at all: <paramref name="write"/> writes them into a temporary folder
    /// beside <paramref name="directory"/>, and only then are they moved into it (over older files of the same names;
    /// other files there are left alone). On failure nothing is left behind, and a folder that did not exist is not created.
    /// </summary>
    /// <param name="write">Writes into the folder it is given and returns the files written.</param>
    /// <returns>The files, where they now are.</returns>
    /// <exception cref="InvalidInputException">The folder cannot be written.</exception>
    /// <exception cref="RunFailedException">The disk filled up.</exception>
    public static IReadOnlyList<string> WriteFolder(string directory, Func<string, IReadOnlyList<string>> write)
    {
        string fullPath = FullPath(directory, $"'{directory}' is not a valid folder").TrimEnd(Path.DirectorySeparatorChar);
        string staging = fullPath + $".{Environment.ProcessId}.tmp";
        try
        {
            TryDeleteFolder(staging);
            Directory.CreateDirectory(staging);
            var written = write(staging);
            Directory.CreateDirectory(fullPath);
            var moved = new List<string>();
            foreach (string file in written)
            {
                string destination = Path.Combine(fullPath, Path.GetRelativePath(staging, file));
                Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
                File.Move(file, destination, overwrite: true);
                moved.Add(destination);
            }
            return moved;
        }
        catch (IOException error) when (IsDiskFull(error))
        {
            throw new RunFailedException($"cannot write into '{directory}': the disk is full; free some space and run again.", error);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new InvalidInputException($"cannot write into '{directory}': {error.Message.Replace(staging, fullPath)}");
        }
        catch (RunFailedException error) when (error.InnerException is IOException inner && IsDiskFull(inner))
        {
            throw new RunFailedException($"cannot write into '{directory}': the disk is full; free some space and run again.", inner);
        }
        catch (InvalidInputException error) when (error.Message.Contains(staging, StringComparison.Ordinal))
        {
            throw new InvalidInputException(error.Message.Replace(staging, fullPath), error);
        }
        finally
        {
            TryDeleteFolder(staging);
        }
    }

    /// <summary>
    /// Whether the path is a device node or one of the process's own streams (<c>/dev/null</c>, <c>/dev/stdout</c>):
    /// such a file is written in place, since a rename over it would replace the node with a regular file.
    /// </summary>
    private static bool IsSpecial(string fullPath)
    {
        if (OperatingSystem.IsWindows() || !File.Exists(fullPath))
        {
            return false;
        }
        static bool UnderSpecialFolder(string path) => path.StartsWith("/dev/", StringComparison.Ordinal) || path.StartsWith("/proc/", StringComparison.Ordinal);
        try
        {
            return UnderSpecialFolder(fullPath) || UnderSpecialFolder(File.ResolveLinkTarget(fullPath, returnFinalTarget: true)?.FullName ?? fullPath);
        }
        catch (IOException)
        {
            return false;
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

    private static void DeleteTemporaries(IEnumerable<(string Path, string Full, string? Temporary, Action<Stream> Write)> targets)
    {
        foreach (var target in targets)
        {
            if (target.Temporary is { } temporary)
            {
                TryDelete(temporary);
            }
        }
    }

    private static void TryDeleteFolder(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            // As for a temporary file: left behind rather than failing a run that has its output.
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
