using LatencyNas.Core;
using Microsoft.Data.Sqlite;

namespace LatencyNas.Profiling.Store;

/// <summary>
/// The embedded profile store: one SQLite file in WAL mode with synchronous=FULL, holding devices
/// (with fingerprints), architectures (with features), measurements and objectives. Every write
/// is its own committed transaction (an import is one), so a run killed at any moment loses
/// nothing it had finished. Every error reaches callers as a <see cref="ProfileStoreException"/>
/// (bad input) or a <see cref="ProfileStoreFailedException"/> (a failed run).
/// </summary>
public sealed class ProfileStore : IDisposable
{
    /// <summary>Where the store lives when nothing else is said, relative to the working folder.</summary>
    public const string DefaultPath = "profiles/latnas.db";

    private readonly StoreConnection _connection;

    private ProfileStore(StoreConnection connection)
    {
        _connection = connection;
        Architectures = new ArchitectureRecords(connection);
        Devices = new DeviceRecords(connection);
        Measurements = new MeasurementRecords(connection, Architectures);
        Claims = new ClaimRecords(connection);
        Objectives = new ObjectiveRecords(connection, Architectures);
        Import = new BulkImport(connection, Devices, Architectures, Objectives);
    }

    /// <summary>The store file's full path.</summary>
    public string Path => _connection.Path;

    /// <summary>
    /// The store's identity, drawn when it was created (or upgraded to schema 6): it travels with
    /// the file when it is copied or moved, and a store re-created under the same path has another.
    /// </summary>
    public string Id => _connection.Guard(() =>
    {
        using var command = _connection.Command("SELECT value FROM store_info WHERE key = 'id';");
        return (string)command.ExecuteScalar()!;
    });

    public DeviceRecords Devices { get; }

    public ArchitectureRecords Architectures { get; }

    public MeasurementRecords Measurements { get; }

    /// <summary>Architectures being measured by running profiles, so that concurrent profiles share the work.</summary>
    public ClaimRecords Claims { get; }

    public ObjectiveRecords Objectives { get; }

    public BulkImport Import { get; }

    /// <summary>Opens the store at <paramref name="path"/>, creating it (and its folder) when <paramref name="createIfMissing"/> says so.</summary>
    /// <exception cref="ProfileStoreException">No store there (and none to be created), the file is not a store or a newer one, or it cannot be created.</exception>
    /// <exception cref="ProfileStoreFailedException">The disk is full, an I/O error, or the file is locked.</exception>
    public static ProfileStore Open(string path, bool createIfMissing = true)
    {
        string fullPath = System.IO.Path.GetFullPath(path);
        if (!createIfMissing && !File.Exists(fullPath))
        {
            throw new ProfileStoreException($"No profile store at '{path}'. Profile or import a device first, or pass --store (or set LATNAS_STORE).");
        }
        if (Directory.Exists(fullPath))
        {
            throw new ProfileStoreException($"The profile store '{path}' is a folder; give the path of a file (e.g. {System.IO.Path.Combine(path, "latnas.db")}).");
        }
        try
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(fullPath)!);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new ProfileStoreException($"Cannot create the folder of the profile store '{path}' ({error.Message}); use --store (or LATNAS_STORE) to choose a writable place.", error);
        }
        var sqlite = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = fullPath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            DefaultTimeout = 30,
        }.ToString());
        var connection = new StoreConnection(sqlite, fullPath);
        try
        {
            connection.Guard(() =>
            {
                sqlite.Open();
                connection.Execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000;");
            });
            StoreSchema.Migrate(connection);
            return new ProfileStore(connection);
        }
        catch (LatencyNasException)
        {
            connection.Dispose();
            throw;
        }
    }

    public void Dispose() => _connection.Dispose();
}
