using LatencyNas.Profiling.Store;

namespace LatencyNas.Workflows;

/// <summary>
/// Where the profile store is, and how a suggested command must name it. Given on the command line,
/// else in <c>LATNAS_STORE</c>, else <see cref="ProfileStore.DefaultPath"/>; trained predictors live
/// beside it in <c>predictors/</c>.
/// </summary>
public sealed record StoreLocation(string Path)
{
    public const string EnvironmentVariable = "LATNAS_STORE";

    public static StoreLocation Default { get; } = new(ProfileStore.DefaultPath);

    /// <summary>The flag wins over the environment variable, which wins over the default.</summary>
    public static StoreLocation Resolve(string? flag, string? environment)
        => new(!string.IsNullOrWhiteSpace(flag) ? flag : !string.IsNullOrWhiteSpace(environment) ? environment : ProfileStore.DefaultPath);

    /// <summary>The folder predictors are saved in and looked up from.</summary>
    public string PredictorFolder => System.IO.Path.Combine(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!, "predictors");

    /// <summary>What a suggested command adds so that it reaches this store: nothing for the default.</summary>
    public string Suggestion => Path == ProfileStore.DefaultPath ? "" : $" --store {Quote(Path)}";

    /// <exception cref="ProfileStoreException">There is no store, or it cannot be used.</exception>
    public ProfileStore OpenExisting() => ProfileStore.Open(Path, createIfMissing: false);

    /// <summary>Opens the store, creating it and its folder: call it only once the request has been checked.</summary>
    public ProfileStore OpenOrCreate() => ProfileStore.Open(Path, createIfMissing: true);

    private static string Quote(string text) => text.Any(c => char.IsWhiteSpace(c) || c is '\'' or '"' or '$' or '&' or ';') ? $"'{text.Replace("'", "'\\''")}'" : text;
}
