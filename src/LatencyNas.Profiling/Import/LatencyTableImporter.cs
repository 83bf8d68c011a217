using System.Globalization;
using LatencyNas.Core;
using LatencyNas.Core.Spaces;
using LatencyNas.Core.Tables;
using LatencyNas.Profiling.Store;

namespace LatencyNas.Profiling.Import;

/// <summary>What to import from a latency table.</summary>
public sealed record LatencyTableImport
{
    public required string CsvPath { get; init; }

    public required SearchSpace Space { get; init; }

    /// <summary>The column holding architectures, in either of the space's text forms. Default "arch".</summary>
    public string ArchitectureColumn { get; init; } = "arch";

    /// <summary>Device columns to import; null imports every numeric column not in <see cref="Exclude"/>.</summary>
    public IReadOnlyList<string>? Columns { get; init; }

    /// <summary>Columns never taken as devices when <see cref="Columns"/> is null. Default: index, id, ops, arch.</summary>
    public IReadOnlyList<string> Exclude { get; init; } = ["index", "id", "ops", "arch"];

    /// <summary>Prepended to each column name to name its device, e.g. "help:". Default empty.</summary>
    public string Prefix { get; init; } = "";

    /// <summary>The dataset the table was measured for. Default cifar10.</summary>
    public Dataset Dataset { get; init; } = Dataset.Cifar10;

    /// <summary>Multiplies values into milliseconds (1 for ms, 1000 for s). Default 1.</summary>
    public double ToMilliseconds { get; init; } = 1;

    /// <summary>
    /// Import the columns as objectives (higher is better, e.g. accuracy) rather than as latency
    /// devices; values are taken as they are. Default false.
    /// </summary>
    public bool AsObjectives { get; init; }
}

public sealed record ImportedColumn(string Name, string Column, int Values, int Empty);

/// <summary>
/// Turns each device column of a latency CSV into a device of kind "table" holding one
/// measurement (the median) per architecture, so imported and live devices are analysed alike;
/// or, with <see cref="LatencyTableImport.AsObjectives"/>, each column into an objective such as
/// accuracy. The import is one transaction: a bad row anywhere leaves the store as it was.
/// </summary>
public static class LatencyTableImporter
{
    /// <exception cref="InvalidInputException">Missing file or column, an architecture that does not parse, a value that is not a positive number.</exception>
    public static IReadOnlyList<ImportedColumn> Import(ProfileStore store, LatencyTableImport import)
    {
        var table = CsvTable.Read(import.CsvPath);
        int archIndex = table.ColumnIndex(import.ArchitectureColumn);
        var architectures = new Architecture[table.Rows.Count];
        var firstLine = new Dictionary<Architecture, int>();
        for (int r = 0; r < table.Rows.Count; r++)
        {
            try
            {
                architectures[r] = import.Space.Parse(table.Rows[r][archIndex]);
            }
            catch (InvalidInputException error)
            {
                throw new InvalidInputException($"{import.CsvPath}, line {table.LineNumbers[r]}: {error.Message}");
            }
            if (!firstLine.TryAdd(architectures[r], table.LineNumbers[r]))
            {
                throw new InvalidInputException(
                    $"{import.CsvPath}, line {table.LineNumbers[r]}: architecture {architectures[r].Digits} already appeared on line {firstLine[architectures[r]]}.");
            }
        }

        var columns = import.Columns is { Count: > 0 } named
            ? named.Select(name => (Name: name, Index: table.ColumnIndex(name))).ToList()
            : table.Header.Select((name, index) => (Name: name, Index: index))
                .Where(c => c.Index != archIndex && !import.Exclude.Contains(c.Name) && IsNumericColumn(table, c.Index))
                .ToList();
        if (columns.Count == 0)
        {
            throw new InvalidInputException($"{import.CsvPath} has no numeric device column to import (besides {string.Join(", ", import.Exclude)}); name them with --columns.");
        }
        var values = new double?[columns.Count, table.Rows.Count];
        for (int c = 0; c < columns.Count; c++)
        {
            for (int r = 0; r < table.Rows.Count; r++)
            {
                string text = table.Rows[r][columns[c].Index].Trim();
                if (text.Length == 0)
                {
                    continue;
                }
                if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value)
                    || (!import.AsObjectives && value <= 0))
                {
                    throw new InvalidInputException(
                        $"{import.CsvPath}, line {table.LineNumbers[r]}, column '{columns[c].Name}': '{text}' is not {(import.AsObjectives ? "a number" : "a positive latency")}.");
                }
                values[c, r] = import.AsObjectives ? value : value * import.ToMilliseconds;
            }
        }

        string source = Path.GetFullPath(import.CsvPath);
        return store.InTransaction(transaction =>
        {
            var architectureIds = architectures.Select(a => store.EnsureArchitecture(import.Space, a, import.Dataset, transaction)).ToArray();
            var imported = new List<ImportedColumn>();
            if (import.AsObjectives)
            {
                using var objective = store.PrepareObjectiveUpsert(transaction);
                for (int c = 0; c < columns.Count; c++)
                {
                    int count = 0;
                    for (int r = 0; r < architectures.Length; r++)
                    {
                        if (values[c, r] is { } value)
                        {
                            objective.Parameters["$name"].Value = import.Prefix + columns[c].Name;
                            objective.Parameters["$arch"].Value = architectureIds[r];
                            objective.Parameters["$value"].Value = value;
                            objective.Parameters["$source"].Value = source;
                            objective.ExecuteNonQuery();
                            count++;
                        }
                    }
                    imported.Add(new ImportedColumn(import.Prefix + columns[c].Name, columns[c].Name, count, architectures.Length - count));
                }
                return imported;
            }
            using var upsert = store.PrepareTableUpsert(transaction);
            string now = ProfileStore.Now();
            for (int c = 0; c < columns.Count; c++)
            {
                var device = store.EnsureTableDevice(import.Prefix + columns[c].Name, source, import.Dataset, transaction);
                int count = 0;
                for (int r = 0; r < architectures.Length; r++)
                {
                    if (values[c, r] is { } value)
                    {
                        store.UpsertTableValue(upsert, device.Id, architectureIds[r], value, now);
                        count++;
                    }
                }
                imported.Add(new ImportedColumn(device.Name, columns[c].Name, count, architectures.Length - count));
            }
            return imported;
        });
    }

    private static bool IsNumericColumn(CsvTable table, int index)
        => table.Rows.All(row => row[index].Trim() is { Length: 0 } || double.TryParse(row[index], NumberStyles.Float, CultureInfo.InvariantCulture, out _))
           && table.Rows.Any(row => row[index].Trim().Length > 0);
}
