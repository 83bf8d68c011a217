using LatencyNas.Core.Spaces;
using Microsoft.Data.Sqlite;

namespace LatencyNas.Profiling.Store;

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
                WHERE m.device_id = $device AND m.session = $session AND a.space = $space AND a.digits = $digits {(includeFailed ? "" : "AND m.status = 'ok'")}
                """, transaction);
            using var claim = _connection.Command("""
                INSERT INTO claims (device_id, space, digits, session, owner, expires_at) VALUES ($device, $space, $digits, $session, $owner, $expires)
                ON CONFLICT (device_id, space, digits, session) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
                WHERE claims.owner = excluded.owner OR claims.expires_at < $now
                """, transaction);
            foreach (var command in new[] { settled, claim })
            {
                command.Parameters.AddWithValue("$device", device.Id);
                command.Parameters.AddWithValue("$space", space.Name);
                command.Parameters.AddWithValue("$session", session);
                command.Parameters.Add("$digits", SqliteType.Text);
            }
            claim.Parameters.AddWithValue("$owner", owner);
            claim.Parameters.AddWithValue("$expires", now + lease.TotalSeconds);
            claim.Parameters.AddWithValue("$now", now);
            var claimed = new List<string>();
            foreach (string d in digits)
            {
                settled.Parameters["$digits"].Value = d;
                if ((long)settled.ExecuteScalar()! > 0)
                {
                    continue;
                }
                claim.Parameters["$digits"].Value = d;
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
        using var command = _connection.Command("UPDATE claims SET expires_at = $expires WHERE owner = $owner", transaction);
        command.Parameters.AddWithValue("$owner", owner);
        command.Parameters.AddWithValue("$expires", Seconds(DateTimeOffset.UtcNow) + lease.TotalSeconds);
        return command.ExecuteNonQuery();
    });

    /// <summary>Drops the claims of <paramref name="owner"/> on these architectures (all of them when null).</summary>
    public void Release(StoredDevice device, SearchSpace space, int session, string owner, IReadOnlyCollection<string>? digits = null) => _connection.InTransaction(transaction =>
    {
        using var command = _connection.Command($"""
            DELETE FROM claims WHERE owner = $owner AND device_id = $device AND space = $space AND session = $session {(digits is null ? "" : "AND digits = $digits")}
            """, transaction);
        command.Parameters.AddWithValue("$owner", owner);
        command.Parameters.AddWithValue("$device", device.Id);
        command.Parameters.AddWithValue("$space", space.Name);
        command.Parameters.AddWithValue("$session", session);
        if (digits is null)
        {
            command.ExecuteNonQuery();
            return 0;
        }
        var parameter = command.Parameters.Add("$digits", SqliteType.Text);
        foreach (string d in digits)
        {
            parameter.Value = d;
            command.ExecuteNonQuery();
        }
        return 0;
    });

    /// <summary>The owner name of a claim: this machine, this process, and the run.</summary>
    public static string Owner() => $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";

    private void DropClaimsOfDeadProcesses(StoredDevice device, int session, SqliteTransaction transaction)
    {
        var owners = new List<string>();
        using (var select = _connection.Command("SELECT DISTINCT owner FROM claims WHERE device_id = $device AND session = $session", transaction))
        {
            select.Parameters.AddWithValue("$device", device.Id);
            select.Parameters.AddWithValue("$session", session);
            using var reader = select.ExecuteReader();
            while (reader.Read())
            {
                owners.Add(reader.GetString(0));
            }
        }
        using var delete = _connection.Command("DELETE FROM claims WHERE owner = $owner", transaction);
        var parameter = delete.Parameters.Add("$owner", SqliteType.Text);
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
}
