using System.Data.Common;

namespace LatencyNas.Profiling.Store;

/// <summary>What a copy between two stores did.</summary>
/// <param name="Devices">Devices of the source, each copied (or found already copied) in one transaction of the target.</param>
/// <param name="Measurements">Measurements written to the target (and so <paramref name="Visits"/>, <paramref name="Objectives"/> values and <paramref name="Queued"/> architectures).</param>
/// <param name="AlreadyThere">Measurements the target held already (an earlier, interrupted copy): left as they are.</param>
public sealed record StoreCopySummary(int Devices, int Measurements, int AlreadyThere, int Visits, int Objectives, int Queued);

/// <summary>
/// Copies everything one store holds into another, between any two backends (SQLite ⇄ PostgreSQL): devices
/// with their fingerprints, architectures and features, measurements with their visits, reference latencies (the device's, and each batch's),
/// objectives and queued work. Each device lands in one transaction, so a copy that is stopped is simply run
/// again: what the target holds is kept, never duplicated (the tables' keys), and a device the target holds
/// under the same name with another setting refuses the copy. Claims (of running profiles) are not copied,
/// nor saved predictors: they name the store they were trained on; train them again on the target.
/// </summary>
public static class StoreCopy
{
    private static readonly string[] DeviceColumns =
        ["name", "kind", "fingerprint", "fingerprint_hash", "cpu_model", "cores", "os", "runtime", "runtime_version", "provider", "threads", "optimization", "batch",
         "resolution", "dataset", "source", "created_at"];

    private static readonly string[] MeasurementColumns =
        ["session", "status", "median_ms", "mean_ms", "min_ms", "p10_ms", "p90_ms", "iqr_ms", "cv", "runs", "precision_met", "ci_half_width", "warmup_runs",
         "warmup_settled", "session_ms", "failure", "agent", "measured_at", "latency_ms", "protocol", "estimator", "visits", "contended_visits", "other_busy",
         "given_up_at", "raw_latency_ms", "drift", "reference_spread", "batch_id"];

    private static readonly string[] VisitColumns = ["visit", "round", "latency_ms", "runs", "other_busy", "steal", "waiting", "instance"];

