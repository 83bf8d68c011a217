using System.Data.Common;
using System.Text.RegularExpressions;
using LatencyNas.Core;
using Microsoft.Data.Sqlite;
using Npgsql;
using Polly;
using Polly.Retry;

namespace LatencyNas.Profiling.Store;

/// <summary>
/// What differs between the two databases a store can live in: how to connect, the column types of
/// the one schema, where the schema's version is kept, how a migration is serialised, and what an
/// error means. Everything else (the tables, the SQL of the record classes) is shared.
/// </summary>
internal abstract partial class StoreBackend
{
    /// <summary>Where the store is, as shown to users: a file's path, or a server URL without its password.</summary>
    public abstract string Location { get; }

    /// <summary>"an SQLite file" or "a PostgreSQL database", for messages.</summary>
    public abstract string Kind { get; }

    /// <summary>The backend for a store argument: a PostgreSQL URL or connection string, else the path of an SQLite file.</summary>
    /// <exception cref="ProfileStoreException">A malformed URL or connection string.</exception>
    public static StoreBackend For(string location)
        => !NamesServer(location) ? new SqliteBackend(location)
            : location.Contains("://", StringComparison.Ordinal) ? PostgresBackend.FromUrl(location) : PostgresBackend.FromConnectionString(location);

    /// <summary>Whether a store argument names a PostgreSQL server (a URL or a connection string) rather than a file.</summary>
    public static bool NamesServer(string location)
        => location.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || location.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase)
            || ConnectionStringKey().IsMatch(location);

    /// <summary>Opens the connection and readies it for use.</summary>
    /// <param name="createIfMissing">Whether a store may be created where there is none.</param>
    /// <exception cref="ProfileStoreException">Nothing to open (and nothing to create), or the server refused the login.</exception>
    /// <exception cref="ProfileStoreFailedException">The file or server could not be reached (after retries, for a server).</exception>
    public abstract DbConnection Connect(bool createIfMissing);

    /// <summary>The schema's portable column types (INTEGER, REAL, BLOB, an INTEGER PRIMARY KEY id) in this backend's terms.</summary>
    public abstract string Translate(string ddl);

    /// <summary>The schema version of the store, 0 when it has none yet.</summary>
    public abstract long ReadVersion(StoreConnection connection, DbTransaction? transaction);

    public abstract void WriteVersion(StoreConnection connection, DbTransaction transaction, int version);

    /// <summary>Holds other processes' migrations of the same store off until <paramref name="transaction"/> ends.</summary>
    public abstract void LockForMigration(StoreConnection connection, DbTransaction transaction);

    public abstract IReadOnlyList<string> Tables(StoreConnection connection, DbTransaction? transaction);

    public abstract IReadOnlyList<string> Columns(StoreConnection connection, string table, DbTransaction? transaction);

    /// <summary>One of the two store errors, each a line that says what to do.</summary>
    public abstract LatencyNasException Classify(DbException error);

    /// <summary>What makes a SELECT skip the rows of <paramref name="table"/> other transactions hold locked (nothing for SQLite, whose writers take turns).</summary>
    public virtual string SkipLocked(string table) => "";

    /// <summary>Rows per statement of a bulk insert (<see cref="StoreConnection.InsertMany"/>).</summary>
    public virtual int RowsPerStatement => 1;

    /// <summary>
    /// A number that changes whenever another connection commits to the store, read on <paramref name="connection"/>;
    /// null where the backend cannot tell (PostgreSQL), so a caller must read again whatever it kept.
    /// </summary>
    public virtual long? DataVersion(StoreConnection connection) => null;

    /// <summary>How work that failed for a transient reason is run again (on a new connection): not at all for a file.</summary>
    public virtual ResiliencePipeline Outage => ResiliencePipeline.Empty;

    [GeneratedRegex(@"(^|;)\s*(host|server)\s*=", RegexOptions.IgnoreCase)]
    private static partial Regex ConnectionStringKey();

    protected static List<string> Strings(StoreConnection connection, string sql, DbTransaction? transaction, params (string Name, object? Value)[] parameters)
        => connection.Rows(sql, transaction, parameters).Select(row => (string)row.Values.First()!).ToList();
}

/// <summary>The embedded default: one SQLite file in WAL mode with synchronous=FULL; its schema version is the file's user_version.</summary>
internal sealed class SqliteBackend(string path) : StoreBackend
{
    private readonly string _fullPath = System.IO.Path.GetFullPath(path);

    public override string Location => _fullPath;

    public override string Kind => "an SQLite file";

