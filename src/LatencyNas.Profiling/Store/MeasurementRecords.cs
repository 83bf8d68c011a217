using LatencyNas.Core.Measurements;
using LatencyNas.Core.Spaces;
using LatencyNas.Profiling.Runners;
using System.Data;
using System.Data.Common;

namespace LatencyNas.Profiling.Store;

/// <summary>A stored visit of an interleaved measurement, with the measurement it belongs to.</summary>
public sealed record StoredVisit(string Digits, int Session, Visit Visit);

/// <summary>What a batch's commit did.</summary>
/// <param name="Drift">The drift it was corrected by, or null.</param>
/// <param name="StoredTheReference">Whether its reference latencies became the device's reference: nothing checked its own scale.</param>
/// <param name="Stored">The outcomes written, their measurements as stored: corrected, and the precision claims the batch cannot support withdrawn.</param>
/// <param name="Discarded">The outcomes discarded because another run had taken their claims over.</param>
public sealed record RecordedBatch(Timing.ReferenceDrift? Drift, bool StoredTheReference, IReadOnlyList<ModelOutcome> Stored, IReadOnlyList<ModelOutcome> Discarded);

/// <summary>A batch of the profile that stored a device's references, as it was measured (see <see cref="MeasurementRecords.Rebase"/>).</summary>
/// <param name="Measured">The architectures it stored a measurement of.</param>
/// <param name="Claimed">Those whose own visits met the precision (before any withdrawal by the references).</param>
/// <param name="References">The latencies it measured for the reference architectures: digits → ms.</param>
/// <param name="StoredTheReference">Whether it was the batch that first stored the references; its estimates claim no precision.</param>
public sealed record ReferenceBatch(IReadOnlyList<ModelRequest> Measured, IReadOnlySet<string> Claimed, IReadOnlyDictionary<string, double> References, bool StoredTheReference);

/// <summary>A batch as <see cref="MeasurementRecords.Rebase"/> stored it again: its drift against the lowered reference, its latencies (digits → ms) and the architectures that claim precision.</summary>
public sealed record RebasedBatch(Timing.ReferenceDrift Drift, IReadOnlyDictionary<string, double> LatenciesMs, IReadOnlyList<string> Precise);

/// <summary>
/// The store's measurements: one row per (device, architecture, session) with its statistics, the
/// protocol and estimator that made it, and (interleaved) its visits. A measurement is committed on
/// its own, or with the rest of its batch, so a profile killed at any moment loses nothing it had
/// finished and a re-run skips rather than repeats.
/// </summary>
public sealed class MeasurementRecords
{
    private readonly StoreConnection _connection;
    private readonly ArchitectureRecords _architectures;
    private readonly ClaimRecords _claims;

    internal MeasurementRecords(StoreConnection connection, ArchitectureRecords architectures, ClaimRecords claims)
    {
        _connection = connection;
        _architectures = architectures;
        _claims = claims;
    }

    /// <summary>Commits one finished measurement (and its visits). A stored failure of the same key is replaced; a stored success is kept.</summary>
    /// <returns>False when the key already held a successful measurement (nothing written).</returns>
    public bool Record(StoredDevice device, SearchSpace space, ModelRequest request, int session, Measurement measurement)
        => _connection.InTransaction(transaction => Write(transaction, device, space, request, session, measurement), _architectures.ForgetCached);

    /// <summary>Records why an architecture could not be measured. Never overwrites a success.</summary>
    public void RecordFailure(StoredDevice device, SearchSpace space, ModelRequest request, int session, string reason, string? agent = null)
        => _connection.InTransaction(transaction => WriteFailure(transaction, device, space, request, session, reason, agent), _architectures.ForgetCached);