    /// <param name="progress">Told each device's name once it is copied.</param>
    /// <exception cref="ProfileStoreException">The target holds a device of the same name measured with another setting, or the two are one store.</exception>
    public static StoreCopySummary Run(ProfileStore from, ProfileStore to, IProgress<string>? progress = null)
    {
        if (from.Id == to.Id)
        {
            throw new ProfileStoreException($"{from.Location} and {to.Location} are the same store (or copies of it); give another target.");
        }
        var source = from.Connection;
        var target = to.Connection;
        int devices = 0, measurements = 0, alreadyThere = 0, visits = 0;
        // Read once for every device and the objectives: the features of the architectures each copies.
        var features = source.Rows("SELECT architecture_id, dataset, resolution, params, macs, extra FROM architecture_features")
            .ToLookup(f => Convert.ToInt64(f["architecture_id"]));
        foreach (var device in source.Rows($"SELECT id, {string.Join(", ", DeviceColumns)} FROM devices"))
        {
            string name = (string)device["name"]!;
            var deviceMeasurements = source.Rows($"""
                SELECT m.id, a.space, a.digits, {string.Join(", ", MeasurementColumns.Select(c => "m." + c))}
                FROM measurements m JOIN architectures a ON a.id = m.architecture_id WHERE m.device_id = @device
                """, ("@device", device["id"]));
            var deviceVisits = source.Rows($"""
                SELECT v.measurement_id, {string.Join(", ", VisitColumns.Select(c => "v." + c))}
                FROM visits v JOIN measurements m ON m.id = v.measurement_id WHERE m.device_id = @device
                """, ("@device", device["id"]));
            var references = source.Rows("SELECT space, digits, latency_ms, measured_at FROM reference_latencies WHERE device_id = @device", ("@device", device["id"]));
            var batchReferences = source.Rows("SELECT batch_id, space, digits, latency_ms FROM batch_references WHERE device_id = @device", ("@device", device["id"]));
            var architectures = source.Rows("""
                SELECT DISTINCT a.id, a.space, a.digits, a.arch, a.disconnected, a.op_counts
                FROM architectures a JOIN measurements m ON m.architecture_id = a.id WHERE m.device_id = @device
                """, ("@device", device["id"]));
            var written = target.InTransaction(transaction =>
            {
                long id = EnsureDevice(target, transaction, device, to.Location);
                var architectureIds = EnsureArchitectures(target, transaction, architectures, features);
                var before = Keys(target, transaction, id);
                target.InsertMany(transaction, "measurements", ["device_id", "architecture_id", .. MeasurementColumns],
                    deviceMeasurements.Select(m => new object?[] { id, architectureIds[ArchitectureKey(m)] }
                        .Concat(MeasurementColumns.Select(c => m[c])).ToArray()),
                    "ON CONFLICT (device_id, architecture_id, session) DO NOTHING");
                var after = Keys(target, transaction, id);
                // Visits of the measurements this copy wrote; those of measurements the target held stay as they were.
                var newIds = deviceMeasurements
                    .Select(m => (Source: Convert.ToInt64(m["id"]), Key: (architectureIds[ArchitectureKey(m)], Convert.ToInt64(m["session"]))))
                    .Where(m => !before.ContainsKey(m.Key))
                    .ToDictionary(m => m.Source, m => after[m.Key]);
                var copiedVisits = deviceVisits.Where(v => newIds.ContainsKey(Convert.ToInt64(v["measurement_id"]))).ToList();
                target.InsertMany(transaction, "visits", ["measurement_id", .. VisitColumns],
                    copiedVisits.Select(v => new object?[] { newIds[Convert.ToInt64(v["measurement_id"])] }.Concat(VisitColumns.Select(c => v[c])).ToArray()),
                    "ON CONFLICT DO NOTHING");
                target.InsertMany(transaction, "reference_latencies", ["device_id", "space", "digits", "latency_ms", "measured_at"],
                    references.Select(r => new object?[] { id, r["space"], r["digits"], r["latency_ms"], r["measured_at"] }), "ON CONFLICT DO NOTHING");
                target.InsertMany(transaction, "batch_references", ["batch_id", "device_id", "space", "digits", "latency_ms"],
                    batchReferences.Select(r => new object?[] { r["batch_id"], id, r["space"], r["digits"], r["latency_ms"] }), "ON CONFLICT DO NOTHING");
                return (Measurements: after.Count - before.Count, AlreadyThere: deviceMeasurements.Count - (after.Count - before.Count), Visits: copiedVisits.Count);
            });
            devices++;
            measurements += written.Measurements;
            alreadyThere += written.AlreadyThere;
            visits += written.Visits;
            progress?.Report(name);
        }
        var objectives = source.Rows("SELECT o.name, o.value, o.source, a.id, a.space, a.digits, a.arch, a.disconnected, a.op_counts FROM objectives o JOIN architectures a ON a.id = o.architecture_id");
        var queued = source.Rows("SELECT device, space, digits, session, enqueued_at FROM queue");
        var (objectivesWritten, queuedWritten) = target.InTransaction(transaction =>
        {
            long objectivesBefore = target.Count("SELECT count(*) FROM objectives", transaction), queuedBefore = target.Count("SELECT count(*) FROM queue", transaction);
            var architectureIds = EnsureArchitectures(target, transaction, objectives, features);
            target.InsertMany(transaction, "objectives", ["name", "architecture_id", "value", "source"],
                objectives.Select(o => new object?[] { o["name"], architectureIds[ArchitectureKey(o)], o["value"], o["source"] }), "ON CONFLICT DO NOTHING");
            target.InsertMany(transaction, "queue", ["device", "space", "digits", "session", "enqueued_at"],
                queued.Select(q => new object?[] { q["device"], q["space"], q["digits"], q["session"], q["enqueued_at"] }), "ON CONFLICT DO NOTHING");
            return ((int)(target.Count("SELECT count(*) FROM objectives", transaction) - objectivesBefore), (int)(target.Count("SELECT count(*) FROM queue", transaction) - queuedBefore));
        });
        return new StoreCopySummary(devices, measurements, alreadyThere, visits, objectivesWritten, queuedWritten);
    }

