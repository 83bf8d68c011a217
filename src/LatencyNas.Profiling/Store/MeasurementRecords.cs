using LatencyNas.Core.Measurements;
using LatencyNas.Core.Spaces;

namespace LatencyNas.Profiling.Store;

/// <summary>
/// The store's measurements: one row per (device, architecture, session), each committed on its own,
/// so a profile killed at any moment loses nothing it had finished and a re-run skips rather than repeats.
/// </summary>
public sealed class MeasurementRecords
{
    private readonly StoreConnection _connection;
    private readonly ArchitectureRecords _architectures;

    internal MeasurementRecords(StoreConnection connection, ArchitectureRecords architectures)
    {
        _connection = connection;
        _architectures = architectures;
    }

    /// <summary>Commits one finished measurement. A stored failure of the same key is replaced; a stored success is kept.</summary>
    /// <returns>False when the key already held a successful measurement (nothing written).</returns>
    public bool Record(StoredDevice device, SearchSpace space, ModelRequest request, int session, Measurement measurement) => _connection.Write(() =>
    {
        long architectureId = _architectures.Ensure(space, request.Architecture, request.Dataset, transaction: null);
        var s = measurement.Statistics;
        using var command = _connection.Command("""
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
        command.Parameters.AddWithValue("$ci", double.IsFinite(s.MedianCiHalfWidthRelative) ? s.MedianCiHalfWidthRelative : DBNull.Value);
        command.Parameters.AddWithValue("$warmup", s.WarmupRuns);
        command.Parameters.AddWithValue("$settled", s.WarmupSettled);
        command.Parameters.AddWithValue("$sessionMs", measurement.SessionCreationMs);
        command.Parameters.AddWithValue("$agent", (object?)measurement.Agent ?? DBNull.Value);
        command.Parameters.AddWithValue("$at", StoreConnection.Now());
        return command.ExecuteNonQuery() > 0;
    });

    /// <summary>Records why an architecture could not be measured. Never overwrites a success.</summary>
    public void RecordFailure(StoredDevice device, SearchSpace space, ModelRequest request, int session, string reason, string? agent = null) => _connection.Write(() =>
    {
        long architectureId = _architectures.Ensure(space, request.Architecture, request.Dataset, transaction: null);
        using var command = _connection.Command("""
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
        command.Parameters.AddWithValue("$at", StoreConnection.Now());
        return command.ExecuteNonQuery();
    });

    /// <summary>Digits of the architectures of <paramref name="space"/> already settled for a device and session.</summary>
    /// <param name="includeFailed">Count recorded failures as settled (they are not retried unless asked).</param>
    public HashSet<string> Settled(StoredDevice device, SearchSpace space, int session, bool includeFailed) => _connection.Guard(() =>
    {
        using var command = _connection.Command($"""
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
            digits.Add(reader.Text("digits"));
        }
        return digits;
    });

    /// <summary>Every stored measurement of a device (optionally of one space), in architecture order.</summary>
    public IReadOnlyList<StoredMeasurement> Read(StoredDevice device, string? space = null) => _connection.Guard(() =>
    {
        using var command = _connection.Command("""
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
                Space: reader.Text("space"),
                Digits: reader.Text("digits"),
                Arch: reader.Text("arch"),
                Session: (int)reader.Integer("session"),
                Ok: reader.Text("status") == "ok",
                MedianMs: reader.NullableReal("median_ms"),
                MeanMs: reader.NullableReal("mean_ms"),
                MinMs: reader.NullableReal("min_ms"),
                P10Ms: reader.NullableReal("p10_ms"),
                P90Ms: reader.NullableReal("p90_ms"),
                IqrMs: reader.NullableReal("iqr_ms"),
                Cv: reader.NullableReal("cv"),
                Runs: reader.NullableInt("runs"),
                PrecisionMet: reader.NullableBool("precision_met"),
                SessionMs: reader.NullableReal("session_ms"),
                Failure: reader.NullableText("failure"),
                Agent: reader.NullableText("agent"),
                MeasuredAt: reader.Timestamp("measured_at"),
                CiHalfWidthRelative: reader.NullableReal("ci_half_width"),
                WarmupRuns: reader.NullableInt("warmup_runs"),
                WarmupSettled: reader.NullableBool("warmup_settled")));
        }
        return measurements;
    });

    /// <summary>
    /// The latency (ms) of each successfully measured architecture of a space on a device, by digits:
    /// the median of one session, or the mean of the session medians when it was profiled more than once.
    /// </summary>
    public IReadOnlyDictionary<string, double> Latencies(StoredDevice device, SearchSpace space) => _connection.Guard(() =>
    {
        using var command = _connection.Command("""
            SELECT a.digits, avg(m.median_ms) AS latency FROM measurements m JOIN architectures a ON a.id = m.architecture_id
            WHERE m.device_id = $device AND a.space = $space AND m.status = 'ok'
            GROUP BY a.digits
            """);
        command.Parameters.AddWithValue("$device", device.Id);
        command.Parameters.AddWithValue("$space", space.Name);
        var latencies = new Dictionary<string, double>(StringComparer.Ordinal);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            latencies[reader.Text("digits")] = reader.Real("latency");
        }
        return latencies;
    });
}
