using LatencyNas.Core.Spaces;
using LatencyNas.Core.Tables;
using System.Data;
using System.Data.Common;

namespace LatencyNas.Profiling.Store;

/// <summary>One column written by an import: the name it is stored under, how many values it got and how many cells were empty.</summary>
public sealed record ImportedColumn(string Name, string Column, int Values, int Empty);

/// <summary>
/// Writes a parsed table into the store in one transaction: each value column becomes a device of
/// kind "table" holding one measurement (the median) per architecture, so imported and live devices
/// are analysed alike; or each column becomes an objective. A failure anywhere leaves the store as it was.
/// </summary>
public sealed class BulkImport
{
    private readonly StoreConnection _connection;
    private readonly DeviceRecords _devices;
    private readonly ArchitectureRecords _architectures;
    private readonly ObjectiveRecords _objectives;

    internal BulkImport(StoreConnection connection, DeviceRecords devices, ArchitectureRecords architectures, ObjectiveRecords objectives)
    {
        _connection = connection;
        _devices = devices;
        _architectures = architectures;
        _objectives = objectives;
    }

    /// <param name="source">What the devices record as their source (default: the table's source).</param>
    /// <param name="prefix">Prepended to each column name to name its device (e.g. "help:").</param>
    /// <param name="toMilliseconds">Multiplies the table's values into milliseconds.</param>
    /// <exception cref="ProfileStoreException">A column's name is taken by a device that was not imported.</exception>
    public IReadOnlyList<ImportedColumn> Devices(ArchitectureTable table, SearchSpace space, Dataset dataset, string prefix = "", double toMilliseconds = 1, string? source = null)
        => _connection.InTransaction(transaction =>
        {
            var ids = ArchitectureIds(table, space, dataset, transaction);
            using var upsert = PrepareTableUpsert(transaction);
            string now = StoreConnection.Now();
            var imported = new List<ImportedColumn>();
            foreach (var column in table.Columns)
            {
                var device = _devices.EnsureTable(prefix + column.Name, source ?? table.Source, dataset, transaction);
                upsert.Parameters["@device"].Value = device.Id;
                upsert.Parameters["@at"].Value = now;
                for (int r = 0; r < ids.Length; r++)
                {
                    if (column.Values[r] is { } value)
                    {
                        upsert.Parameters["@arch"].Value = ids[r];
                        upsert.Parameters["@median"].Value = value * toMilliseconds;
                        upsert.ExecuteNonQuery();
                    }
                }
                imported.Add(new ImportedColumn(device.Name, column.Name, column.Count, ids.Length - column.Count));
            }
            return imported;
        }, _architectures.ForgetCached);

    /// <param name="prefix">Prepended to each column name to name its objective.</param>
    /// <param name="source">What the values record as their source (default: the table's source).</param>
    public IReadOnlyList<ImportedColumn> Objectives(ArchitectureTable table, SearchSpace space, Dataset dataset, string prefix = "", string? source = null)
        => _connection.InTransaction(transaction =>
        {
            var ids = ArchitectureIds(table, space, dataset, transaction);
            using var upsert = _objectives.PrepareUpsert(transaction);
            var imported = new List<ImportedColumn>();
            foreach (var column in table.Columns)
            {
                for (int r = 0; r < ids.Length; r++)
                {
                    if (column.Values[r] is { } value)
                    {
                        ObjectiveRecords.Upsert(upsert, prefix + column.Name, ids[r], value, source ?? table.Source);
                    }
                }
                imported.Add(new ImportedColumn(prefix + column.Name, column.Name, column.Count, ids.Length - column.Count));
            }
            return imported;
        }, _architectures.ForgetCached);

    private long[] ArchitectureIds(ArchitectureTable table, SearchSpace space, Dataset dataset, DbTransaction transaction)
        => table.Architectures.Select(a => _architectures.Ensure(space, a, dataset, transaction)).ToArray();

    private DbCommand PrepareTableUpsert(DbTransaction transaction)
    {
        var command = _connection.Command("""
            INSERT INTO measurements (device_id, architecture_id, session, status, latency_ms, median_ms, protocol, estimator, measured_at)
            VALUES (@device, @arch, 1, 'ok', @median, @median, 'table', 'table', @at)
            ON CONFLICT (device_id, architecture_id, session) DO UPDATE SET
                latency_ms = excluded.latency_ms, median_ms = excluded.median_ms, protocol = 'table', estimator = 'table', status = 'ok', measured_at = excluded.measured_at
            """, transaction);
        command.Declare("@device", DbType.Int64);
        command.Declare("@arch", DbType.Int64);
        command.Declare("@median", DbType.Double);
        command.Declare("@at", DbType.String);
        command.Prepare();
        return command;
    }
}