    /// <summary>Commits a batch's outcomes together: all of them land, or (killed, failed) none, and the batch is measured again whole.</summary>
    /// <param name="references">
    /// Latencies the batch measured for the device's reference architectures (digits → ms), or null. In the same
    /// transaction: those without a stored reference latency become the device's reference, and the batch's
    /// estimates are corrected by the <see cref="Timing.ReferenceDrift"/> against the stored ones (<see cref="Timing.ReferenceDrift.AsStored"/>).
    /// A batch that has none to compare with stores its references as the device's, and its estimates claim no
    /// precision: the check that lets a later batch claim it — its references agreeing with the stored ones — has
    /// nothing to compare, and in recorded retests such first batches broke the promise most (docs/measurement.md).
    /// </param>
    /// <param name="precision">The precision the batch's measurements claim; references that disagree by more than half of it withdraw the claim.</param>
    /// <param name="owner">
    /// The claim owner that measured the batch, or null. Its claims are the fence: an outcome whose claim another
    /// owner now holds (this one's lease lapsed, in a long pause or an outage, and it was taken over) is discarded,
    /// not written over the new owner's.
    /// </param>
    public RecordedBatch RecordBatch(StoredDevice device, SearchSpace space, int session, IReadOnlyList<ModelOutcome> outcomes,
        IReadOnlyDictionary<string, double>? references = null, double? precision = null, string? owner = null)
        => _connection.InTransaction(transaction =>
        {
            var lost = owner is null ? [] : _claims.Lost(transaction, device, space, session, owner, outcomes.Select(o => o.Request.Architecture.Digits));
            var discarded = outcomes.Where(o => lost.Contains(o.Request.Architecture.Digits)).ToList();
            outcomes = outcomes.Where(o => !lost.Contains(o.Request.Architecture.Digits)).ToList();
            foreach (var task in outcomes.GroupBy(o => o.Request.Dataset))
            {
                _architectures.EnsureMany(space, task.Select(o => o.Request.Architecture).ToList(), task.Key, transaction); // the ids in a few statements
            }
            Timing.ReferenceDrift? drift = null;
            bool storedTheReference = false;
            string batchId = Guid.NewGuid().ToString("N");
            if (references is { Count: > 0 })
            {
                WriteBatchReferences(transaction, batchId, device, space, references);
                var stored = ReadReferences(transaction, device, space);
                drift = Timing.ReferenceDrift.Of(stored, references);
                storedTheReference = drift is null;
                using var insert = _connection.Command("""
                    INSERT INTO reference_latencies (device_id, space, digits, latency_ms, measured_at) VALUES (@device, @space, @digits, @latency, @at)
                    ON CONFLICT DO NOTHING
                    """, transaction);
                insert.With("@device", device.Id);
                insert.With("@space", space.Name);
                insert.With("@at", StoreConnection.Now());
                insert.Declare("@digits", DbType.String);
                insert.Declare("@latency", DbType.Double);
                foreach (var (digits, latency) in references.Where(r => !stored.ContainsKey(r.Key)))
                {
                    // A reference measured for the first time is measured against itself: the batch's scale from now on.
                    insert.Parameters["@digits"].Value = digits;
                    insert.Parameters["@latency"].Value = drift is { } d ? latency / d.Factor : latency;
                    insert.ExecuteNonQuery();
                }
            }
            var written = outcomes.Select(o => o.Measurement is { } measurement
                ? o with { Measurement = Timing.ReferenceDrift.AsStored(measurement, drift, storedTheReference, precision) }
                : o).ToList();
            foreach (var outcome in written)
            {
                if (outcome.Measurement is { } measurement)
                {
                    Write(transaction, device, space, outcome.Request, session, measurement, batchId);
                }
                else
                {
                    WriteFailure(transaction, device, space, outcome.Request, session, outcome.Failure ?? "not measured", outcome.Agent, batchId);
                }
            }
            return new RecordedBatch(drift, storedTheReference, written, discarded);
        }, _architectures.ForgetCached);

