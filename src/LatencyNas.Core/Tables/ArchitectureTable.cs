using System.Globalization;
using LatencyNas.Core.Spaces;

namespace LatencyNas.Core.Tables;

/// <summary>What to read from a CSV of architectures with one numeric column per device (or objective).</summary>
public sealed record ArchitectureTableOptions
{
    /// <summary>The column holding architectures, in either of the space's text forms. Default "arch".</summary>
    public string ArchitectureColumn { get; init; } = "arch";

    /// <summary>The value columns to read; null reads every numeric column not in <see cref="Exclude"/>.</summary>
    public IReadOnlyList<string>? Columns { get; init; }

    /// <summary>Columns never taken as values when <see cref="Columns"/> is null. Default: index, id, ops, arch.</summary>
    public IReadOnlyList<string> Exclude { get; init; } = ["index", "id", "ops", "arch"];

    /// <summary>Values must be positive (latencies) rather than any finite number (accuracies). Default true.</summary>
    public bool PositiveValues { get; init; } = true;

    /// <summary>Leave out cells that are not a valid value, and count them, instead of refusing the table. Default false.</summary>
    public bool SkipBadCells { get; init; }
}

/// <summary>A cell left out of a table read with <see cref="ArchitectureTableOptions.SkipBadCells"/>.</summary>
public sealed record SkippedCell(string Column, int Line, string Text);

/// <summary>One value column: a value per row of the table, or null where the cell is empty.</summary>
public sealed record ArchitectureColumn(string Name, IReadOnlyList<double?> Values)
{
    public int Count => Values.Count(v => v is not null);
}

/// <summary>
/// A CSV with an architecture column and value columns (latencies of devices, or objectives such as
/// accuracy), parsed and checked whole: every architecture parses and appears once, every
/// non-empty value is a number (positive, for latencies). Errors name the file, line, column and
/// value. Read without naming columns, a column is a value column when most of its cells are
/// numbers: one bad cell among numbers is an error, not a reason to drop the column silently.
/// </summary>
public sealed class ArchitectureTable
{
    private ArchitectureTable(string source, IReadOnlyList<Architecture> architectures, IReadOnlyList<ArchitectureColumn> columns, IReadOnlyList<SkippedCell> skipped)
    {
        Source = source;
        Architectures = architectures;
        Columns = columns;
        Skipped = skipped;
    }

    /// <summary>Cells left out because they were not valid values (only with <see cref="ArchitectureTableOptions.SkipBadCells"/>).</summary>
    public IReadOnlyList<SkippedCell> Skipped { get; }

    public string Source { get; }

    /// <summary>The table's architectures, one per row, in file order.</summary>
    public IReadOnlyList<Architecture> Architectures { get; }

    public IReadOnlyList<ArchitectureColumn> Columns { get; }

    /// <exception cref="InvalidInputException">A missing file or column, a table without rows, an architecture that does not parse or repeats, a value that is not a number.</exception>
    public static ArchitectureTable Read(string path, SearchSpace space, ArchitectureTableOptions? options = null)
        => From(CsvTable.Read(path), space, options ?? new ArchitectureTableOptions());

    public static ArchitectureTable From(CsvTable table, SearchSpace space, ArchitectureTableOptions options)
    {
        if (table.Rows.Count == 0)
        {
            throw new InvalidInputException($"{table.Source} has no rows; a table needs a row per architecture below its header.");
        }
        int archIndex = table.ColumnIndex(options.ArchitectureColumn);
        var architectures = new Architecture[table.Rows.Count];
        var firstLine = new Dictionary<Architecture, int>();
        for (int r = 0; r < table.Rows.Count; r++)
        {
            try
            {
                architectures[r] = space.Parse(table.Rows[r][archIndex]);
            }
            catch (InvalidInputException error)
            {
                throw new InvalidInputException($"{table.Source}, line {table.LineNumbers[r]}: {error.Message}");
            }
            if (!firstLine.TryAdd(architectures[r], table.LineNumbers[r]))
            {
                throw new InvalidInputException(
                    $"{table.Source}, line {table.LineNumbers[r]}: architecture {architectures[r].Digits} already appeared on line {firstLine[architectures[r]]}.");
            }
        }

        var selected = options.Columns is { Count: > 0 } named
            ? named.Select(name => (Name: name, Index: table.ColumnIndex(name))).ToList()
            : table.Header.Select((name, index) => (Name: name, Index: index))
                .Where(c => c.Index != archIndex && !options.Exclude.Contains(c.Name) && IsNumericColumn(table, c.Index))
                .ToList();
        if (selected.Count == 0)
        {
            throw new InvalidInputException(
                $"{table.Source} has no numeric column to read (besides {string.Join(", ", options.Exclude)}); name the columns.");
        }
        var columns = new List<ArchitectureColumn>(selected.Count);
        var skipped = new List<SkippedCell>();
        foreach (var (name, index) in selected)
        {
            var values = new double?[table.Rows.Count];
            for (int r = 0; r < table.Rows.Count; r++)
            {
                string text = table.Rows[r][index].Trim();
                if (text.Length == 0)
                {
                    continue;
                }
                if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value)
                    || (options.PositiveValues && value <= 0))
                {
                    if (options.SkipBadCells)
                    {
                        skipped.Add(new SkippedCell(name, table.LineNumbers[r], text));
                        continue;
                    }
                    throw new InvalidInputException(
                        $"{table.Source}, line {table.LineNumbers[r]}, column '{name}': '{text}' is not {(options.PositiveValues ? "a positive latency" : "a finite number")}; " +
                        "correct it, or skip such cells with --skip-bad-cells.");
                }
                values[r] = value;
            }
            columns.Add(new ArchitectureColumn(name, values));
        }
        return new ArchitectureTable(table.Source, architectures, columns, skipped);
    }

    /// <summary>A column's values by architecture digits, leaving out empty cells.</summary>
    /// <exception cref="InvalidInputException">The table has no such column.</exception>
    public IReadOnlyDictionary<string, double> ValuesByDigits(string column)
    {
        var values = Columns.FirstOrDefault(c => c.Name == column)?.Values
                     ?? throw new InvalidInputException($"{Source} has no value column '{column}'. Its columns: {string.Join(", ", Columns.Select(c => c.Name))}.");
        var byDigits = new Dictionary<string, double>(StringComparer.Ordinal);
        for (int r = 0; r < Architectures.Count; r++)
        {
            if (values[r] is { } value)
            {
                byDigits[Architectures[r].Digits] = value;
            }
        }
        return byDigits;
    }

    /// <summary>Most of the column's non-empty cells are numbers (a text column has none).</summary>
    private static bool IsNumericColumn(CsvTable table, int index)
    {
        var cells = table.Rows.Select(row => row[index].Trim()).Where(text => text.Length > 0).ToList();
        int numbers = cells.Count(text => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _));
        return numbers > 0 && numbers * 2 >= cells.Count;
    }
}
