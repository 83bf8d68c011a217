using LatencyNas.Core;
using LatencyNas.Core.Spaces;
using LatencyNas.Core.Tables;
using LatencyNas.Profiling.Store;

namespace LatencyNas.Workflows;

/// <summary>The unit a latency table's values are in.</summary>
public enum LatencyUnit
{
    Milliseconds,
    Seconds,
    Microseconds,
}

/// <summary>A latency table (each device column becomes a device of kind "table") or objective columns to bring into the store.</summary>
/// <param name="Columns">Device columns to import (null: every numeric column except index, id, ops, arch).</param>
/// <param name="Objectives">Columns to import as objectives (higher is better) instead of devices.</param>
/// <param name="Prefix">Prepended to each column's name to name its device or objective.</param>
/// <param name="Dataset">The dataset the table was measured for.</param>
public sealed record ImportRequest(
    string Csv,
    SearchSpace Space,
    Dataset Dataset,
    StoreLocation Store,
    string ArchitectureColumn = "arch",
    IReadOnlyList<string>? Columns = null,
    IReadOnlyList<string>? Objectives = null,
    string Prefix = "",
    LatencyUnit Unit = LatencyUnit.Milliseconds,
    bool SkipBadCells = false);

/// <summary>What an import wrote: devices or objectives, a row per column, and the cells it left out (with --skip-bad-cells).</summary>
public sealed record ImportResult(string Store, string Csv, string Imported, IReadOnlyList<ImportedColumn> Columns, IReadOnlyList<SkippedCell> Skipped);

/// <summary>Reads and checks the whole table first, then writes it in one transaction: a bad table creates no store and changes none.</summary>
public sealed class ImportUseCase
{
    /// <exception cref="InvalidInputException">A missing or malformed table, an unknown column or one named twice, both devices and objectives asked for.</exception>
    public ImportResult Run(ImportRequest request)
    {
        if (request.Objectives is not null && request.Columns is not null)
        {
            throw new InvalidInputException("Give --columns (devices) or --objectives, not both.");
        }
        if ((request.Objectives ?? request.Columns)?.GroupBy(c => c, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            throw new InvalidInputException($"Column '{twice.Key}' is named twice in {(request.Objectives is not null ? "--objectives" : "--columns")}.");
        }
        if (!File.Exists(request.Csv))
        {
            throw new InvalidInputException($"No table at '{request.Csv}'.");
        }
        bool objectives = request.Objectives is not null;
        var table = ArchitectureTable.Read(request.Csv, request.Space, new ArchitectureTableOptions
        {
            ArchitectureColumn = request.ArchitectureColumn,
            Columns = request.Objectives ?? request.Columns,
            PositiveValues = !objectives,
            SkipBadCells = request.SkipBadCells,
        });
        if (!objectives)
        {
            foreach (var column in table.Columns)
            {
                DeviceName.Check(request.Prefix + column.Name, $"{request.Csv}, column '{column.Name}'{(request.Prefix.Length > 0 ? $" with --prefix '{request.Prefix}'" : "")}");
            }
        }
        string source = Path.GetFullPath(request.Csv);
        bool created = !request.Store.IsServer && !File.Exists(request.Store.Path);
        try
        {
            using var store = request.Store.OpenOrCreate();
            var columns = objectives
                ? store.Import.Objectives(table, request.Space, request.Dataset, request.Prefix, source)
                : store.Import.Devices(table, request.Space, request.Dataset, request.Prefix, ToMilliseconds(request.Unit), source);
            return new ImportResult(store.Location, request.Csv, objectives ? "objectives" : "devices", columns, table.Skipped);
        }
        catch when (created)
        {
            // A store this import created and could not fill (a full disk) is not left behind as an empty file.
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            foreach (string file in new[] { request.Store.Path, request.Store.Path + "-wal", request.Store.Path + "-shm", request.Store.Path + "-journal" })
            {
                try
                {
                    File.Delete(file);
                }
                catch (Exception error) when (error is IOException or UnauthorizedAccessException)
                {
                }
            }
            throw;
        }
    }

    private static double ToMilliseconds(LatencyUnit unit) => unit switch
    {
        LatencyUnit.Seconds => 1000,
        LatencyUnit.Microseconds => 0.001,
        _ => 1,
    };
}
