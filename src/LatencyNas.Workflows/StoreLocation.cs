using System.Security.Cryptography;
using System.Text;
using LatencyNas.Profiling.Store;

namespace LatencyNas.Workflows;

/// <summary>
/// Where the profile store is, and how a suggested command must name it. Given on the command line,
/// else in <c>LATNAS_STORE</c>, else <see cref="ProfileStore.DefaultPath"/>: an SQLite file, or a PostgreSQL
/// server's URL or connection string. Trained predictors live beside a file in a folder of its own
/// (<see cref="PredictorFolder"/>), and in a server store's database.
/// </summary>
public sealed record StoreLocation(string Path)
{
    public const string EnvironmentVariable = "LATNAS_STORE";

    public static StoreLocation Default { get; } = new(ProfileStore.DefaultPath);

    /// <summary>The flag wins over the environment variable, which wins over the default (null: <see cref="ProfileStore.DefaultPath"/>).</summary>
    /// <exception cref="Core.InvalidInputException">The flag was given empty (an unset variable in a script, most likely).</exception>
    public static StoreLocation Resolve(string? flag, string? environment, string? fallback = null)
        => flag is not null && string.IsNullOrWhiteSpace(flag)
            ? throw new Core.InvalidInputException("--store was given empty; give the store's path or address, or leave the option out.")
            : new(!string.IsNullOrWhiteSpace(flag) ? flag : !string.IsNullOrWhiteSpace(environment) ? environment : fallback ?? ProfileStore.DefaultPath);

    /// <summary>
    /// The folder this store's predictors are saved in and looked up from, named after the store
    /// (<c>profiles/latnas.db</c> → <c>profiles/latnas.predictors/</c>): two stores in one folder keep
    /// their predictors apart.
    /// A server store keeps its predictors in the database; this folder is then a local mirror of them
    /// (<see cref="PredictorMirror"/>) under the temporary folder, one per server store.
    public string PredictorFolder => IsServer
        ? System.IO.Path.Combine(System.IO.Path.GetTempPath(), "latnas-predictors", Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Location)))[..16])
        : System.IO.Path.Combine(Folder, System.IO.Path.GetFileNameWithoutExtension(Path) + ".predictors");

    /// <summary>
    /// Where predictors were saved before each store had its own folder: <c>predictors/</c> beside the
    /// store, shared by every store there. Read (for the space a file was trained on), never written. None for a server store.
    /// </summary>
    public string? SharedPredictorFolder => IsServer ? null : System.IO.Path.Combine(Folder, "predictors");

    private string Folder => System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!;

    /// <summary>Whether the store is on a PostgreSQL server rather than in a file.</summary>
    public bool IsServer => ProfileStore.IsServer(Path);

    /// <summary>The store as messages and results show it: a file's path as given, a server's URL without its password.</summary>
    public string Location => ProfileStore.Shown(Path);

    /// <summary>
    /// What a suggested command adds so that it reaches this store: nothing for the default. A server's
    /// password is left out (it comes from PGPASSWORD or ~/.pgpass, or the user adds it).
    /// </summary>
    public string Suggestion => Path == ProfileStore.DefaultPath ? "" : $" --store {Quote(Location)}";

    /// <exception cref="ProfileStoreException">There is no store, or it cannot be used.</exception>
    public ProfileStore OpenExisting() => ProfileStore.Open(Path, createIfMissing: false);

    /// <summary>Opens the store, creating it and its folder: call it only once the request has been checked.</summary>
    public ProfileStore OpenOrCreate() => ProfileStore.Open(Path, createIfMissing: true);

    private static string Quote(string text) => text.Any(c => char.IsWhiteSpace(c) || c is '\'' or '"' or '$' or '&' or ';') ? $"'{text.Replace("'", "'\\''")}'" : text;
}
