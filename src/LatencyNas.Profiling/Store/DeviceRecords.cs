using LatencyNas.Core.Spaces;
using LatencyNas.Profiling.Devices;
using System.Data;
using System.Data.Common;

namespace LatencyNas.Profiling.Store;

/// <summary>The store's devices: measured here or through agents (with fingerprints), or imported from tables.</summary>
public sealed class DeviceRecords
{
    private const string Columns = "d.id, d.name, d.kind, d.fingerprint, d.source, d.dataset, d.resolution, d.batch, d.created_at";
    private readonly StoreConnection _connection;

    internal DeviceRecords(StoreConnection connection) => _connection = connection;

    /// <summary>
    /// Registers a live or remote device, or checks that the stored one was measured with the same
    /// fingerprint. Mixing two machines or two settings under one name would make its numbers meaningless.
    /// </summary>
    /// <exception cref="ProfileStoreException">The name is taken by a device with another fingerprint or kind.</exception>
    public StoredDevice EnsureMeasured(DeviceDescriptor device, DeviceFingerprint fingerprint, DeviceKind kind) => _connection.Guard(() =>
    {
        // Insert-or-keep in one statement, then check what is there: two processes starting a profile on a new
        // store at once used to both find no device, and the second insert died on the name's uniqueness.
        Insert(device, fingerprint, kind);
        var existing = Find(device.Name)!;
        if (existing.Kind != kind)
        {
            throw new ProfileStoreException($"The store already has a {Text(existing.Kind)} device named '{device.Name}'; give this one another name (--device-name).");
        }
        if (existing.Fingerprint is { } stored && stored.Hash != fingerprint.Hash)
        {
            throw new ProfileStoreException(
                $"Device '{device.Name}' in {_connection.Location} was measured with a different fingerprint ({Difference(stored, fingerprint)}); " +
                "use another store, or another device name (--device-name).");
        }
        return existing;
    });

    private void Insert(DeviceDescriptor device, DeviceFingerprint fingerprint, DeviceKind kind)
    {
        using var command = _connection.Command("""
            INSERT INTO devices (name, kind, fingerprint, fingerprint_hash, cpu_model, cores, os, runtime, runtime_version, provider,
                                 threads, optimization, batch, resolution, dataset, source, created_at)
            VALUES (@name, @kind, @fingerprint, @hash, @cpu, @cores, @os, @runtime, @version, @provider,
                    @threads, @optimization, @batch, @resolution, @dataset, @source, @created)
            ON CONFLICT (name) DO NOTHING
            """);
        command.With("@name", device.Name);
        command.With("@kind", Text(kind));
        command.With("@fingerprint", fingerprint.ToJson());
        command.With("@hash", fingerprint.Hash);
        command.With("@cpu", fingerprint.CpuModel);
        command.With("@cores", fingerprint.Cores);
        command.With("@os", fingerprint.OperatingSystem);
        command.With("@runtime", fingerprint.Runtime);
        command.With("@version", fingerprint.RuntimeVersion);
        command.With("@provider", fingerprint.Provider);
        command.With("@threads", fingerprint.Threads);
        command.With("@optimization", fingerprint.Optimization);
        command.With("@batch", fingerprint.BatchSize);
        command.With("@resolution", fingerprint.Resolution);
        command.With("@dataset", fingerprint.Dataset);
        command.With("@source", device.Source);
        command.With("@created", StoreConnection.Now());
        command.ExecuteNonQuery();
    }

    /// <summary>
    /// Registers (or finds) a device imported from a table, inside an import's transaction. A table device imported
    /// before from another source takes the new one: its values are being replaced, and the predictors trained on the
    /// old ones no longer match its setting.
    /// </summary>
    /// <returns>The device, and the source it had when that differed.</returns>
    internal (StoredDevice Device, string? ReplacedSource) EnsureTable(string name, string source, Dataset dataset, DbTransaction transaction)
    {
        if (Find(name, transaction) is { } existing)
        {
            if (existing.Kind != DeviceKind.Table)
            {
                throw new ProfileStoreException($"The store already has a {Text(existing.Kind)} device named '{name}'; import under another --prefix.");
            }
            if (existing.Source == source)
            {
                return (existing, null);
            }
            using var update = _connection.Command("UPDATE devices SET source = @source WHERE id = @id", transaction);
            update.With("@source", source);
            update.With("@id", existing.Id);
            update.ExecuteNonQuery();
            return (Find(name, transaction)!, existing.Source);
        }
        using var command = _connection.Command(
            "INSERT INTO devices (name, kind, source, dataset, resolution, created_at) VALUES (@name, 'table', @source, @dataset, @resolution, @created)", transaction);
        command.With("@name", name);
        command.With("@source", source);
        command.With("@dataset", dataset.Name);
        command.With("@resolution", dataset.Height);
        command.With("@created", StoreConnection.Now());
        command.ExecuteNonQuery();
        return (Find(name, transaction)!, null);
    }