    /// <summary>
    /// Lowers the device's reference latencies to the fastest that <paramref name="batches"/> measured for each, and
    /// corrects those batches' stored measurements against the lowered reference, in one transaction. For the
    /// profile that stored the reference, while its first batches run: one batch's references can sit in a slow
    /// spell from start to end (recorded: a reference 20–46% slower than in every later batch), and a reference
    /// stored from it would misplace every batch of the device. Contention only adds time, so the fastest is the
    /// device's own; the batches re-corrected together stay on one scale.
    /// </summary>
    /// <param name="batches">The batches the reference is taken over, as measured: their own claims, and the latencies they measured for the references.</param>
    /// <param name="precision">The precision their measurements claim (<see cref="Timing.ReferenceDrift.ClaimStands"/>).</param>
    /// <returns>Each batch as stored now, in order; null when no reference was lowered (nothing written).</returns>
    public IReadOnlyList<RebasedBatch>? Rebase(StoredDevice device, SearchSpace space, int session, IReadOnlyList<ReferenceBatch> batches, double? precision)
        => _connection.InTransaction(transaction =>
        {
            var stored = ReadReferences(transaction, device, space);
            var fastest = new Dictionary<string, double>(stored, StringComparer.Ordinal);
            foreach (var (digits, latency) in batches.SelectMany(b => b.References))
            {
                if (latency > 0 && fastest.TryGetValue(digits, out double known) && latency < known)
                {
                    fastest[digits] = latency;
                }
            }
            if (fastest.All(f => f.Value == stored[f.Key]))
            {
                return null;
            }
            using (var update = _connection.Command(
                       "UPDATE reference_latencies SET latency_ms = @latency, measured_at = @at WHERE device_id = @device AND space = @space AND digits = @digits", transaction))
            {
                update.With("@device", device.Id);
                update.With("@space", space.Name);
                update.With("@at", StoreConnection.Now());
                update.Declare("@digits", DbType.String);
                update.Declare("@latency", DbType.Double);
                foreach (var (digits, latency) in fastest.Where(f => f.Value != stored[f.Key]))
                {
                    update.Parameters["@digits"].Value = digits;
                    update.Parameters["@latency"].Value = latency;
                    update.ExecuteNonQuery();
                }
            }
            using var correct = _connection.Command("""
                UPDATE measurements SET latency_ms = raw_latency_ms / @drift, drift = @drift, reference_spread = @spread, precision_met = @met
                WHERE device_id = @device AND architecture_id = @arch AND session = @session AND status = 'ok'
                RETURNING latency_ms
                """, transaction);
            correct.With("@device", device.Id);
            correct.With("@session", session);
            correct.Declare("@drift", DbType.Double);
            correct.Declare("@spread", DbType.Double);
            correct.Declare("@met", DbType.Int64); // precision_met is an integer flag, as Write stores it
            correct.Declare("@arch", DbType.Int64);
            var rebased = new List<RebasedBatch>(batches.Count);
            foreach (var batch in batches)
            {
                var drift = Timing.ReferenceDrift.Of(fastest, batch.References)
                            ?? throw new ArgumentException("A batch of the reference measured none of the device's references.", nameof(batches));
                var latencies = new Dictionary<string, double>(StringComparer.Ordinal);
                var precise = new List<string>();
                foreach (var request in batch.Measured)
                {
                    bool met = batch.Claimed.Contains(request.Architecture.Digits) && Timing.ReferenceDrift.ClaimStands(drift, batch.StoredTheReference, precision);
                    correct.Parameters["@drift"].Value = drift.Factor;
                    correct.Parameters["@spread"].Value = drift.Spread;
                    correct.Parameters["@met"].Value = met ? 1L : 0L;
                    correct.Parameters["@arch"].Value = _architectures.Ensure(space, request.Architecture, request.Dataset, transaction);
                    if (correct.ExecuteScalar() is double latency)
                    {
                        latencies[request.Architecture.Digits] = latency;
                        if (met)
                        {
                            precise.Add(request.Architecture.Digits);
                        }
                    }
                }
                rebased.Add(new RebasedBatch(drift, latencies, precise));
            }
            return rebased;
        }, _architectures.ForgetCached);

    /// <summary>A device's stored reference latencies of a space: digits → ms.</summary>
    public IReadOnlyDictionary<string, double> References(StoredDevice device, SearchSpace space)
        => _connection.Guard(() => ReadReferences(null, device, space));

    private Dictionary<string, double> ReadReferences(DbTransaction? transaction, StoredDevice device, SearchSpace space)
    {
        using var command = _connection.Command("SELECT digits, latency_ms FROM reference_latencies WHERE device_id = @device AND space = @space", transaction);
        command.With("@device", device.Id);
        command.With("@space", space.Name);
        return LatenciesByDigits(command, "latency_ms");
    }

