using LatencyNas.Core.Spaces;
using System.Data;
using System.Data.Common;

namespace LatencyNas.Profiling.Store;

/// <summary>A live claim: who holds it (machine:process:run), since when, and until when unless renewed.</summary>
public sealed record HeldClaim(string Owner, DateTimeOffset? Since, DateTimeOffset Expires);

/// <summary>
/// Claims on architectures being measured, so that several processes profiling the same device
/// into one store share the work instead of measuring it twice. A process claims a batch before it
/// prepares it, renews its claims while it runs, and releases them once the batch is committed. A
/// claim lapses when it is not renewed within its lease: the process died, and another takes the
/// architectures over. A claim of a process of this machine that is no longer running lapses at
/// once, so a profile killed and started again resumes without waiting for its old claims.
/// </summary>
public sealed class ClaimRecords
{
    private readonly StoreConnection _connection;

    internal ClaimRecords(StoreConnection connection) => _connection = connection;

    /// <summary>
    /// Claims for <paramref name="owner"/> those of <paramref name="digits"/> that nobody else holds a live
    /// claim on and that are not settled (measured, or failed unless <paramref name="includeFailed"/> is false).
    /// </summary>
    /// <returns>The digits claimed, in the order given.</returns>
    public IReadOnlyList<string> Claim(StoredDevice device, SearchSpace space, int session, string owner, IReadOnlyList<string> digits, TimeSpan lease, bool includeFailed)
        => digits.Count == 0 ? [] : _connection.InTransaction(transaction => Claim(transaction, device, space, session, owner, digits, lease, includeFailed));

    /// <summary>Like the public <see cref="Claim(StoredDevice, SearchSpace, int, string, IReadOnlyList{string}, TimeSpan, bool)"/>, inside a transaction the caller holds.</summary>
    internal IReadOnlyList<string> Claim(DbTransaction transaction, StoredDevice device, SearchSpace space, int session, string owner, IReadOnlyList<string> digits,
        TimeSpan lease, bool includeFailed)
        {
            double now = Seconds(DateTimeOffset.UtcNow);
            DropClaimsOfDeadProcesses(device, session, transaction);
            var claimed = new HashSet<string>(StringComparer.Ordinal);
            // A statement per chunk, not per architecture: a server's round trips were what a claim cost (bench queue).
            foreach (var chunk in digits.Distinct().Chunk(Chunk))
            {
                using var claim = Scoped(device, space, session, transaction).With("@owner", owner).With("@expires", now + lease.TotalSeconds).With("@now", now);
                var rows = chunk.Select((d, i) =>
                {
                    claim.With($"@d{i}", d);
                    return $"(@device, @space, @d{i}, @session, @owner, @expires, @now)";
                }).ToList();
                claim.CommandText = $"""
                    INSERT INTO claims (device_id, space, digits, session, owner, expires_at, claimed_at) VALUES {string.Join(", ", rows)}
                    ON CONFLICT (device_id, space, digits, session) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at,
                        claimed_at = CASE WHEN claims.owner = excluded.owner THEN claims.claimed_at ELSE excluded.claimed_at END
                    WHERE claims.owner = excluded.owner OR claims.expires_at < @now
                    RETURNING digits
                    """;
                using var reader = claim.ExecuteReader();
                while (reader.Read())
                {
                    claimed.Add(reader.GetString(0));
                }
            }
            // Looked at once the claims are held, not before: on a server each statement sees what was committed when it
            // began, and a worker that measured an architecture and released it in between would otherwise leave it to be
            // measured twice (bench queue found 2 of 1,000 so, with 16 workers).
            var settled = new List<string>();
            foreach (var chunk in claimed.Chunk(Chunk))
            {
                using var check = Scoped(device, space, session, transaction);
                check.CommandText = $"""
                    SELECT a.digits FROM measurements m JOIN architectures a ON a.id = m.architecture_id
                    WHERE m.device_id = @device AND m.session = @session AND a.space = @space AND a.digits IN ({check.WithEach("@d", chunk)})
                    {(includeFailed ? "" : "AND m.status = 'ok'")}
                    """;
                using var reader = check.ExecuteReader();
                while (reader.Read())
                {
                    settled.Add(reader.GetString(0));
                }
            }
            Delete(device, space, session, owner, settled, transaction);
            claimed.ExceptWith(settled);
            return digits.Distinct().Where(claimed.Contains).ToList();
        }

    /// <summary>Extends every claim of <paramref name="owner"/> by <paramref name="lease"/> from now.</summary>
    public int Renew(string owner, TimeSpan lease) => _connection.InTransaction(transaction =>
    {
        using var command = _connection.Command("UPDATE claims SET expires_at = @expires WHERE owner = @owner", transaction);
        command.With("@owner", owner);
        command.With("@expires", Seconds(DateTimeOffset.UtcNow) + lease.TotalSeconds);
        return command.ExecuteNonQuery();
    });

