using LatencyNas.Profiling.Store;

namespace LatencyNas.Workflows;

/// <summary>
/// Where the profile store is, and how a suggested command must name it. Given on the command line,
/// else in <c>LATNAS_STORE</c>, else <see cref="ProfileStore.DefaultPath"/>; trained predictors live
/// beside it in a folder of its own (<see cref="PredictorFolder"/>).
/// </summary>
public sealed record StoreLocation(string Path)
{
    public const string EnvironmentVariable = "LATNAS_STORE";

    public static StoreLocation Default { get; } = new(ProfileStore.DefaultPath);

    /// <summary>The flag wins over the environment variable, which wins over the default.</summary>
    public static StoreLocation Resolve(string? flag, string? environment)
        => new(!string.IsNullOrWhiteSpace(flag) ? flag : !string.IsNullOrWhiteSpace(environment) ? environment : ProfileStore.DefaultPath);

    /// <summary>
    /// The folder this store's predictors are saved in and looked up from, named after the store
    /// (<c>profiles/latnas.db</c> → <c>profiles/latnas.predictors/</c>): two stores in one folder keep
    /// their predictors apart.
    /// </summary>
    public string PredictorFolder => System.IO.Path.Combine(Folder, System.IO.Path.GetFileNameWithoutExtension(Path) + ".predictors");

    /// <summary>
    /// Where predictors were saved before each store had its own folder: <c>predictors/</c> beside the
    /// store, shared by every store there. Read (for the space a file was trained on), never written.
    /// </summary>
    public string SharedPredictorFolder => System.IO.Path.Combine(Folder, "predictors");

    private string Folder => System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!;

    /// <summary>What a suggested command adds so that it reaches this store: nothing for the default.</summary>
    public string Suggestion => Path == ProfileStore.DefaultPath ? "" : $" --store {Quote(Path)}";

    /// <exception cref="ProfileStoreException">There is no store, or it cannot be used.</exception>
    public ProfileStore OpenExisting() => ProfileStore.Open(Path, createIfMissing: false);

    /// <summary>Opens the store, creating it and its folder: call it only once the request has been checked.</summary>
    public ProfileStore OpenOrCreate() => ProfileStore.Open(Path, createIfMissing: true);

    private static string Quote(string text) => text.Any(c => char.IsWhiteSpace(c) || c is '\'' or '"' or '$' or '&' or ';') ? $"'{text.Replace("'", "'\\''")}'" : text;
}
