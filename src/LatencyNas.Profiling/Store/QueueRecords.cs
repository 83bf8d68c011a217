using System.Data;
using LatencyNas.Core.Spaces;

namespace LatencyNas.Profiling.Store;

/// <summary>A queued architecture not yet settled (measured, or recorded as failed) on its device.</summary>
public sealed record QueuedArchitecture(string Space, int Session, string Digits);

/// <summary>How far a device's queued work is, per space and session.</summary>
/// <param name="Done">Queued architectures measured.</param>
/// <param name="Failed">Queued architectures recorded as failed.</param>
/// <param name="Left">Queued architectures neither measured nor failed (claimed ones included).</param>
/// <param name="Recent">Queued architectures settled in the last ten minutes, and when the first of them was: the rate.</param>
public sealed record QueueCounts(string Device, string Space, int Session, int Queued, int Done, int Failed, int Left, int Recent, DateTimeOffset? RecentSince);

/// <summary>
/// Work for workers: architectures to measure on a device, named as the store names it (the device need
/// not be registered yet: the first worker that measures it registers it). A queued architecture is
/// done once the device holds a measurement or a recorded failure of it in the session; the queue is
/// never emptied by measuring, so its counts stay. Who measures what is decided by the claims
/// (<see cref="ClaimRecords"/>), the one mechanism for every profile and worker.
/// </summary>
public sealed class QueueRecords
{
    private const string Settled = """
        EXISTS (SELECT 1 FROM measurements m JOIN devices d ON d.id = m.device_id JOIN architectures a ON a.id = m.architecture_id
                WHERE d.name = q.device AND a.space = q.space AND a.digits = q.digits AND m.session = q.session)
        """;

    private readonly StoreConnection _connection;
    private readonly DeviceRecords _devices;
    private readonly ClaimRecords _claims;

    internal QueueRecords(StoreConnection connection, DeviceRecords devices, ClaimRecords claims)
    {
        _connection = connection;
        _devices = devices;
        _claims = claims;
    }

    /// <summary>Queues architectures for a device in one transaction; those already queued stay as they are.</summary>
    /// <returns>How many were added.</returns>
    public int Add(string device, SearchSpace space, int session, IReadOnlyCollection<string> digits) => _connection.InTransaction(transaction =>
    {
        using var insert = _connection.Command("""
            INSERT INTO queue (device, space, digits, session, enqueued_at) VALUES (@device, @space, @digits, @session, @at) ON CONFLICT DO NOTHING
            """, transaction).With("@device", device).With("@space", space.Name).With("@session", session).With("@at", StoreConnection.Now());
        var parameter = insert.Declare("@digits", DbType.String);
        int added = 0;
        foreach (string d in digits)
        {
            parameter.Value = d;
            added += insert.ExecuteNonQuery();
        }
        return added;
    });

    /// <summary>Removes a device's queued architectures not yet settled (of one space, or all).</summary>
    /// <returns>How many were removed.</returns>
    public int Cancel(string device, string? space = null) => _connection.InTransaction(transaction =>
    {
        using var command = _connection.Command($"""
            DELETE FROM queue AS q WHERE q.device = @device AND (@space IS NULL OR q.space = @space) AND NOT {Settled}
            """, transaction).With("@device", device).With("@space", space);
        return command.ExecuteNonQuery();
    });

    /// <summary>A device's queued architectures that are not settled yet, in the order they were queued (by space, session, digits).</summary>
    public IReadOnlyList<QueuedArchitecture> Unsettled(string device) => _connection.Guard(() =>
    {
        using var command = _connection.Command($"SELECT q.space, q.session, q.digits FROM queue q WHERE q.device = @device AND NOT {Settled}").With("@device", device);
        using var reader = command.ExecuteReader();
        var left = new List<QueuedArchitecture>();
        while (reader.Read())
        {
            left.Add(new QueuedArchitecture(reader.Text("space"), (int)reader.Integer("session"), reader.Text("digits")));
        }
        // Ordered here: SQLite and PostgreSQL collate text differently.
        return left.OrderBy(q => q.Space, StringComparer.Ordinal).ThenBy(q => q.Session).ThenBy(q => q.Digits, StringComparer.Ordinal).ToList();
    });