    public StoredDevice? Find(string name) => Find(name, transaction: null);

    internal StoredDevice? Find(string name, DbTransaction? transaction) => _connection.Guard(() =>
    {
        using var command = _connection.Command($"SELECT {Columns} FROM devices d WHERE d.name = @name", transaction);
        command.With("@name", name);
        using var reader = command.ExecuteReader();
        return reader.Read() ? Read(reader) : null;
    });

    /// <exception cref="ProfileStoreException">No device of that name; the message lists the known ones.</exception>
    public StoredDevice Get(string name)
        => Find(name) ?? throw new ProfileStoreException($"No device '{name}' in {_connection.Location}. Known devices: {KnownNames()}.");

    /// <summary>Every device with how many measurements (successful and failed) it holds, in how many sessions, and when it was last measured, by name.</summary>
    public IReadOnlyList<DeviceSummary> List() => _connection.Guard(() =>
    {
        using var command = _connection.Command($"""
            SELECT {Columns}, coalesce(sum(CASE WHEN m.status = 'ok' THEN 1 ELSE 0 END), 0) AS measured, coalesce(sum(CASE WHEN m.status = 'failed' THEN 1 ELSE 0 END), 0) AS failed,
                   count(DISTINCT m.session) AS sessions, max(m.measured_at) AS last_measured
            FROM devices d LEFT JOIN measurements m ON m.device_id = d.id
            GROUP BY d.id
            """);
        var devices = new List<DeviceSummary>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            devices.Add(new DeviceSummary(Read(reader), (int)reader.Integer("measured"), (int)reader.Integer("failed"), (int)reader.Integer("sessions"), reader.NullableText("last_measured")));
        }
        // Sorted here, not by the database: SQLite and PostgreSQL collate names differently.
        return devices.OrderBy(d => d.Device.Name, StringComparer.Ordinal).ToList();
    });

    private string KnownNames()
    {
        var names = List().Select(d => d.Device.Name).ToList();
        return names.Count == 0 ? "(none yet)" : names.Count <= 40 ? string.Join(", ", names) : string.Join(", ", names.Take(40)) + $", … ({names.Count} in all)";
    }

    private static StoredDevice Read(DbDataReader reader) => new(
        reader.Integer("id"),
        reader.Text("name"),
        Enum.Parse<DeviceKind>(reader.Text("kind"), ignoreCase: true),
        reader.NullableText("fingerprint") is { } json ? DeviceFingerprint.FromJson(json) : null,
        reader.NullableText("source"),
        reader.NullableText("dataset"),
        reader.NullableInt("resolution"),
        reader.NullableInt("batch"),
        reader.Timestamp("created_at"));

    private static string Text(DeviceKind kind) => kind.ToString().ToLowerInvariant();

    /// <summary>The fields that differ, "then → now"; every field when none visibly does.</summary>
    private static string Difference(DeviceFingerprint then, DeviceFingerprint now)
    {
        var fields = new (string Name, object Then, object Now)[]
        {
            ("CPU", then.CpuModel, now.CpuModel), ("cores", then.Cores, now.Cores), ("OS", then.OperatingSystem, now.OperatingSystem),
            ("runtime", then.Runtime, now.Runtime), ("runtime version", then.RuntimeVersion, now.RuntimeVersion), ("provider", then.Provider, now.Provider),
            ("threads", then.Threads, now.Threads), ("optimization", then.Optimization, now.Optimization), ("batch", then.BatchSize, now.BatchSize),
            ("resolution", then.Resolution, now.Resolution), ("dataset", then.Dataset, now.Dataset), ("spinning", then.Spinning, now.Spinning),
        };
        var differing = fields.Where(f => !Equals(f.Then, f.Now)).Select(f => $"{f.Name} {f.Then} then, {f.Now} now").ToList();
        return differing.Count > 0 ? string.Join("; ", differing) : $"{Describe(then)} then, {Describe(now)} now";
    }

    private static string Describe(DeviceFingerprint f)
        => $"{f.CpuModel}, {f.Cores} cores, {f.Runtime} {f.RuntimeVersion}, {f.Provider}, {f.Threads} threads, {f.Optimization}, batch {f.BatchSize}, {f.Resolution}px";
}
