using LatencyNas.Core.Spaces;
using LatencyNas.Core.Tables;
using System.Data;
using System.Data.Common;

namespace LatencyNas.Profiling.Store;

/// <summary>One column written by an import: the name it is stored under, how many values it got and how many cells were empty.</summary>
/// <param name="ReplacedSource">The source a table device had before this import replaced its values from another one (null otherwise).</param>
public sealed record ImportedColumn(string Name, string Column, int Values, int Empty, string? ReplacedSource = null);

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
            string now = StoreConnection.Now();
            var imported = new List<ImportedColumn>();
            foreach (var column in table.Columns)
            {
                var (device, replaced) = _devices.EnsureTable(prefix + column.Name, source ?? table.Source, dataset, transaction);
                var rows = Enumerable.Range(0, ids.Length)
                    .Where(r => column.Values[r] is not null)
                    .Select(r => new object?[] { device.Id, ids[r], 1L, "ok", column.Values[r]!.Value * toMilliseconds, column.Values[r]!.Value * toMilliseconds, "table", "table", now });
                _connection.InsertMany(transaction, "measurements",
                    ["device_id", "architecture_id", "session", "status", "latency_ms", "median_ms", "protocol", "estimator", "measured_at"], rows, """
                    ON CONFLICT (device_id, architecture_id, session) DO UPDATE SET
                        latency_ms = excluded.latency_ms, median_ms = excluded.median_ms, protocol = 'table', estimator = 'table', status = 'ok', measured_at = excluded.measured_at
                    """);
                imported.Add(new ImportedColumn(device.Name, column.Name, column.Count, ids.Length - column.Count, replaced));
            }
            return imported;
        }, _architectures.ForgetCached);

    /// <param name="prefix">Prepended to each column name to name its objective.</param>
    /// <param name="source">What the values record as their source (default: the table's source).</param>
    public IReadOnlyList<ImportedColumn> Objectives(ArchitectureTable table, SearchSpace space, Dataset dataset, string prefix = "", string? source = null)
        => _connection.InTransaction(transaction =>
        {
            var ids = ArchitectureIds(table, space, dataset, transaction);
            var imported = new List<ImportedColumn>();
            foreach (var column in table.Columns)
            {
                _objectives.UpsertMany(transaction, prefix + column.Name, Enumerable.Range(0, ids.Length)
                    .Where(r => column.Values[r] is not null)
                    .Select(r => (ids[r], column.Values[r]!.Value)), source ?? table.Source);
                imported.Add(new ImportedColumn(prefix + column.Name, column.Name, column.Count, ids.Length - column.Count));
            }
            return imported;
        }, _architectures.ForgetCached);

    private long[] ArchitectureIds(ArchitectureTable table, SearchSpace space, Dataset dataset, DbTransaction transaction)
        => _architectures.EnsureMany(space, table.Architectures, dataset, transaction);
}
