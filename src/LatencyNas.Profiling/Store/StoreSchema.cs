namespace LatencyNas.Profiling.Store;

/// <summary>
/// The store's tables and their migration. Version 1 held devices, architectures, features and
/// measurements; 2 added objectives; 3 added whether warm-up settled; 4 added the interleaved
/// protocol: each measurement's estimate (latency_ms), protocol, estimator and contention, and its
/// visits; 5 added when a user gave up on a recorded failure (given_up_at) and the claims of
/// running profiles; 6 added the store's identity (store_info), which saved predictors record so
/// that a store re-created under the same name does not inherit them; 7 added how long each visit's
/// measuring thread waited for a CPU (visits.waiting), which now decides whether a visit was contended,
/// and the reference latencies of a device (reference_latencies) with each measurement's drift factor and
/// uncorrected estimate (drift, raw_latency_ms). Older stores are upgraded in place when opened — their measurements keep their numbers
/// and are marked as made by the burst protocol (or imported) — and a newer one is refused.
/// </summary>
internal static class StoreSchema
{
    public const int Version = 7;

    private static readonly string[] Tables = ["devices", "architectures", "architecture_features", "measurements", "objectives", "visits", "claims", "store_info", "reference_latencies"];

    /// <summary>Columns of measurements added after version 1, with their types; added to an older store when it is opened.</summary>
    private static readonly (string Name, string Type)[] AddedMeasurementColumns =
    [
        ("warmup_settled", "INTEGER"),
        ("latency_ms", "REAL"),
        ("protocol", "TEXT"),
        ("estimator", "TEXT"),
        ("visits", "INTEGER"),
        ("contended_visits", "INTEGER"),
        ("other_busy", "REAL"),
        ("given_up_at", "TEXT"),
        ("raw_latency_ms", "REAL"),
        ("drift", "REAL"),
    ];

    /// <summary>Columns of visits added after version 4, when the table was created.</summary>
    private static readonly (string Name, string Type)[] AddedVisitColumns =
    [
        ("waiting", "REAL"),
    ];

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
        // An older store has the measurements table without the later columns; CREATE TABLE IF NOT EXISTS leaves it as it is.
        bool older = connection.Count("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'measurements'") == 1;
        var missing = older
            ? AddedMeasurementColumns.Where(c => connection.Count($"SELECT count(*) FROM pragma_table_info('measurements') WHERE name = '{c.Name}'") == 0).ToList()
            : [];
        bool olderVisits = connection.Count("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'visits'") == 1;
        var missingVisitColumns = olderVisits
            ? AddedVisitColumns.Where(c => connection.Count($"SELECT count(*) FROM pragma_table_info('visits') WHERE name = '{c.Name}'") == 0).ToList()
            : [];
        connection.InTransaction(transaction =>
        {
            connection.Execute(CreateTables, transaction);
            foreach (var (name, type) in missing)
            {
                connection.Execute($"ALTER TABLE measurements ADD COLUMN {name} {type};", transaction);
            }
            foreach (var (name, type) in missingVisitColumns)
            {
                connection.Execute($"ALTER TABLE visits ADD COLUMN {name} {type};", transaction);
            }
            if (older)
            {
                // Measurements from before version 4: the estimate is the median of the burst, or the imported value.
                connection.Execute("""
                    UPDATE measurements SET
                        latency_ms = coalesce(latency_ms, median_ms),
                        protocol = coalesce(protocol, CASE WHEN (SELECT kind FROM devices d WHERE d.id = device_id) = 'table' THEN 'table' ELSE 'burst' END),
                        estimator = coalesce(estimator, CASE WHEN (SELECT kind FROM devices d WHERE d.id = device_id) = 'table' THEN 'table' ELSE 'median-of-runs' END)
                    WHERE status = 'ok';
                    """, transaction);
            }
            connection.Execute($"INSERT OR IGNORE INTO store_info (key, value) VALUES ('id', '{Guid.NewGuid():N}');", transaction);
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
            latency_ms REAL,
            protocol TEXT,
            estimator TEXT,
            visits INTEGER,
            contended_visits INTEGER,
            other_busy REAL,
            given_up_at TEXT,
            raw_latency_ms REAL,
            drift REAL,
            UNIQUE (device_id, architecture_id, session)
        );
        CREATE INDEX IF NOT EXISTS measurements_by_device ON measurements (device_id, status);
        CREATE TABLE IF NOT EXISTS visits (
            measurement_id INTEGER NOT NULL REFERENCES measurements (id),
            visit INTEGER NOT NULL,
            round INTEGER NOT NULL,
            latency_ms REAL NOT NULL,
            runs INTEGER NOT NULL,
            other_busy REAL,
            steal REAL,
            waiting REAL,
            PRIMARY KEY (measurement_id, visit)
        );
        CREATE TABLE IF NOT EXISTS claims (
            device_id INTEGER NOT NULL REFERENCES devices (id),
            space TEXT NOT NULL,
            digits TEXT NOT NULL,
            session INTEGER NOT NULL,
            owner TEXT NOT NULL,
            expires_at REAL NOT NULL,
            PRIMARY KEY (device_id, space, digits, session)
        );
        CREATE TABLE IF NOT EXISTS reference_latencies (
            device_id INTEGER NOT NULL REFERENCES devices (id),
            space TEXT NOT NULL,
            digits TEXT NOT NULL,
            latency_ms REAL NOT NULL,
            measured_at TEXT NOT NULL,
            PRIMARY KEY (device_id, space, digits)
        );
        CREATE TABLE IF NOT EXISTS store_info (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS objectives (
            name TEXT NOT NULL,
            architecture_id INTEGER NOT NULL REFERENCES architectures (id),
            value REAL NOT NULL,
            source TEXT,
            PRIMARY KEY (name, architecture_id)
        );
        """;
}
