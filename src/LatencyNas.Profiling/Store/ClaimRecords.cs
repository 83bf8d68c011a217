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
        => _connection.InTransaction(transaction =>
        {
            double now = Seconds(DateTimeOffset.UtcNow);
            DropClaimsOfDeadProcesses(device, session, transaction);
            using var settled = _connection.Command($"""
                SELECT count(*) FROM measurements m JOIN architectures a ON a.id = m.architecture_id
                WHERE m.device_id = @device AND m.session = @session AND a.space = @space AND a.digits = @digits {(includeFailed ? "" : "AND m.status = 'ok'")}
                """, transaction);
            using var claim = _connection.Command("""
                INSERT INTO claims (device_id, space, digits, session, owner, expires_at, claimed_at) VALUES (@device, @space, @digits, @session, @owner, @expires, @now)
                ON CONFLICT (device_id, space, digits, session) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at,
                    claimed_at = CASE WHEN claims.owner = excluded.owner THEN claims.claimed_at ELSE excluded.claimed_at END
                WHERE claims.owner = excluded.owner OR claims.expires_at < @now
                """, transaction);
            foreach (var command in new[] { settled, claim })
            {
                command.With("@device", device.Id);
                command.With("@space", space.Name);
                command.With("@session", session);
                command.Declare("@digits", DbType.String);
            }
            claim.With("@owner", owner);
            claim.With("@expires", now + lease.TotalSeconds);
            claim.With("@now", now);
            var claimed = new List<string>();
            foreach (string d in digits)
            {
                settled.Parameters["@digits"].Value = d;
                if ((long)settled.ExecuteScalar()! > 0)
                {
                    continue;
                }
                claim.Parameters["@digits"].Value = d;
                if (claim.ExecuteNonQuery() == 1)
                {
                    claimed.Add(d);
                }
            }
            return claimed;
        });

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
        using var command = _connection.Command($"""
            DELETE FROM claims WHERE owner = @owner AND device_id = @device AND space = @space AND session = @session {(digits is null ? "" : "AND digits = @digits")}
            """, transaction);
        command.With("@owner", owner);
        command.With("@device", device.Id);
        command.With("@space", space.Name);
        command.With("@session", session);
        if (digits is null)
        {
            command.ExecuteNonQuery();
            return 0;
        }
        var parameter = command.Declare("@digits", DbType.String);
        foreach (string d in digits)
        {
            parameter.Value = d;
            command.ExecuteNonQuery();
        }
        return 0;
    });

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
        using var command = _connection.Command("SELECT owner FROM claims WHERE device_id = @device AND space = @space AND session = @session AND digits = @digits", transaction)
            .With("@device", device.Id).With("@space", space.Name).With("@session", session);
        var parameter = command.Declare("@digits", DbType.String);
        var lost = new HashSet<string>(StringComparer.Ordinal);
        foreach (string d in digits)
        {
            parameter.Value = d;
            if (command.ExecuteScalar() is string holder && holder != owner)
            {
                lost.Add(d);
            }
        }
        return lost;
    }

    /// <summary>The owner name of a claim: this machine, this process, and the run.</summary>
    public static string Owner() => $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";

    private void DropClaimsOfDeadProcesses(StoredDevice device, int session, DbTransaction transaction)
    {
        var owners = new List<string>();
        using (var select = _connection.Command("SELECT DISTINCT owner FROM claims WHERE device_id = @device AND session = @session", transaction))
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
