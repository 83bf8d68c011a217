namespace LatencyNas.Workflows;

/// <summary>
/// A server store keeps its trained predictors in its database (the store's files, under <c>predictors/</c>),
/// so that every machine reaching it finds them. Predictors are read and written as files, so a server
/// store's are mirrored in a local folder (<see cref="StoreLocation.PredictorFolder"/>): pulled before a
/// predictor is looked up, pushed once one is saved. An SQLite store's predictors are the files beside it.
/// </summary>
internal static class PredictorMirror
{
    private const string Prefix = "predictors/";

    /// <summary>Brings the mirror up to date with the database: new and changed files written, files the database no longer has removed.</summary>
    public static void Pull(StoreLocation location)
    {
        if (!location.IsServer)
        {
            return;
        }
        using var store = location.OpenExisting();
        string folder = location.PredictorFolder;
        var kept = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in store.Files.List(Prefix))
        {
            string path = Path.GetFullPath(Path.Combine(folder, file.Name[Prefix.Length..]));
            if (!path.StartsWith(Path.GetFullPath(folder) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            {
                continue; // a name that would leave the mirror's folder is not one this tool saved
            }
            kept.Add(path);
            if (File.Exists(path) && new FileInfo(path).Length == file.Size && File.GetLastWriteTimeUtc(path) == file.SavedAt.UtcDateTime)
            {
                continue;
            }
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path + ".part", store.Files.Read(file.Name) ?? []);
            File.Move(path + ".part", path, overwrite: true);
            // The newest predictor wins when none is named: the mirror keeps the database's times.
            File.SetLastWriteTimeUtc(path, file.SavedAt.UtcDateTime);
        }
        if (Directory.Exists(folder))
        {
            foreach (string stale in Directory.GetFiles(folder, "*.predictor", SearchOption.AllDirectories).Where(p => !kept.Contains(Path.GetFullPath(p))))
            {
                File.Delete(stale);
            }
        }
    }

    /// <summary>Saves a predictor written in the mirror into the database.</summary>
    public static void Push(StoreLocation location, string path)
    {
        if (!location.IsServer)
        {
            return;
        }
        using var store = location.OpenExisting();
        store.Files.Save(NameOf(location, path), File.ReadAllBytes(path));
    }

    /// <summary>Where a saved predictor is, as results show it: the file, or the server store and the name it has there.</summary>
    public static string Describe(StoreLocation location, string path) => location.IsServer ? $"{location.Location} as {NameOf(location, path)}" : path;

    private static string NameOf(StoreLocation location, string path)
        => Prefix + Path.GetRelativePath(location.PredictorFolder, path).Replace(Path.DirectorySeparatorChar, '/');
}