    public override DbConnection Connect(bool createIfMissing)
    {
        // An empty file is no store either; opening it would turn it into one, though nothing asked to create it.
        if (!createIfMissing && (!File.Exists(_fullPath) || new FileInfo(_fullPath).Length == 0))
        {
            throw new ProfileStoreException($"No profile store at '{path}'. Profile or import a device first, or pass --store (or set LATNAS_STORE).");
        }
        if (Directory.Exists(_fullPath))
        {
            throw new ProfileStoreException($"The profile store '{path}' is a folder; give the path of a file (e.g. {System.IO.Path.Combine(path, "latnas.db")}).");
        }
        try
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(_fullPath)!);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new ProfileStoreException($"Cannot create the folder of the profile store '{path}' ({error.Message}); use --store (or LATNAS_STORE) to choose a writable place.", error);
        }
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = _fullPath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            DefaultTimeout = 30,
        }.ToString());
        try
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000;";
            command.ExecuteNonQuery();
            return connection;
        }
        catch (SqliteException error)
        {
            connection.Dispose();
            throw Classify(error);
        }
    }

    public override string Translate(string ddl) => ddl;

    public override long ReadVersion(StoreConnection connection, DbTransaction? transaction) => connection.Count("PRAGMA user_version;", transaction);

    public override long? DataVersion(StoreConnection connection) => connection.Count("PRAGMA data_version;");

    public override void WriteVersion(StoreConnection connection, DbTransaction transaction, int version) => connection.Execute($"PRAGMA user_version = {version};", transaction);

    // The migration's transaction is BEGIN IMMEDIATE: it holds the file's write lock already.
    public override void LockForMigration(StoreConnection connection, DbTransaction transaction) { }

    public override IReadOnlyList<string> Tables(StoreConnection connection, DbTransaction? transaction)
        => Strings(connection, "SELECT name FROM sqlite_master WHERE type = 'table'", transaction);

    public override IReadOnlyList<string> Columns(StoreConnection connection, string table, DbTransaction? transaction)
        => Strings(connection, "SELECT name FROM pragma_table_info(@table)", transaction, ("@table", table));

    public override LatencyNasException Classify(DbException error) => error is SqliteException sqlite
        ? StoreErrors.Classify(sqlite, _fullPath)
        : new ProfileStoreFailedException($"The profile store '{_fullPath}' failed ({error.Message}).", isTransient: false, error);
}

/// <summary>
/// A lab's shared store on a PostgreSQL server, reached through Npgsql. The schema's version is kept in
/// <c>store_info</c>; concurrent migrations are serialised by an advisory lock; connecting is retried
/// on transient errors (a server restarting, a refused connection) before the run fails.
/// </summary>
internal sealed partial class PostgresBackend : StoreBackend
{
    /// <summary>How many times a refused or timed-out connection is retried, and the first pause (doubling after each).</summary>
    public const int ConnectRetries = 3;

    public static readonly TimeSpan FirstRetryDelay = TimeSpan.FromSeconds(0.5);

    private const long MigrationLockKey = 0x4C61744E6173; // "LatNas"

