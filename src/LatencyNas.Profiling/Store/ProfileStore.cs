using System.Globalization;
using System.Text.Json;
using LatencyNas.Core.Spaces;
using LatencyNas.Profiling.Devices;
using LatencyNas.Profiling.Runners;
using Microsoft.Data.Sqlite;

namespace LatencyNas.Profiling.Store;

/// <summary>
/// The embedded profile store: one SQLite file in WAL mode holding devices (with fingerprints),
/// architectures (with features) and measurements. Every write is its own committed transaction
/// with synchronous=FULL, so a profile killed at any moment loses nothing it had finished, and the
/// unique key (device, architecture, session) makes a re-run skip rather than duplicate.
/// </summary>
public sealed class ProfileStore : IDisposable
{
    public const string DefaultPath = "profiles/latnas.db";
    private const int SchemaVersion = 3;

    private readonly SqliteConnection _connection;
    // Ids known to be committed (or inside the open transaction), by space, digits, dataset and resolution.
    private readonly Dictionary<(string Space, string Digits, string Dataset, int Resolution), long> _architectureIds = [];
    private readonly Lock _writeLock = new();

    private ProfileStore(SqliteConnection connection, string path)
    {
        _connection = connection;
        Path = path;
    }

    public string Path { get; }

    /// <summary>Opens (creating if needed) the store at <paramref name="path"/>.</summary>
    /// <exception cref="ProfileStoreException">The file cannot be created or is not a LatencyNas store.</exception>
    public static ProfileStore Open(string path, bool createIfMissing = true)
    {
        string fullPath = System.IO.Path.GetFullPath(path);
        if (!createIfMissing && !File.Exists(fullPath))
        {
            throw new ProfileStoreException($"No profile store at '{path}'. Profile or import a device first, or pass --store.");
        }
        SqliteConnection? connection = null;
        try
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(fullPath)!);
            connection = new SqliteConnection(new SqliteConnectionStringBuilder
            {
                DataSource = fullPath,
                Mode = SqliteOpenMode.ReadWriteCreate,
                Pooling = false,
                DefaultTimeout = 30,
            }.ToString());
            connection.Open();
            Execute(connection, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000;");
            var store = new ProfileStore(connection, fullPath);
            store.Migrate();
            return store;
        }
        catch (SqliteException error)
        {
            connection?.Dispose();
            throw new ProfileStoreException($"Cannot open profile store '{path}': {error.Message.Split('\n')[0]}", error);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            connection?.Dispose();
            throw new ProfileStoreException($"Cannot open profile store '{path}': {error.Message}", error);
        }
    }

    private void Migrate()
    {
        long version = Scalar<long>("PRAGMA user_version;");
        if (version > SchemaVersion)
        {
            throw new ProfileStoreException($"'{Path}' was written by a newer LatencyNas (schema {version}; this one reads {SchemaVersion}).");
        }
        if (version == SchemaVersion)
        {
            return;
        }
        bool foreign = Scalar<long>("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT IN ('devices', 'architectures', 'architecture_features', 'measurements', 'objectives')") > 0;
        if (foreign)
        {
            throw new ProfileStoreException($"'{Path}' is an SQLite file but not a LatencyNas profile store.");
        }
        // Stores of schema 1 and 2 lack the warm-up flag; the tables below exist there already.
        bool addSettledColumn = Scalar<long>("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'measurements'") == 1
                                && Scalar<long>("SELECT count(*) FROM pragma_table_info('measurements') WHERE name = 'warmup_settled'") == 0;
        using var transaction = _connection.BeginTransaction();
        Execute(_connection, """
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
            """, transaction);
        if (addSettledColumn)
        {
            Execute(_connection, "ALTER TABLE measurements ADD COLUMN warmup_settled INTEGER;", transaction);
        }
        Execute(_connection, $"PRAGMA user_version = {SchemaVersion};", transaction);
        transaction.Commit();
    }

    /// <summary>
    /// Registers a live or remote device, or checks that the stored one was measured with the same
    /// fingerprint. Mixing two machines or two settings under one name would make its numbers meaningless.
    /// </summary>
    /// <exception cref="ProfileStoreException">The name is taken by a device with another fingerprint or kind.</exception>
    public StoredDevice EnsureDevice(DeviceDescriptor device, DeviceFingerprint fingerprint, DeviceKind kind)
    {
        lock (_writeLock)
        {
            if (FindDevice(device.Name) is { } existing)
            {
                if (existing.Kind != kind)
                {
                    throw new ProfileStoreException($"The store already has a {existing.Kind.ToString().ToLowerInvariant()} device named '{device.Name}'; give this one another name.");
                }
                if (existing.Fingerprint is { } stored && stored.Hash != fingerprint.Hash)
                {
                    throw new ProfileStoreException(
                        $"Device '{device.Name}' in {Path} was measured with a different fingerprint ({Describe(stored)}) than now ({Describe(fingerprint)}); " +
                        "use another store, or another device name (--device-name).");
                }
                return existing;
            }
            using var command = Command("""
                INSERT INTO devices (name, kind, fingerprint, fingerprint_hash, cpu_model, cores, os, runtime, runtime_version, provider,
                                     threads, optimization, batch, resolution, dataset, source, created_at)
                VALUES ($name, $kind, $fingerprint, $hash, $cpu, $cores, $os, $runtime, $version, $provider,
                        $threads, $optimization, $batch, $resolution, $dataset, $source, $created)
                """);
            command.Parameters.AddWithValue("$name", device.Name);
            command.Parameters.AddWithValue("$kind", KindText(kind));
            command.Parameters.AddWithValue("$fingerprint", fingerprint.ToJson());
            command.Parameters.AddWithValue("$hash", fingerprint.Hash);
            command.Parameters.AddWithValue("$cpu", fingerprint.CpuModel);
            command.Parameters.AddWithValue("$cores", fingerprint.Cores);
            command.Parameters.AddWithValue("$os", fingerprint.OperatingSystem);
            command.Parameters.AddWithValue("$runtime", fingerprint.Runtime);
            command.Parameters.AddWithValue("$version", fingerprint.RuntimeVersion);
            command.Parameters.AddWithValue("$provider", fingerprint.Provider);
            command.Parameters.AddWithValue("$threads", fingerprint.Threads);
            command.Parameters.AddWithValue("$optimization", fingerprint.Optimization);
            command.Parameters.AddWithValue("$batch", fingerprint.BatchSize);
            command.Parameters.AddWithValue("$resolution", fingerprint.Resolution);
            command.Parameters.AddWithValue("$dataset", fingerprint.Dataset);
            command.Parameters.AddWithValue("$source", device.Source);
            command.Parameters.AddWithValue("$created", Now());
            command.ExecuteNonQuery();
            return FindDevice(device.Name)!;
        }
    }

    /// <summary>Registers (or finds) a device imported from a table.</summary>
    public StoredDevice EnsureTableDevice(string name, string source, Dataset dataset, SqliteTransaction? transaction = null)
    {
        if (FindDevice(name, transaction) is { } existing)
        {
            return existing.Kind == DeviceKind.Table
                ? existing
                : throw new ProfileStoreException($"The store already has a {existing.Kind.ToString().ToLowerInvariant()} device named '{name}'; import under another --prefix.");
        }
        using var command = Command("INSERT INTO devices (name, kind, source, dataset, resolution, created_at) VALUES ($name, 'table', $source, $dataset, $resolution, $created)", transaction);
        command.Parameters.AddWithValue("$name", name);
        command.Parameters.AddWithValue("$source", source);
        command.Parameters.AddWithValue("$dataset", dataset.Name);
        command.Parameters.AddWithValue("$resolution", dataset.Resolution);
        command.Parameters.AddWithValue("$created", Now());
        command.ExecuteNonQuery();
        return FindDevice(name, transaction)!;
    }

    public StoredDevice? FindDevice(string name, SqliteTransaction? transaction = null)
    {
        using var command = Command("SELECT id, name, kind, fingerprint, source, dataset, resolution, batch, created_at FROM devices WHERE name = $name", transaction);
        command.Parameters.AddWithValue("$name", name);
        using var reader = command.ExecuteReader();
        return reader.Read() ? ReadDevice(reader) : null;
    }

    /// <exception cref="ProfileStoreException">No device of that name; the message lists the known ones.</exception>
    public StoredDevice GetDevice(string name)
        => FindDevice(name) ?? throw new ProfileStoreException(
            $"No device '{name}' in {Path}. Known devices: {KnownDeviceNames()}.");

    private string KnownDeviceNames()
    {
        var names = ListDevices().Select(d => d.Device.Name).ToList();
        return names.Count == 0 ? "(none yet)" : names.Count <= 40 ? string.Join(", ", names) : string.Join(", ", names.Take(40)) + $", … ({names.Count} in all)";
    }

    public IReadOnlyList<DeviceSummary> ListDevices()
    {
        using var command = Command("""
            SELECT d.id, d.name, d.kind, d.fingerprint, d.source, d.dataset, d.resolution, d.batch, d.created_at,
                   coalesce(sum(m.status = 'ok'), 0), coalesce(sum(m.status = 'failed'), 0)
            FROM devices d LEFT JOIN measurements m ON m.device_id = d.id
            GROUP BY d.id ORDER BY d.name
            """);
        var devices = new List<DeviceSummary>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            devices.Add(new DeviceSummary(ReadDevice(reader), reader.GetInt32(9), reader.GetInt32(10)));
        }
        return devices;
    }

    /// <summary>The id of an architecture, inserting it (with its features for <paramref name="dataset"/>) on first sight.</summary>
    public long EnsureArchitecture(SearchSpace space, Architecture architecture, Dataset dataset, SqliteTransaction? transaction = null)
    {
        lock (_writeLock)
        {
            var key = (space.Name, architecture.Digits, dataset.Name, dataset.Resolution);
            if (_architectureIds.TryGetValue(key, out long id))
            {
                return id;
            }
            var features = space.Features(architecture, dataset);
            using var insert = Command("""
                INSERT INTO architectures (space, digits, arch, disconnected, op_counts) VALUES ($space, $digits, $arch, $disconnected, $ops)
                ON CONFLICT (space, digits) DO UPDATE SET arch = excluded.arch
                RETURNING id
                """, transaction);
            insert.Parameters.AddWithValue("$space", space.Name);
            insert.Parameters.AddWithValue("$digits", architecture.Digits);
            insert.Parameters.AddWithValue("$arch", space.Format(architecture));
            insert.Parameters.AddWithValue("$disconnected", features.Disconnected);
            insert.Parameters.AddWithValue("$ops", JsonSerializer.Serialize(features.OpCounts.ToDictionary()));
            id = (long)insert.ExecuteScalar()!;

            using var insertFeatures = Command("""
                INSERT OR IGNORE INTO architecture_features (architecture_id, dataset, resolution, params, macs, extra)
                VALUES ($id, $dataset, $resolution, $params, $macs, $extra)
                """, transaction);
            insertFeatures.Parameters.AddWithValue("$id", id);
            insertFeatures.Parameters.AddWithValue("$dataset", dataset.Name);
            insertFeatures.Parameters.AddWithValue("$resolution", dataset.Resolution);
            insertFeatures.Parameters.AddWithValue("$params", features.Parameters);
            insertFeatures.Parameters.AddWithValue("$macs", features.Macs);
            insertFeatures.Parameters.AddWithValue("$extra", JsonSerializer.Serialize(features.Extra.ToDictionary()));
            insertFeatures.ExecuteNonQuery();
            _architectureIds[key] = id;
            return id;
        }
    }

    /// <summary>Commits one finished measurement. A stored failure of the same key is replaced; a stored success is kept.</summary>
    /// <returns>False when the key already held a successful measurement (nothing written).</returns>
    public bool RecordMeasurement(StoredDevice device, SearchSpace space, ModelRequest request, int session, Measurement measurement)
    {
        long architectureId = EnsureArchitecture(space, request.Architecture, request.Dataset);
        var s = measurement.Statistics;
        lock (_writeLock)
        {
            using var command = Command("""
                INSERT INTO measurements (device_id, architecture_id, session, status, median_ms, mean_ms, min_ms, p10_ms, p90_ms, iqr_ms, cv, runs,
                                          precision_met, ci_half_width, warmup_runs, warmup_settled, session_ms, agent, measured_at)
                VALUES ($device, $arch, $session, 'ok', $median, $mean, $min, $p10, $p90, $iqr, $cv, $runs, $met, $ci, $warmup, $settled, $sessionMs, $agent, $at)
                ON CONFLICT (device_id, architecture_id, session) DO UPDATE SET
                    status = 'ok', median_ms = excluded.median_ms, mean_ms = excluded.mean_ms, min_ms = excluded.min_ms, p10_ms = excluded.p10_ms,
                    p90_ms = excluded.p90_ms, iqr_ms = excluded.iqr_ms, cv = excluded.cv, runs = excluded.runs, precision_met = excluded.precision_met,
                    ci_half_width = excluded.ci_half_width, warmup_runs = excluded.warmup_runs, warmup_settled = excluded.warmup_settled, session_ms = excluded.session_ms,
                    failure = NULL, agent = excluded.agent, measured_at = excluded.measured_at
                WHERE measurements.status = 'failed'
                """);
            command.Parameters.AddWithValue("$device", device.Id);
            command.Parameters.AddWithValue("$arch", architectureId);
            command.Parameters.AddWithValue("$session", session);
            command.Parameters.AddWithValue("$median", s.MedianMs);
            command.Parameters.AddWithValue("$mean", s.MeanMs);
            command.Parameters.AddWithValue("$min", s.MinMs);
            command.Parameters.AddWithValue("$p10", s.P10Ms);
            command.Parameters.AddWithValue("$p90", s.P90Ms);
            command.Parameters.AddWithValue("$iqr", s.IqrMs);
            command.Parameters.AddWithValue("$cv", s.CoefficientOfVariation);
            command.Parameters.AddWithValue("$runs", s.Runs);
            command.Parameters.AddWithValue("$met", s.PrecisionMet);
            command.Parameters.AddWithValue("$ci", Finite(s.MedianCiHalfWidthRelative));
            command.Parameters.AddWithValue("$warmup", s.WarmupRuns);
            command.Parameters.AddWithValue("$settled", s.WarmupSettled);
            command.Parameters.AddWithValue("$sessionMs", measurement.SessionCreationMs);
            command.Parameters.AddWithValue("$agent", (object?)measurement.Agent ?? DBNull.Value);
            command.Parameters.AddWithValue("$at", Now());
            return command.ExecuteNonQuery() > 0;
        }
    }

    /// <summary>Records why an architecture could not be measured. Never overwrites a success.</summary>
    public void RecordFailure(StoredDevice device, SearchSpace space, ModelRequest request, int session, string reason, string? agent = null)
    {
        long architectureId = EnsureArchitecture(space, request.Architecture, request.Dataset);
        lock (_writeLock)
        {
            using var command = Command("""
                INSERT INTO measurements (device_id, architecture_id, session, status, failure, agent, measured_at)
                VALUES ($device, $arch, $session, 'failed', $failure, $agent, $at)
                ON CONFLICT (device_id, architecture_id, session) DO UPDATE SET failure = excluded.failure, measured_at = excluded.measured_at
                WHERE measurements.status = 'failed'
                """);
            command.Parameters.AddWithValue("$device", device.Id);
            command.Parameters.AddWithValue("$arch", architectureId);
            command.Parameters.AddWithValue("$session", session);
            command.Parameters.AddWithValue("$failure", reason);
            command.Parameters.AddWithValue("$agent", (object?)agent ?? DBNull.Value);
            command.Parameters.AddWithValue("$at", Now());
            command.ExecuteNonQuery();
        }
    }

    /// <summary>Digits of the architectures of <paramref name="space"/> already settled for a device and session.</summary>
    /// <param name="includeFailed">Count recorded failures as settled (they are not retried unless asked).</param>
    public HashSet<string> SettledDigits(StoredDevice device, SearchSpace space, int session, bool includeFailed)
    {
        using var command = Command($"""
            SELECT a.digits FROM measurements m JOIN architectures a ON a.id = m.architecture_id
            WHERE m.device_id = $device AND m.session = $session AND a.space = $space {(includeFailed ? "" : "AND m.status = 'ok'")}
            """);
        command.Parameters.AddWithValue("$device", device.Id);
        command.Parameters.AddWithValue("$session", session);
        command.Parameters.AddWithValue("$space", space.Name);
        var digits = new HashSet<string>(StringComparer.Ordinal);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            digits.Add(reader.GetString(0));
        }
        return digits;
    }

    /// <summary>Every stored measurement of a device (optionally of one space), in architecture order.</summary>
    public IReadOnlyList<StoredMeasurement> ReadMeasurements(StoredDevice device, string? space = null)
    {
        using var command = Command("""
            SELECT a.space, a.digits, a.arch, m.session, m.status, m.median_ms, m.mean_ms, m.min_ms, m.p10_ms, m.p90_ms, m.iqr_ms, m.cv, m.runs,
                   m.precision_met, m.session_ms, m.failure, m.agent, m.measured_at, m.ci_half_width, m.warmup_runs, m.warmup_settled
            FROM measurements m JOIN architectures a ON a.id = m.architecture_id
            WHERE m.device_id = $device AND ($space IS NULL OR a.space = $space)
            ORDER BY a.space, a.digits, m.session
            """);
        command.Parameters.AddWithValue("$device", device.Id);
        command.Parameters.AddWithValue("$space", (object?)space ?? DBNull.Value);
        var measurements = new List<StoredMeasurement>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            measurements.Add(new StoredMeasurement(
                reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3), reader.GetString(4) == "ok",
                NullableDouble(reader, 5), NullableDouble(reader, 6), NullableDouble(reader, 7), NullableDouble(reader, 8),
                NullableDouble(reader, 9), NullableDouble(reader, 10), NullableDouble(reader, 11),
                reader.IsDBNull(12) ? null : reader.GetInt32(12), reader.IsDBNull(13) ? null : reader.GetBoolean(13),
                NullableDouble(reader, 14), reader.IsDBNull(15) ? null : reader.GetString(15), reader.IsDBNull(16) ? null : reader.GetString(16),
                DateTimeOffset.Parse(reader.GetString(17), CultureInfo.InvariantCulture),
                NullableDouble(reader, 18), reader.IsDBNull(19) ? null : reader.GetInt32(19), reader.IsDBNull(20) ? null : reader.GetBoolean(20)));
        }
        return measurements;
    }

    /// <summary>
    /// The latency (ms) of each successfully measured architecture of a space on a device: the
    /// median of one session, or the mean of the session medians when it was profiled more than once.
    /// </summary>
    public IReadOnlyDictionary<string, double> Latencies(StoredDevice device, SearchSpace space)
    {
        using var command = Command("""
            SELECT a.digits, avg(m.median_ms) FROM measurements m JOIN architectures a ON a.id = m.architecture_id
            WHERE m.device_id = $device AND a.space = $space AND m.status = 'ok'
            GROUP BY a.digits
            """);
        command.Parameters.AddWithValue("$device", device.Id);
        command.Parameters.AddWithValue("$space", space.Name);
        var latencies = new Dictionary<string, double>(StringComparer.Ordinal);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            latencies[reader.GetString(0)] = reader.GetDouble(1);
        }
        return latencies;
    }

    /// <summary>Names of the objectives (e.g. imported accuracies) the store holds, with their counts.</summary>
    public IReadOnlyList<(string Name, int Count)> ListObjectives()
    {
        using var command = Command("SELECT name, count(*) FROM objectives GROUP BY name ORDER BY name");
        var objectives = new List<(string, int)>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            objectives.Add((reader.GetString(0), reader.GetInt32(1)));
        }
        return objectives;
    }

    /// <summary>Values of an objective (higher is better) for the architectures of a space, by digits.</summary>
    /// <exception cref="ProfileStoreException">The store holds no objective of that name.</exception>
    public IReadOnlyDictionary<string, double> Objective(string name, SearchSpace space)
    {
        using var command = Command("""
            SELECT a.digits, o.value FROM objectives o JOIN architectures a ON a.id = o.architecture_id
            WHERE o.name = $name AND a.space = $space
            """);
        command.Parameters.AddWithValue("$name", name);
        command.Parameters.AddWithValue("$space", space.Name);
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                values[reader.GetString(0)] = reader.GetDouble(1);
            }
        }
        if (values.Count == 0)
        {
            var known = ListObjectives().Select(o => o.Name).ToList();
            throw new ProfileStoreException(
                $"No objective '{name}' for {space.Name} in {Path}. " +
                (known.Count > 0 ? $"Known objectives: {string.Join(", ", known)}." : "Import one with `latnas import --csv FILE --objectives COLUMN`."));
        }
        return values;
    }

    /// <summary>Stores computed objective values (e.g. zero-cost proxies) so they are computed once.</summary>
    public void SaveObjective(string name, SearchSpace space, Dataset dataset, IEnumerable<(Architecture Architecture, double Value)> values, string source)
    {
        InTransaction(transaction =>
        {
            using var upsert = PrepareObjectiveUpsert(transaction);
            foreach (var (architecture, value) in values)
            {
                upsert.Parameters["$name"].Value = name;
                upsert.Parameters["$arch"].Value = EnsureArchitecture(space, architecture, dataset, transaction);
                upsert.Parameters["$value"].Value = value;
                upsert.Parameters["$source"].Value = source;
                upsert.ExecuteNonQuery();
            }
            return 0;
        });
    }

    /// <summary>Like <see cref="Objective"/>, but empty rather than an error when the store has none.</summary>
    public IReadOnlyDictionary<string, double> ObjectiveOrEmpty(string name, SearchSpace space)
        => ListObjectives().Any(o => o.Name == name) ? Objective(name, space) : new Dictionary<string, double>();

    internal SqliteCommand PrepareObjectiveUpsert(SqliteTransaction transaction)
    {
        var command = Command("""
            INSERT INTO objectives (name, architecture_id, value, source) VALUES ($name, $arch, $value, $source)
            ON CONFLICT (name, architecture_id) DO UPDATE SET value = excluded.value, source = excluded.source
            """, transaction);
        command.Parameters.Add("$name", SqliteType.Text);
        command.Parameters.Add("$arch", SqliteType.Integer);
        command.Parameters.Add("$value", SqliteType.Real);
        command.Parameters.Add("$source", SqliteType.Text);
        command.Prepare();
        return command;
    }

    /// <summary>Runs <paramref name="work"/> in one transaction: all of it lands, or none (used by imports).</summary>
    public T InTransaction<T>(Func<SqliteTransaction, T> work)
    {
        lock (_writeLock)
        {
            using var transaction = _connection.BeginTransaction();
            try
            {
                T result = work(transaction);
                transaction.Commit();
                return result;
            }
            catch
            {
                _architectureIds.Clear(); // rows inserted in the rolled-back transaction are gone
                throw;
            }
        }
    }

    /// <summary>Writes one imported value (median only) inside an import transaction, replacing an earlier import.</summary>
    internal void UpsertTableValue(SqliteCommand prepared, long deviceId, long architectureId, double medianMs, string measuredAt)
    {
        prepared.Parameters["$device"].Value = deviceId;
        prepared.Parameters["$arch"].Value = architectureId;
        prepared.Parameters["$median"].Value = medianMs;
        prepared.Parameters["$at"].Value = measuredAt;
        prepared.ExecuteNonQuery();
    }

    internal SqliteCommand PrepareTableUpsert(SqliteTransaction transaction)
    {
        var command = Command("""
            INSERT INTO measurements (device_id, architecture_id, session, status, median_ms, measured_at)
            VALUES ($device, $arch, 1, 'ok', $median, $at)
            ON CONFLICT (device_id, architecture_id, session) DO UPDATE SET median_ms = excluded.median_ms, status = 'ok', measured_at = excluded.measured_at
            """, transaction);
        command.Parameters.Add("$device", SqliteType.Integer);
        command.Parameters.Add("$arch", SqliteType.Integer);
        command.Parameters.Add("$median", SqliteType.Real);
        command.Parameters.Add("$at", SqliteType.Text);
        command.Prepare();
        return command;
    }

    public void Dispose() => _connection.Dispose();

    internal static string Now() => DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);

    private static string Describe(DeviceFingerprint f) => $"{f.CpuModel}, {f.Cores} cores, {f.Runtime} {f.RuntimeVersion}, {f.Provider}, {f.Threads} threads, {f.Optimization}, batch {f.BatchSize}, {f.Resolution}px";

    private static string KindText(DeviceKind kind) => kind.ToString().ToLowerInvariant();

    private static StoredDevice ReadDevice(SqliteDataReader reader) => new(
        reader.GetInt64(0),
        reader.GetString(1),
        Enum.Parse<DeviceKind>(reader.GetString(2), ignoreCase: true),
        reader.IsDBNull(3) ? null : DeviceFingerprint.FromJson(reader.GetString(3)),
        reader.IsDBNull(4) ? null : reader.GetString(4),
        reader.IsDBNull(5) ? null : reader.GetString(5),
        reader.IsDBNull(6) ? null : reader.GetInt32(6),
        reader.IsDBNull(7) ? null : reader.GetInt32(7),
        DateTimeOffset.Parse(reader.GetString(8), CultureInfo.InvariantCulture));

    private static double? NullableDouble(SqliteDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetDouble(ordinal);

    private static object Finite(double value) => double.IsFinite(value) ? value : DBNull.Value;

    private SqliteCommand Command(string sql, SqliteTransaction? transaction = null)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        return command;
    }

    private T Scalar<T>(string sql) => (T)Convert.ChangeType(Command(sql).ExecuteScalar()!, typeof(T), CultureInfo.InvariantCulture);

    private static void Execute(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        command.ExecuteNonQuery();
    }
}