    /// <param name="batchId">The batch the measurement was recorded with (<see cref="RecordBatch"/>), or null.</param>
    /// <summary>What a batch measured for the device's reference architectures, kept beside its measurements (batch_id): with the device's reference latencies they give its drift factor and spread again.</summary>
    private void WriteBatchReferences(DbTransaction transaction, string batchId, StoredDevice device, SearchSpace space, IReadOnlyDictionary<string, double> references)
    {
        using var insert = _connection.Command("""
            INSERT INTO batch_references (batch_id, device_id, space, digits, latency_ms) VALUES (@batch, @device, @space, @digits, @latency)
            """, transaction);
        insert.With("@batch", batchId);
        insert.With("@device", device.Id);
        insert.With("@space", space.Name);
        insert.Declare("@digits", DbType.String);
        insert.Declare("@latency", DbType.Double);
        foreach (var (digits, latency) in references)
        {
            insert.Parameters["@digits"].Value = digits;
            insert.Parameters["@latency"].Value = latency;
            insert.ExecuteNonQuery();
        }
    }

    private bool Write(DbTransaction transaction, StoredDevice device, SearchSpace space, ModelRequest request, int session, Measurement measurement, string? batchId = null)
    {
        long architectureId = _architectures.Ensure(space, request.Architecture, request.Dataset, transaction);
        var s = measurement.Statistics;
        using var command = _connection.Command("""
            INSERT INTO measurements (device_id, architecture_id, session, status, latency_ms, protocol, estimator, median_ms, mean_ms, min_ms, p10_ms, p90_ms,
                                      iqr_ms, cv, runs, precision_met, ci_half_width, warmup_runs, warmup_settled, visits, contended_visits, other_busy,
                                      session_ms, agent, measured_at, raw_latency_ms, drift, reference_spread, batch_id)
            VALUES (@device, @arch, @session, 'ok', @latency, @protocol, @estimator, @median, @mean, @min, @p10, @p90,
                    @iqr, @cv, @runs, @met, @ci, @warmup, @settled, @visits, @contended, @busy, @sessionMs, @agent, @at, @raw, @drift, @spread, @batch)
            ON CONFLICT (device_id, architecture_id, session) DO UPDATE SET
                status = 'ok', latency_ms = excluded.latency_ms, protocol = excluded.protocol, estimator = excluded.estimator,
                median_ms = excluded.median_ms, mean_ms = excluded.mean_ms, min_ms = excluded.min_ms, p10_ms = excluded.p10_ms,
                p90_ms = excluded.p90_ms, iqr_ms = excluded.iqr_ms, cv = excluded.cv, runs = excluded.runs, precision_met = excluded.precision_met,
                ci_half_width = excluded.ci_half_width, warmup_runs = excluded.warmup_runs, warmup_settled = excluded.warmup_settled,
                visits = excluded.visits, contended_visits = excluded.contended_visits, other_busy = excluded.other_busy, session_ms = excluded.session_ms,
                failure = NULL, given_up_at = NULL, agent = excluded.agent, measured_at = excluded.measured_at,
                raw_latency_ms = excluded.raw_latency_ms, drift = excluded.drift, reference_spread = excluded.reference_spread,
                batch_id = excluded.batch_id
            WHERE measurements.status = 'failed'
            RETURNING id
            """, transaction);
        command.With("@device", device.Id);
        command.With("@arch", architectureId);
        command.With("@session", session);
        command.With("@latency", s.LatencyMs);
        command.With("@protocol", measurement.Protocol);
        command.With("@estimator", s.Estimator);
        command.With("@median", s.MedianMs);
        command.With("@mean", s.MeanMs);
        command.With("@min", s.MinMs);
        command.With("@p10", s.P10Ms);
        command.With("@p90", s.P90Ms);
        command.With("@iqr", s.IqrMs);
        command.With("@cv", s.CoefficientOfVariation);
        command.With("@runs", s.Runs);
        command.With("@met", s.PrecisionMet);
        command.With("@ci", double.IsFinite(s.CiHalfWidthRelative) ? s.CiHalfWidthRelative : null);
        command.With("@warmup", s.WarmupRuns);
        command.With("@settled", s.WarmupSettled);
        command.With("@visits", s.Visits);
        command.With("@contended", s.ContendedVisits);
        command.With("@busy", s.OtherBusy);
        command.With("@sessionMs", measurement.SessionCreationMs);
        command.With("@agent", measurement.Agent);
        command.With("@at", StoreConnection.Now());
        command.With("@raw", measurement.Drift is { } drift ? s.LatencyMs * drift : s.LatencyMs);
        command.With("@drift", measurement.Drift);
        command.With("@spread", measurement.ReferenceSpread);
        command.With("@batch", batchId);
        if (command.ExecuteScalar() is not long id)
        {
            return false;
        }
        if (measurement.Visits is { Count: > 0 } visits)
        {
            using var insert = _connection.Command("""
                INSERT INTO visits (measurement_id, visit, round, latency_ms, runs, other_busy, steal, waiting, instance)
                VALUES (@id, @visit, @round, @latency, @runs, @busy, @steal, @waiting, @instance)
                ON CONFLICT (measurement_id, visit) DO UPDATE SET round = excluded.round, latency_ms = excluded.latency_ms, runs = excluded.runs,
                    other_busy = excluded.other_busy, steal = excluded.steal, waiting = excluded.waiting, instance = excluded.instance
                """, transaction);
            insert.With("@id", id);
            foreach (var (parameter, type) in new[] { ("@visit", DbType.Int64), ("@round", DbType.Int64), ("@latency", DbType.Double),
                         ("@runs", DbType.Int64), ("@busy", DbType.Double), ("@steal", DbType.Double), ("@waiting", DbType.Double), ("@instance", DbType.Int64) })
            {
                insert.Declare(parameter, type);
            }
            for (int v = 0; v < visits.Count; v++)
            {
                insert.Parameters["@visit"].Value = v + 1;
                insert.Parameters["@round"].Value = visits[v].Round;
                insert.Parameters["@latency"].Value = visits[v].LatencyMs;
                insert.Parameters["@runs"].Value = visits[v].Runs;
                insert.Parameters["@busy"].Value = (object?)visits[v].OtherBusy ?? DBNull.Value;
                insert.Parameters["@steal"].Value = (object?)visits[v].Steal ?? DBNull.Value;
                insert.Parameters["@waiting"].Value = (object?)visits[v].Waiting ?? DBNull.Value;
                insert.Parameters["@instance"].Value = visits[v].Instance;
                insert.ExecuteNonQuery();
            }
        }
        return true;
    }