    private static readonly ResiliencePipeline Reconnect = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<NpgsqlException>(error => error is not PostgresException && error.IsTransient)
                .Handle<PostgresException>(error => error.IsTransient),
            MaxRetryAttempts = ConnectRetries,
            Delay = FirstRetryDelay,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = false,
        })
        .Build();

    /// <summary>
    /// How often work interrupted by an outage runs again, two seconds apart, each time after a connection
    /// with its own retries (<see cref="ConnectRetries"/>): a server away for up to about a minute is ridden out.
    /// </summary>
    public const int OutageRetries = 12;

    private static readonly ResiliencePipeline RideOutOutage = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<ProfileStoreFailedException>(error => error.IsTransient),
            MaxRetryAttempts = OutageRetries,
            Delay = TimeSpan.FromSeconds(2),
            BackoffType = DelayBackoffType.Constant,
            UseJitter = false,
        })
        .Build();

    private readonly NpgsqlConnectionStringBuilder _settings;

    [GeneratedRegex(@"(^|;)\s*timeout\s*=", RegexOptions.IgnoreCase)]
    private static partial Regex ConnectTimeoutKey();

    private PostgresBackend(NpgsqlConnectionStringBuilder settings)
    {
        settings.Pooling = false;
        settings.ApplicationName ??= "latnas";
        if (string.IsNullOrWhiteSpace(settings.Database))
        {
            throw new ProfileStoreException($"The PostgreSQL store {Describe(settings)} names no database; give one (postgresql://user@host/DATABASE).");
        }
        _settings = settings;
    }

    public static PostgresBackend FromUrl(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            throw new ProfileStoreException("The store URL is malformed; give it as postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE.");
        }
        var settings = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host.Trim('[', ']'),
            Port = uri.IsDefaultPort || uri.Port < 0 ? 5432 : uri.Port,
            Database = Uri.UnescapeDataString(uri.AbsolutePath.Trim('/')),
            Timeout = 5,
        };
        if (uri.UserInfo.Length > 0)
        {
            string[] user = uri.UserInfo.Split(':', 2);
            settings.Username = Uri.UnescapeDataString(user[0]);
            if (user.Length == 2)
            {
                settings.Password = Uri.UnescapeDataString(user[1]);
            }
        }
        foreach (string pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] parts = pair.Split('=', 2);
            string value = parts.Length == 2 ? Uri.UnescapeDataString(parts[1]) : "";
            switch (Uri.UnescapeDataString(parts[0]).ToLowerInvariant())
            {
                case "sslmode" when Enum.TryParse<SslMode>(value.Replace("-", ""), ignoreCase: true, out var mode):
                    settings.SslMode = mode;
                    break;
                case "application_name":
                    settings.ApplicationName = value;
                    break;
                case "connect_timeout" when int.TryParse(value, out int seconds) && seconds > 0:
                    settings.Timeout = seconds;
                    break;
                default:
                    throw new ProfileStoreException(
                        $"The store URL's parameter '{parts[0]}' is unknown or has a bad value; the URL takes sslmode, application_name and connect_timeout.");
            }
        }
        return new PostgresBackend(settings);
    }

    public static PostgresBackend FromConnectionString(string connectionString)
    {
        NpgsqlConnectionStringBuilder settings;
        try
        {
            settings = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException error)
        {
            throw new ProfileStoreException($"The store is not a valid PostgreSQL connection string ({error.Message.Split('\n')[0]}).", error);
        }
        if (!ConnectTimeoutKey().IsMatch(connectionString))
        {
            settings.Timeout = 5;
        }
        return new PostgresBackend(settings);
    }

    public override string Location => Describe(_settings);

    public override string Kind => "a PostgreSQL database";

    public override ResiliencePipeline Outage => RideOutOutage;

    public override string SkipLocked(string table) => $"FOR UPDATE OF {table} SKIP LOCKED";

    // A round trip per 500 rows: well under the protocol's 65,535 parameters with a dozen columns.
    public override int RowsPerStatement => 500;

    /// <summary>The database's name on its server.</summary>
    public string Database => _settings.Database!;

    /// <summary>The URL of the store without its password: what every message, report and JSON shows.</summary>
    private static string Describe(NpgsqlConnectionStringBuilder settings)
    {
        string user = string.IsNullOrEmpty(settings.Username) ? "" : Uri.EscapeDataString(settings.Username) + "@";
        string host = settings.Host is { } h && h.Contains(':') ? $"[{h}]" : settings.Host ?? "localhost";
        return $"postgresql://{user}{host}:{settings.Port}/{Uri.EscapeDataString(settings.Database ?? "")}";
    }

    public override DbConnection Connect(bool createIfMissing)
    {
        try
        {
            return Reconnect.Execute(() =>
            {
                var connection = new NpgsqlConnection(_settings.ConnectionString);
                try
                {
                    connection.Open();
                    return connection;
                }
                catch
                {
                    connection.Dispose();
                    throw;
                }
            });
        }
        catch (NpgsqlException error)
        {
            throw Classify(error);
        }
    }

    public override string Translate(string ddl)
    {
        ddl = Regex.Replace(ddl, @"\bid INTEGER PRIMARY KEY\b", "id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY");
        ddl = Regex.Replace(ddl, @"\bINTEGER\b", "BIGINT");
        ddl = Regex.Replace(ddl, @"\bREAL\b", "DOUBLE PRECISION");
        return Regex.Replace(ddl, @"\bBLOB\b", "BYTEA");
    }

    public override long ReadVersion(StoreConnection connection, DbTransaction? transaction)
    {
        if (!Tables(connection, transaction).Contains("store_info"))
        {
            return 0;
        }
        var version = Strings(connection, "SELECT value FROM store_info WHERE key = 'schema_version'", transaction);
        return version.Count == 1 && long.TryParse(version[0], out long v) ? v : 0;
    }

    public override void WriteVersion(StoreConnection connection, DbTransaction transaction, int version)
        => connection.Execute($"""
            INSERT INTO store_info (key, value) VALUES ('schema_version', '{version}') ON CONFLICT (key) DO UPDATE SET value = excluded.value
            """, transaction);

    public override void LockForMigration(StoreConnection connection, DbTransaction transaction)
        => connection.Execute($"SELECT pg_advisory_xact_lock({MigrationLockKey});", transaction);

    public override IReadOnlyList<string> Tables(StoreConnection connection, DbTransaction? transaction)
        => Strings(connection, "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema()", transaction);

    public override IReadOnlyList<string> Columns(StoreConnection connection, string table, DbTransaction? transaction)
        => Strings(connection, "SELECT column_name::text FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = @table",
            transaction, ("@table", table));

    public override LatencyNasException Classify(DbException error) => error is NpgsqlException npgsql
        ? StoreErrors.Classify(npgsql, Location, Database)
        : new ProfileStoreFailedException($"The profile store {Location} failed ({error.Message}).", isTransient: false, error);
}