    /// <summary>Drops the claims of <paramref name="owner"/> on these architectures (all of them when null).</summary>
    public void Release(StoredDevice device, SearchSpace space, int session, string owner, IReadOnlyCollection<string>? digits = null) => _connection.InTransaction(transaction =>
    {
        if (digits is null)
        {
            using var command = Scoped(device, space, session, transaction).With("@owner", owner);
            command.CommandText = "DELETE FROM claims WHERE owner = @owner AND device_id = @device AND space = @space AND session = @session";
            command.ExecuteNonQuery();
        }
        else
        {
            Delete(device, space, session, owner, digits, transaction);
        }
        return 0;
    });

    /// <summary>Architectures a statement names at most (its parameters stay far below either backend's limit).</summary>
    private const int Chunk = 200;

    private DbCommand Scoped(StoredDevice device, SearchSpace space, int session, DbTransaction transaction)
        => _connection.Command("", transaction).With("@device", device.Id).With("@space", space.Name).With("@session", session);

    private void Delete(StoredDevice device, SearchSpace space, int session, string owner, IEnumerable<string> digits, DbTransaction transaction)
    {
        foreach (var chunk in digits.Distinct().Chunk(Chunk))
        {
            using var command = Scoped(device, space, session, transaction).With("@owner", owner);
            command.CommandText =
                $"DELETE FROM claims WHERE owner = @owner AND device_id = @device AND space = @space AND session = @session AND digits IN ({command.WithEach("@d", chunk)})";
            command.ExecuteNonQuery();
        }
    }

    /// <summary>The live claims on a device's architectures of a space and session: digits → who holds it and since when (claims of this machine's dead processes dropped first).</summary>
    public IReadOnlyDictionary<string, HeldClaim> Held(StoredDevice device, SearchSpace space, int session) => _connection.InTransaction(transaction =>
    {
        DropClaimsOfDeadProcesses(device, session, transaction);
        using var command = _connection.Command("""
            SELECT digits, owner, claimed_at, expires_at FROM claims WHERE device_id = @device AND space = @space AND session = @session AND expires_at >= @now
            """, transaction).With("@device", device.Id).With("@space", space.Name).With("@session", session).With("@now", Seconds(DateTimeOffset.UtcNow));
        using var reader = command.ExecuteReader();
        var held = new Dictionary<string, HeldClaim>(StringComparer.Ordinal);
        while (reader.Read())
        {
            held[reader.Text("digits")] = new HeldClaim(reader.Text("owner"), reader.NullableReal("claimed_at") is { } at ? Time(at) : null, Time(reader.Real("expires_at")));
        }
        return held;
    });

    /// <summary>
    /// Of <paramref name="digits"/>, those <paramref name="owner"/> no longer holds: its lease lapsed and
    /// another took them over, so what it measured must be discarded rather than written over the new owner's.
    /// </summary>
    internal HashSet<string> Lost(DbTransaction transaction, StoredDevice device, SearchSpace space, int session, string owner, IEnumerable<string> digits)
    {
        var lost = new HashSet<string>(StringComparer.Ordinal);
        foreach (var chunk in digits.Distinct().Chunk(Chunk))
        {
            using var command = Scoped(device, space, session, transaction);
            command.CommandText =
                $"SELECT digits, owner FROM claims WHERE device_id = @device AND space = @space AND session = @session AND digits IN ({command.WithEach("@d", chunk)})";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                if (reader.GetString(1) != owner)
                {
                    lost.Add(reader.GetString(0));
                }
            }
        }
        return lost;
    }

    /// <summary>The owner name of a claim: this machine, this process, and the run.</summary>
    public static string Owner() => $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";

    /// <summary>Drops the claims on a device of this machine's processes that are gone (of every session), inside a transaction the caller holds, so that their work is taken over at once.</summary>
    internal void DropDead(DbTransaction transaction, StoredDevice device) => DropClaimsOfDeadProcesses(device, null, transaction);

    private void DropClaimsOfDeadProcesses(StoredDevice device, int? session, DbTransaction transaction)
    {
        var owners = new List<string>();
        using (var select = _connection.Command("SELECT DISTINCT owner FROM claims WHERE device_id = @device AND (@session IS NULL OR session = @session)", transaction))
        {
            select.With("@device", device.Id);
            select.With("@session", session);
            using var reader = select.ExecuteReader();
            while (reader.Read())
            {
                owners.Add(reader.GetString(0));
            }
        }
        using var delete = _connection.Command("DELETE FROM claims WHERE owner = @owner", transaction);
        var parameter = delete.Declare("@owner", DbType.String);
        foreach (string owner in owners.Where(o => !MayBeRunning(o)))
        {
            parameter.Value = owner;
            delete.ExecuteNonQuery();
        }
    }

    /// <summary>False only for an owner of this machine whose process is gone; another machine's processes cannot be seen.</summary>
    private static bool MayBeRunning(string owner)
    {
        string[] parts = owner.Split(':');
        if (parts.Length < 3 || parts[0] != Environment.MachineName || !int.TryParse(parts[1], out int pid))
        {
            return true;
        }
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static double Seconds(DateTimeOffset time) => time.ToUnixTimeMilliseconds() / 1000.0;

    private static DateTimeOffset Time(double seconds) => DateTimeOffset.FromUnixTimeMilliseconds((long)(seconds * 1000));
}
