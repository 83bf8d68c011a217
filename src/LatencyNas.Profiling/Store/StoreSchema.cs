namespace LatencyNas.Profiling.Store;

/// <summary>
/// The store's tables and their migration. Version 1 held devices, architectures, features and
/// measurements; 2 added objectives; 3 added whether warm-up settled. Older stores are upgraded in
/// place when opened; a newer one is refused.
/// </summary>
internal static class StoreSchema
{
    public const int Version = 3;

    private static readonly string[] Tables = ["devices", "architectures", "architecture_features", "measurements", "objectives"];

    /// <exception cref="ProfileStoreException">The file is a newer store, or an SQLite database that is not a store.</exception>
    public static void Migrate(StoreConnection connection)
    {
        long version = connection.Count("PRAGMA user_version;");
        if (version > Version)
        {
            throw new ProfileStoreException(
                $"'{connection.Path}' was written by a newer LatencyNas (schema {version}; this one reads up to {Version}); update LatencyNas or use another store.");
        }
        if (version == Version)
        {
            return;
        }
        string known = string.Join(", ", Tables.Select(t => $"'{t}'"));
        if (connection.Count($"SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT IN ({known})") > 0)
        {
            throw new ProfileStoreException($"'{connection.Path}' is an SQLite file but not a LatencyNas profile store.");
        }
        // Stores of schema 1 and 2 lack the warm-up flag; the tables below exist there already.
        bool addSettledColumn = connection.Count("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'measurements'") == 1
                                && connection.Count("SELECT count(*) FROM pragma_table_info('measurements') WHERE name = 'warmup_settled'") == 0;
        connection.InTransaction(transaction =>
        {
            connection.Execute(CreateTables, transaction);
            if (addSettledColumn)
            {
                connection.Execute("ALTER TABLE measurements ADD COLUMN warmup_settled INTEGER;", transaction);
            }
            connection.Execute($"PRAGMA user_version = {Version};", transaction);
            return 0;
        });
    }

    private const string CreateTables = """
        CREATE TABLE IF NOT EXISTS devices (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL CHECK (kind IN ('live', 'remote', 'table')),
            fingerprint TEXT,
            fingerprint_hash TEXT,
            cpu_model TEXT,
            cores INTEGER,
            os TEXT,
            runtime TEXT,
            runtime_version TEXT,
            provider TEXT,
            threads INTEGER,
            optimization TEXT,
            batch INTEGER,
            resolution INTEGER,
            dataset TEXT,
            source TEXT,
            created_at TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS architectures (
            id INTEGER PRIMARY KEY,
            space TEXT NOT NULL,
            digits TEXT NOT NULL,
            arch TEXT NOT NULL,
            disconnected INTEGER NOT NULL,
            op_counts TEXT NOT NULL,
            UNIQUE (space, digits)
        );
        CREATE TABLE IF NOT EXISTS architecture_features (
            architecture_id INTEGER NOT NULL REFERENCES architectures (id),
            dataset TEXT NOT NULL,
            resolution INTEGER NOT NULL,
            params INTEGER NOT NULL,
            macs INTEGER NOT NULL,
            extra TEXT NOT NULL,
            PRIMARY KEY (architecture_id, dataset, resolution)
        );
        CREATE TABLE IF NOT EXISTS measurements (
            id INTEGER PRIMARY KEY,
            device_id INTEGER NOT NULL REFERENCES devices (id),
            architecture_id INTEGER NOT NULL REFERENCES architectures (id),
            session INTEGER NOT NULL DEFAULT 1,
            status TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
            median_ms REAL,
            mean_ms REAL,
            min_ms REAL,
            p10_ms REAL,
            p90_ms REAL,
            iqr_ms REAL,
            cv REAL,
            runs INTEGER,
            precision_met INTEGER,
            ci_half_width REAL,
            warmup_runs INTEGER,
            warmup_settled INTEGER,
            session_ms REAL,
            failure TEXT,
            agent TEXT,
            measured_at TEXT NOT NULL,
            UNIQUE (device_id, architecture_id, session)
        );
        CREATE INDEX IF NOT EXISTS measurements_by_device ON measurements (device_id, status);
        CREATE TABLE IF NOT EXISTS objectives (
            name TEXT NOT NULL,
            architecture_id INTEGER NOT NULL REFERENCES architectures (id),
            value REAL NOT NULL,
            source TEXT,
            PRIMARY KEY (name, architecture_id)
        );
        """;
}
