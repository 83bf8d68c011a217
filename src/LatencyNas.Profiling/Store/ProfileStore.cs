using LatencyNas.Core;

namespace LatencyNas.Profiling.Store;

/// <summary>
/// The profile store, holding devices (with fingerprints), architectures (with features), measurements
/// and objectives: one SQLite file in WAL mode with synchronous=FULL by default, or a database on a
/// PostgreSQL server that a lab's machines share (the same tables). Every write
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
        Claims = new ClaimRecords(connection);
        Measurements = new MeasurementRecords(connection, Architectures, Claims);
        Queue = new QueueRecords(connection, Devices, Claims);
        Objectives = new ObjectiveRecords(connection, Architectures);
        Import = new BulkImport(connection, Devices, Architectures, Objectives);
        Files = new StoredFiles(connection);
    }

    /// <summary>Where the store is, as shown to users: the file's full path, or the server's URL without its password.</summary>
    public string Location => _connection.Location;

    internal StoreConnection Connection => _connection;

    /// <summary>
    /// The store's identity, drawn when it was created (or upgraded to schema 6): it travels with
    /// the file when it is copied or moved, and a store re-created under the same path has another.
    /// </summary>
    public string Id => _connection.Guard(() =>
    {
        using var command = _connection.Command("SELECT value FROM store_info WHERE key = 'id';");
        return (string)command.ExecuteScalar()!;
    });

    /// <summary>
    /// A number that changes whenever another connection (any process's) commits to the store, so what was read from it
    /// can be kept while it stays: SQLite's data_version, cheap to read. Null for PostgreSQL, which cannot tell.
    /// </summary>
    public long? DataVersion() => _connection.Guard(() => _connection.Backend.DataVersion(_connection));

    public DeviceRecords Devices { get; }

    public ArchitectureRecords Architectures { get; }

    public MeasurementRecords Measurements { get; }

    /// <summary>Architectures being measured by running profiles, so that concurrent profiles share the work.</summary>
    public ClaimRecords Claims { get; }

    public ObjectiveRecords Objectives { get; }

    public BulkImport Import { get; }

    /// <summary>Work waiting for workers: architectures to measure on a device, by its name.</summary>
    public QueueRecords Queue { get; }

    /// <summary>Files kept in the store itself (a server store's saved predictors).</summary>
    public StoredFiles Files { get; }

    /// <summary>Whether a store argument names a PostgreSQL server (a <c>postgresql://</c> URL or a connection string) rather than an SQLite file.</summary>
    public static bool IsServer(string location) => StoreBackend.NamesServer(location);

    /// <summary>How a store argument is shown in messages and results: a file's path as given, a server's URL without its password.</summary>
    /// <exception cref="ProfileStoreException">A malformed URL or connection string.</exception>
    public static string Shown(string location) => IsServer(location) ? StoreBackend.For(location).Location : location;

    /// <summary>
    /// Opens the store at <paramref name="location"/> — the path of an SQLite file, or a PostgreSQL server's
    /// <c>postgresql://</c> URL or connection string — creating it (and a file's folder, or the database's
    /// tables) when <paramref name="createIfMissing"/> says so, and upgrading an older schema in place.
    /// </summary>
    /// <exception cref="ProfileStoreException">No store there (and none to be created), a malformed URL, a refused login, the file or database is not a store or a newer one, or it cannot be created.</exception>
    /// <exception cref="ProfileStoreFailedException">The disk is full, an I/O error, the file is locked, or the server cannot be reached.</exception>
    public static ProfileStore Open(string location, bool createIfMissing = true)
    {
        var backend = StoreBackend.For(location);
        var connection = new StoreConnection(backend.Connect(createIfMissing), backend);
        try
        {
            StoreSchema.Migrate(connection, createIfMissing);
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