    private int WriteFailure(DbTransaction transaction, StoredDevice device, SearchSpace space, ModelRequest request, int session, string reason, string? agent,
        string? batchId = null)
    {
        long architectureId = _architectures.Ensure(space, request.Architecture, request.Dataset, transaction);
        using var command = _connection.Command("""
            INSERT INTO measurements (device_id, architecture_id, session, status, failure, agent, measured_at, batch_id)
            VALUES (@device, @arch, @session, 'failed', @failure, @agent, @at, @batch)
            ON CONFLICT (device_id, architecture_id, session) DO UPDATE SET failure = excluded.failure, measured_at = excluded.measured_at, given_up_at = NULL,
                batch_id = excluded.batch_id
            WHERE measurements.status = 'failed'
            """, transaction);
        command.With("@device", device.Id);
        command.With("@arch", architectureId);
        command.With("@session", session);
        command.With("@failure", reason);
        command.With("@agent", agent);
        command.With("@at", StoreConnection.Now());
        command.With("@batch", batchId);
        return command.ExecuteNonQuery();
    }

    /// <summary>Digits of the architectures of <paramref name="space"/> already settled for a device and session.</summary>
    /// <param name="includeFailed">Count recorded failures as settled (they are not retried unless asked).</param>
    public HashSet<string> Settled(StoredDevice device, SearchSpace space, int session, bool includeFailed) => _connection.Guard(() =>
    {
        using var command = _connection.Command($"""
            SELECT a.digits FROM measurements m JOIN architectures a ON a.id = m.architecture_id
            WHERE m.device_id = @device AND m.session = @session AND a.space = @space {(includeFailed ? "" : "AND m.status = 'ok'")}
            """);
        command.With("@device", device.Id);
        command.With("@session", session);
        command.With("@space", space.Name);
        var digits = new HashSet<string>(StringComparer.Ordinal);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            digits.Add(reader.Text("digits"));
        }
        return digits;
    });

    /// <summary>Recorded failures of a device and session no one has given up on: digits → the last reason.</summary>
    public IReadOnlyDictionary<string, string> OutstandingFailures(StoredDevice device, SearchSpace space, int session) => _connection.Guard(() =>
    {
        using var command = _connection.Command("""
            SELECT a.digits, m.failure FROM measurements m JOIN architectures a ON a.id = m.architecture_id
            WHERE m.device_id = @device AND m.session = @session AND a.space = @space AND m.status = 'failed' AND m.given_up_at IS NULL
            """);
        command.With("@device", device.Id);
        command.With("@session", session);
        command.With("@space", space.Name);
        var failures = new Dictionary<string, string>(StringComparer.Ordinal);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            failures[reader.Text("digits")] = reader.NullableText("failure") ?? "failed";
        }
        return failures;
    });

    /// <summary>Marks the recorded failures of these architectures as given up: they stay failed, and a profile stops reporting them.</summary>
    /// <returns>How many were marked.</returns>
    public int GiveUp(StoredDevice device, SearchSpace space, int session, IReadOnlyCollection<string> digits)
        => _connection.InTransaction(transaction =>
        {
            using var command = _connection.Command("""
                UPDATE measurements SET given_up_at = @at
                WHERE device_id = @device AND session = @session AND status = 'failed' AND given_up_at IS NULL
                  AND architecture_id = (SELECT id FROM architectures WHERE space = @space AND digits = @digits)
                """, transaction);
            command.With("@device", device.Id);
            command.With("@session", session);
            command.With("@space", space.Name);
            command.With("@at", StoreConnection.Now());
            var digitsParameter = command.Declare("@digits", DbType.String);
            int marked = 0;
            foreach (string d in digits)
            {
                digitsParameter.Value = d;
                marked += command.ExecuteNonQuery();
            }
            return marked;
        });

    /// <summary>
    /// What a batch measured for the device's reference architectures (digits → ms, as measured), empty for a batch
    /// recorded without references or before schema 11. With <see cref="References"/> it gives the batch's
    /// <see cref="Timing.ReferenceDrift"/> again: the factor and spread its measurements were stored with.
    /// </summary>
    public IReadOnlyDictionary<string, double> BatchReferences(string batchId) => _connection.Guard(() =>
    {
        using var command = _connection.Command("SELECT digits, latency_ms FROM batch_references WHERE batch_id = @batch");
        command.With("@batch", batchId);
        return LatenciesByDigits(command, "latency_ms");
    });

    /// <summary>Every stored measurement of a device (optionally of one space, or of one architecture of it), in architecture order.</summary>
    public IReadOnlyList<StoredMeasurement> Read(StoredDevice device, string? space = null, string? digits = null) => _connection.Guard(() =>
    {
        using var command = _connection.Command("""
            SELECT a.space, a.digits, a.arch, m.session, m.status, m.latency_ms, m.protocol, m.estimator, m.median_ms, m.mean_ms, m.min_ms, m.p10_ms,
                   m.p90_ms, m.iqr_ms, m.cv, m.runs, m.precision_met, m.session_ms, m.failure, m.agent, m.measured_at, m.ci_half_width,
                   m.warmup_runs, m.warmup_settled, m.visits, m.contended_visits, m.other_busy, m.raw_latency_ms, m.drift, m.reference_spread, m.batch_id
            FROM measurements m JOIN architectures a ON a.id = m.architecture_id
            WHERE m.device_id = @device AND (@space IS NULL OR a.space = @space) AND (@digits IS NULL OR a.digits = @digits)
            """);
        command.With("@device", device.Id);
        command.With("@space", space);
        command.With("@digits", digits);
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
                WarmupSettled: reader.NullableBool("warmup_settled"))
            {
                LatencyMs = reader.NullableReal("latency_ms"),
                Protocol = reader.NullableText("protocol"),
                Estimator = reader.NullableText("estimator"),
                Visits = reader.NullableInt("visits"),
                ContendedVisits = reader.NullableInt("contended_visits"),
                OtherBusy = reader.NullableReal("other_busy"),
                RawLatencyMs = reader.NullableReal("raw_latency_ms"),
                Drift = reader.NullableReal("drift"),
                ReferenceSpread = reader.NullableReal("reference_spread"),
                BatchId = reader.NullableText("batch_id"),
            });
        }
        // Ordered here, not by the database: SQLite and PostgreSQL collate text differently.
        return measurements.OrderBy(m => m.Space, StringComparer.Ordinal).ThenBy(m => m.Digits, StringComparer.Ordinal).ThenBy(m => m.Session).ToList();
    });

    /// <summary>Every visit stored for a device, by architecture and session, in visit order: the data an estimate is recomputed and audited from.</summary>
    public IReadOnlyList<StoredVisit> ReadVisits(StoredDevice device, string? space = null) => _connection.Guard(() =>
    {
        using var command = _connection.Command("""
            SELECT a.digits, m.session, v.round, v.latency_ms, v.runs, v.other_busy, v.steal, v.waiting, v.instance
            FROM visits v JOIN measurements m ON m.id = v.measurement_id JOIN architectures a ON a.id = m.architecture_id
            WHERE m.device_id = @device AND (@space IS NULL OR a.space = @space)
            ORDER BY v.visit
            """);
        command.With("@device", device.Id);
        command.With("@space", space);
        var visits = new List<StoredVisit>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            visits.Add(new StoredVisit(reader.Text("digits"), (int)reader.Integer("session"), new Visit(
                (int)reader.Integer("round"), reader.Real("latency_ms"), (int)reader.Integer("runs"), reader.NullableReal("other_busy"), reader.NullableReal("steal"),
                reader.NullableReal("waiting"), reader.NullableInt("instance") ?? 0)));
        }
        return visits.OrderBy(v => v.Digits, StringComparer.Ordinal).ThenBy(v => v.Session).ToList();
    });

    /// <summary>How many successful measurements of a space a device holds per protocol.</summary>
    public IReadOnlyDictionary<string, int> Protocols(StoredDevice device, SearchSpace space)
        => CountBy("coalesce(m.protocol, 'burst')", device, space, protocol: null);

    /// <summary>How many successful measurements of a space on a device each estimator made, among those of one protocol.</summary>
    public IReadOnlyDictionary<string, int> Estimators(StoredDevice device, SearchSpace space, string protocol)
        => CountBy("m.estimator", device, space, protocol);

    private IReadOnlyDictionary<string, int> CountBy(string key, StoredDevice device, SearchSpace space, string? protocol) => _connection.Guard(() =>
    {
        using var command = _connection.Command($"""
            SELECT {key} AS counted, count(*) AS held FROM measurements m JOIN architectures a ON a.id = m.architecture_id
            WHERE m.device_id = @device AND a.space = @space AND m.status = 'ok' AND {key} IS NOT NULL{(protocol is null ? "" : " AND m.protocol = @protocol")}
            GROUP BY 1
            """);
        command.With("@device", device.Id);
        command.With("@space", space.Name);
        if (protocol is not null)
        {
            command.With("@protocol", protocol);
        }
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            counts[reader.Text("counted")] = (int)reader.Integer("held");
        }
        return counts;
    });

    /// <summary>
    /// The latency (ms) of each successfully measured architecture of a space on a device, by digits:
    /// the estimate of one session, or the mean of the sessions' estimates when it was profiled more than once.
    /// </summary>
    /// <param name="protocol">Only measurements made by this protocol (null: all).</param>
    public IReadOnlyDictionary<string, double> Latencies(StoredDevice device, SearchSpace space, string? protocol = null) => _connection.Guard(() =>
    {
        using var command = _connection.Command("""
            SELECT a.digits, avg(m.latency_ms) AS latency FROM measurements m JOIN architectures a ON a.id = m.architecture_id
            WHERE m.device_id = @device AND a.space = @space AND m.status = 'ok' AND (@protocol IS NULL OR coalesce(m.protocol, 'burst') = @protocol)
            GROUP BY a.digits
            """);
        command.With("@device", device.Id);
        command.With("@space", space.Name);
        command.With("@protocol", protocol);
        return LatenciesByDigits(command, "latency");
    });

    /// <summary>Reads a query's rows as digits → the latency in <paramref name="latencyColumn"/>.</summary>
    private static Dictionary<string, double> LatenciesByDigits(DbCommand command, string latencyColumn)
    {
        var latencies = new Dictionary<string, double>(StringComparer.Ordinal);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            latencies[reader.Text("digits")] = reader.Real(latencyColumn);
        }
        return latencies;
    }
}
