using System.Globalization;

namespace LatencyNas.Tests;

/// <summary>
/// The real measured data in <c>../shared/data</c> beside the repository (never copied into it).
/// <c>LATNAS_SHARED_DATA</c> overrides the location.
/// </summary>
internal static class SharedData
{
    private static readonly Lazy<string> Location = new(Locate);

    public static string Directory => Location.Value;

    public static string File(string name)
    {
        string path = Path.Combine(Directory, name);
        if (!System.IO.File.Exists(path))
        {
            throw new FileNotFoundException($"Shared data file {path} is missing; tests read real data from ../shared/data beside the repository.", path);
        }
        return path;
    }

    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>Rows of a shared CSV as column → text dictionaries (the files have no quoting).</summary>
    public static IReadOnlyList<IReadOnlyDictionary<string, string>> ReadCsv(string name)
    {
        using var reader = new StreamReader(File(name));
        string[] header = reader.ReadLine()!.Split(',');
        var rows = new List<IReadOnlyDictionary<string, string>>();
        while (reader.ReadLine() is { Length: > 0 } line)
        {
            string[] fields = line.Split(',');
            var row = new Dictionary<string, string>(header.Length, StringComparer.Ordinal);
            for (int i = 0; i < header.Length; i++)
            {
                row[header[i]] = fields[i];
            }
            rows.Add(row);
        }
        return rows;
    }

    public static double Number(string text) => double.Parse(text, CultureInfo.InvariantCulture);

    private static string Locate()
    {
        string? overridden = Environment.GetEnvironmentVariable("LATNAS_SHARED_DATA");
        string path = overridden ?? Path.GetFullPath(Path.Combine(RepositoryRoot, "..", "shared", "data"));
        if (!System.IO.Directory.Exists(path))
        {
            throw new DirectoryNotFoundException($"Shared data not found at {path}; set LATNAS_SHARED_DATA to its location.");
        }
        return path;
    }

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (System.IO.File.Exists(Path.Combine(directory.FullName, "LatencyNas.sln")))
            {
                return directory.FullName;
            }
        }
        throw new DirectoryNotFoundException($"No LatencyNas.sln above {AppContext.BaseDirectory}.");
    }
}
