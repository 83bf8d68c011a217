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
/// uncorrected estimate (drift, raw_latency_ms); 8 added files kept in the store (store_files: a server store's saved
/// predictors, which an SQLite store keeps in a folder beside its file), the queue of work for workers (queue), and when
/// each claim was taken (claims.claimed_at); 9 added how far a batch's reference architectures disagreed about its drift
/// factor (measurements.reference_spread), so that a withdrawn precision claim can be audited; 10 added which of an
/// architecture's sessions each visit was made on (visits.instance); 11 added the batch each measurement was recorded
/// with (measurements.batch_id) and what each batch measured for the device's reference architectures (batch_references),
/// so that a batch's drift factor and spread can be recomputed. Older stores are upgraded in place when opened — their measurements keep their numbers
/// and are marked as made by the burst protocol (or imported) — and a newer one is refused. The tables are the same
/// on SQLite and PostgreSQL (the column types translated by the backend); SQLite keeps the version in the file's
/// user_version, PostgreSQL in store_info's schema_version.
/// </summary>
internal static class StoreSchema
{
    public const int Version = 11;

    private static readonly string[] Tables = ["devices", "architectures", "architecture_features", "measurements", "objectives", "visits", "claims", "store_info", "reference_latencies", "store_files", "queue", "batch_references"];

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
        ("reference_spread", "REAL"),
        ("batch_id", "TEXT"),
    ];

    /// <summary>Columns of visits added after version 4, when the table was created.</summary>
    private static readonly (string Name, string Type)[] AddedVisitColumns =
    [
        ("waiting", "REAL"),
        ("instance", "INTEGER"),
    ];

    /// <summary>Columns of claims added after version 5, when the table was created.</summary>
    private static readonly (string Name, string Type)[] AddedClaimColumns =
    [
        ("claimed_at", "REAL"),
    ];

    /// <param name="createIfMissing">Whether an empty database may become a store (a file that did not exist is created before this).</param>
    /// <exception cref="ProfileStoreException">The file or database is a newer store, holds other tables than a store's, or is empty and may not be created.</exception>
    public static void Migrate(StoreConnection connection, bool createIfMissing)
    {
        var backend = connection.Backend;
        long version = connection.Guard(() => backend.ReadVersion(connection, null));
        RefuseNewer(connection, version);
        if (version == Version)
        {
            return;
        }
        connection.InTransaction(transaction =>
        {
            // Two processes opening a new or older store at once: the second waits here, then finds it migrated.
            backend.LockForMigration(connection, transaction);
            long current = backend.ReadVersion(connection, transaction);
            RefuseNewer(connection, current);
            if (current == Version)
            {
                return 0;
            }
            var tables = backend.Tables(connection, transaction);
            if (tables.Except(Tables).Any())
            {
                throw new ProfileStoreException($"'{connection.Location}' is {backend.Kind} but not a LatencyNas profile store.");
            }
            if (tables.Count == 0 && !createIfMissing)
            {
                throw new ProfileStoreException($"No profile store at '{connection.Location}'. Profile or import a device first, or pass --store (or set LATNAS_STORE).");
            }
            // An older store has the measurements table without the later columns; CREATE TABLE IF NOT EXISTS leaves it as it is.
            bool older = tables.Contains("measurements");
            var missing = older ? Missing(connection, "measurements", AddedMeasurementColumns, transaction) : [];
            var missingVisitColumns = tables.Contains("visits") ? Missing(connection, "visits", AddedVisitColumns, transaction) : [];
            var missingClaimColumns = tables.Contains("claims") ? Missing(connection, "claims", AddedClaimColumns, transaction) : [];
            connection.Execute(backend.Translate(CreateTables), transaction);
            foreach (var (name, type) in missing)
            {
                connection.Execute(backend.Translate($"ALTER TABLE measurements ADD COLUMN {name} {type};"), transaction);
            }
            foreach (var (name, type) in missingVisitColumns)
            {
                connection.Execute(backend.Translate($"ALTER TABLE visits ADD COLUMN {name} {type};"), transaction);
            }
            foreach (var (name, type) in missingClaimColumns)
            {
                connection.Execute(backend.Translate($"ALTER TABLE claims ADD COLUMN {name} {type};"), transaction);
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
            connection.Execute($"INSERT INTO store_info (key, value) VALUES ('id', '{Guid.NewGuid():N}') ON CONFLICT DO NOTHING;", transaction);
            backend.WriteVersion(connection, transaction, Version);
            return 0;
        });
    }

    private static void RefuseNewer(StoreConnection connection, long version)
    {
        if (version > Version)
        {
            throw new ProfileStoreException(
                $"'{connection.Location}' was written by a newer LatencyNas (schema {version}; this one reads up to {Version}); update LatencyNas or use another store.");
        }
    }

    private static List<(string Name, string Type)> Missing(StoreConnection connection, string table, (string Name, string Type)[] added, System.Data.Common.DbTransaction transaction)
    {
        var present = connection.Backend.Columns(connection, table, transaction);
        return added.Where(c => !present.Contains(c.Name)).ToList();
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
            reference_spread REAL,
            batch_id TEXT,
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
            instance INTEGER,
            PRIMARY KEY (measurement_id, visit)
        );
        CREATE TABLE IF NOT EXISTS claims (
            device_id INTEGER NOT NULL REFERENCES devices (id),
            space TEXT NOT NULL,
            digits TEXT NOT NULL,
            session INTEGER NOT NULL,
            owner TEXT NOT NULL,
            expires_at REAL NOT NULL,
            claimed_at REAL,
            PRIMARY KEY (device_id, space, digits, session)
        );
        CREATE TABLE IF NOT EXISTS queue (
            device TEXT NOT NULL,
            space TEXT NOT NULL,
            digits TEXT NOT NULL,
            session INTEGER NOT NULL,
            enqueued_at TEXT NOT NULL,
            PRIMARY KEY (device, space, digits, session)
        );
        CREATE TABLE IF NOT EXISTS reference_latencies (
            device_id INTEGER NOT NULL REFERENCES devices (id),
            space TEXT NOT NULL,
            digits TEXT NOT NULL,
            latency_ms REAL NOT NULL,
            measured_at TEXT NOT NULL,
            PRIMARY KEY (device_id, space, digits)
        );
        CREATE TABLE IF NOT EXISTS batch_references (
            batch_id TEXT NOT NULL,
            device_id INTEGER NOT NULL REFERENCES devices (id),
            space TEXT NOT NULL,
            digits TEXT NOT NULL,
            latency_ms REAL NOT NULL,
            PRIMARY KEY (batch_id, digits)
        );
        CREATE TABLE IF NOT EXISTS store_files (
            name TEXT PRIMARY KEY,
            content BLOB NOT NULL,
            saved_at TEXT NOT NULL
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
