namespace LatencyNas.Core.IO;

/// <summary>Writes files whole or not at all: into a temporary file beside the target, flushed to disk, then renamed over it.</summary>
public static class AtomicFile
{
    /// <exception cref="InvalidInputException">The path cannot be written (missing permission, a directory, a read-only place).</exception>
    /// <exception cref="RunFailedException">The disk filled up; nothing is left behind, an older file at the path is kept.</exception>
    public static void WriteAtomically(string path, Action<Stream> write)
    {
        string fullPath;
        try
        {
            fullPath = Path.GetFullPath(path);
        }
        catch (Exception error) when (error is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new InvalidInputException($"'{path}' is not a valid output path: {error.Message}");
        }
        if (Directory.Exists(fullPath))
        {
            throw new InvalidInputException($"cannot write '{path}': it is a directory.");
        }
        string temporary = fullPath + $".{Environment.ProcessId}.tmp";
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(fullPath)!);
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, fullPath, overwrite: true);
        }
        catch (IOException error) when (IsDiskFull(error))
        {
            TryDelete(temporary);
            throw new RunFailedException($"cannot write '{path}': the disk is full; free some space and run again.", error);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            TryDelete(temporary);
            throw new InvalidInputException($"cannot write '{path}': {error.Message.Replace(temporary, fullPath)}");
        }
        catch
        {
            TryDelete(temporary);
            throw;
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