    private static (string Space, string Digits) ArchitectureKey(IReadOnlyDictionary<string, object?> row) => ((string)row["space"]!, (string)row["digits"]!);

    /// <summary>The device's id in the target, registering it with the source's columns; the same name with another setting is refused.</summary>
    private static long EnsureDevice(StoreConnection target, DbTransaction transaction, IReadOnlyDictionary<string, object?> device, string targetLocation)
    {
        var existing = target.Rows("SELECT id, kind, fingerprint_hash, source FROM devices WHERE name = @name", transaction, ("@name", device["name"]));
        if (existing.Count == 0)
        {
            target.InsertMany(transaction, "devices", DeviceColumns, [DeviceColumns.Select(c => device[c]).ToArray()]);
            existing = target.Rows("SELECT id, kind, fingerprint_hash, source FROM devices WHERE name = @name", transaction, ("@name", device["name"]));
        }
        var row = existing[0];
        bool same = Equals(row["kind"], device["kind"]) && (device["kind"] is "table" ? Equals(row["source"], device["source"]) : Equals(row["fingerprint_hash"], device["fingerprint_hash"]));
        return same
            ? Convert.ToInt64(row["id"])
            : throw new ProfileStoreException(
                $"{targetLocation} already has a device '{device["name"]}' measured otherwise (kind {row["kind"]}, {row["fingerprint_hash"] ?? row["source"]}) than the source's " +
                $"({device["kind"]}, {device["fingerprint_hash"] ?? device["source"]}); nothing of it was copied. Rename one of them, or copy into another store.");
    }

    /// <summary>The target's ids of the given architectures (rows with space, digits, arch, disconnected, op_counts), inserting those it lacks with their features.</summary>
    private static Dictionary<(string, string), long> EnsureArchitectures(StoreConnection target, DbTransaction transaction,
        IReadOnlyList<IReadOnlyDictionary<string, object?>> architectures, ILookup<long, IReadOnlyDictionary<string, object?>> features)
    {
        var distinct = architectures.DistinctBy(ArchitectureKey).ToList();
        target.InsertMany(transaction, "architectures", ["space", "digits", "arch", "disconnected", "op_counts"],
            distinct.Select(a => new object?[] { a["space"], a["digits"], a["arch"], a["disconnected"], a["op_counts"] }), "ON CONFLICT (space, digits) DO NOTHING");
        var ids = new Dictionary<(string, string), long>();
        foreach (var chunk in distinct.GroupBy(a => a["space"]).SelectMany(space => space.Chunk(500)))
        {
            var rows = target.Rows($"SELECT id, space, digits FROM architectures WHERE space = @space AND digits IN ({string.Join(", ", chunk.Select((_, k) => $"@d{k}"))})",
                transaction, [("@space", chunk[0]["space"]), .. chunk.Select((a, k) => ($"@d{k}", a["digits"]))]);
            foreach (var row in rows)
            {
                ids[ArchitectureKey(row)] = Convert.ToInt64(row["id"]);
            }
        }
        target.InsertMany(transaction, "architecture_features", ["architecture_id", "dataset", "resolution", "params", "macs", "extra"],
            architectures.DistinctBy(a => Convert.ToInt64(a["id"]))
                .SelectMany(a => features[Convert.ToInt64(a["id"])].Select(f => new object?[] { ids[ArchitectureKey(a)], f["dataset"], f["resolution"], f["params"], f["macs"], f["extra"] })),
            "ON CONFLICT DO NOTHING");
        return ids;
    }

    /// <summary>A device's measurements in the target by (architecture id, session) → measurement id.</summary>
    private static Dictionary<(long, long), long> Keys(StoreConnection target, DbTransaction transaction, long device)
        => target.Rows("SELECT id, architecture_id, session FROM measurements WHERE device_id = @device", transaction, ("@device", device))
            .ToDictionary(r => (Convert.ToInt64(r["architecture_id"]), Convert.ToInt64(r["session"])), r => Convert.ToInt64(r["id"]));
}