    /// <summary>
    /// Claims for <paramref name="owner"/> up to <paramref name="limit"/> of a device's queued architectures of one space
    /// and session that are neither settled nor held, in one transaction: what a worker takes next. On PostgreSQL the
    /// queue rows are read <c>FOR UPDATE SKIP LOCKED</c>, so workers asking at the same moment take different rows
    /// instead of all reaching for the first ones; SQLite runs one such transaction at a time. The read is bounded by
    /// the limit, not the length of the queue.
    /// </summary>
    /// <returns>
    /// What was taken (empty when nothing is free), and how many of the device's queue are left in all when nothing was. A device
    /// the store has not registered yet (nobody has measured it) has no claims: its next rows are taken unclaimed, and the profile
    /// that measures them, which registers the device, claims each batch itself.
    /// </returns>
    public (string? Space, int Session, IReadOnlyList<string> Claimed, int Left) ClaimNext(string device, int limit, string owner, TimeSpan lease)
        => _connection.InTransaction(transaction =>
        {
            var stored = _devices.Find(device, transaction);
            if (stored is not null)
            {
                _claims.DropDead(transaction, stored);
            }
            using var command = _connection.Command($"""
                SELECT q.space, q.session, q.digits FROM queue q
                WHERE q.device = @device AND NOT {Settled}
                  AND NOT EXISTS (SELECT 1 FROM claims c
                                  WHERE c.device_id = @id AND c.space = q.space AND c.digits = q.digits AND c.session = q.session AND c.expires_at >= @now)
                ORDER BY q.space, q.session, q.digits
                LIMIT @limit {_connection.Backend.SkipLocked("q")}
                """, transaction)
                .With("@device", device).With("@id", stored?.Id).With("@now", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0).With("@limit", limit);
            var free = new List<QueuedArchitecture>();
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    free.Add(new QueuedArchitecture(reader.Text("space"), (int)reader.Integer("session"), reader.Text("digits")));
                }
            }
            // One space and session per claim; one this LatencyNas does not know (a newer one queued it) is left alone.
            var first = free.FirstOrDefault(q => SearchSpaces.TryGet(q.Space) is not null);
            if (first is not null)
            {
                var batch = free.Where(q => q.Space == first.Space && q.Session == first.Session).Select(q => q.Digits).ToList();
                var claimed = stored is null ? batch : _claims.Claim(transaction, stored, SearchSpaces.Get(first.Space), first.Session, owner, batch, lease, includeFailed: true);
                if (claimed.Count > 0)
                {
                    return ((string?)first.Space, first.Session, claimed, claimed.Count);
                }
            }
            using var count = _connection.Command($"SELECT count(*) FROM queue q WHERE q.device = @device AND NOT {Settled}", transaction).With("@device", device);
            return (null, 0, (IReadOnlyList<string>)[], (int)Convert.ToInt64(count.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture));
        });

    /// <summary>Every device's queue, per space and session, by device.</summary>
    public IReadOnlyList<QueueCounts> Counts() => _connection.Guard(() =>
    {
        using var command = _connection.Command("""
            SELECT q.device, q.space, q.session, count(*) AS queued,
                   sum(CASE WHEN m.status = 'ok' THEN 1 ELSE 0 END) AS done,
                   sum(CASE WHEN m.status = 'failed' THEN 1 ELSE 0 END) AS failed,
                   sum(CASE WHEN m.measured_at >= @recent THEN 1 ELSE 0 END) AS recent,
                   min(CASE WHEN m.measured_at >= @recent THEN m.measured_at END) AS recent_since
            FROM queue q
            LEFT JOIN devices d ON d.name = q.device
            LEFT JOIN architectures a ON a.space = q.space AND a.digits = q.digits
            LEFT JOIN measurements m ON m.device_id = d.id AND m.architecture_id = a.id AND m.session = q.session
            GROUP BY q.device, q.space, q.session
            """).With("@recent", DateTimeOffset.UtcNow.AddMinutes(-10).ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        using var reader = command.ExecuteReader();
        var counts = new List<QueueCounts>();
        while (reader.Read())
        {
            int queued = (int)reader.Integer("queued"), done = (int)(reader.NullableReal("done") ?? 0), failed = (int)(reader.NullableReal("failed") ?? 0);
            counts.Add(new QueueCounts(reader.Text("device"), reader.Text("space"), (int)reader.Integer("session"), queued, done, failed, queued - done - failed,
                (int)(reader.NullableReal("recent") ?? 0), reader.NullableText("recent_since") is { } since ? DateTimeOffset.Parse(since, System.Globalization.CultureInfo.InvariantCulture) : null));
        }
        return counts.OrderBy(c => c.Device, StringComparer.Ordinal).ThenBy(c => c.Space, StringComparer.Ordinal).ThenBy(c => c.Session).ToList();
    });
}
