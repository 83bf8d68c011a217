using System.Globalization;
using System.Text;
using LatencyNas.Core.IO;
using LatencyNas.Core.Tables;
using Parquet;
using Parquet.Schema;

namespace LatencyNas.Workflows;

/// <summary>The file formats an export writes.</summary>
public enum ExportFormat
{
    /// <summary>Comma-separated text with a header line; empty cells for missing values.</summary>
    Csv,

    /// <summary>Apache Parquet: one row group, typed columns (text, 32-bit integers, doubles, booleans), nulls for missing values.</summary>
    Parquet,
}

/// <summary>
/// A table an export writes, defined once by its columns and written as CSV or Parquet with the same
/// names, order and values, whole or not at all (a temporary file renamed into place).
/// </summary>
internal sealed class ExportTable<TRow>(params ExportColumn<TRow>[] columns)
{
    public string Header => string.Join(',', columns.Select(c => c.Name));

    public void Write(string path, IReadOnlyList<TRow> rows, ExportFormat format) => AtomicFile.WriteAtomically(path, Writer(rows, format));

    /// <summary>What writes the table to a stream, for <see cref="AtomicFile.WriteTogether"/>.</summary>
    public Action<Stream> Writer(IReadOnlyList<TRow> rows, ExportFormat format)
    {
        if (format == ExportFormat.Csv)
        {
            return stream =>
            {
                using var writer = new StreamWriter(stream, leaveOpen: true);
                writer.Write(Header);
                writer.Write('\n');
                foreach (var row in rows)
                {
                    writer.Write(string.Join(',', columns.Select(c => c.Cell(row))));
                    writer.Write('\n');
                }
            };
        }
        return stream => WriteParquetAsync(stream, rows).GetAwaiter().GetResult();
    }

    private async Task WriteParquetAsync(Stream stream, IReadOnlyList<TRow> rows)
    {
        var fields = columns.Select(c => c.Field).ToArray();
        await using var writer = await ParquetWriter.CreateAsync(new ParquetSchema(fields), stream);
        using var group = writer.CreateRowGroup();
        for (int i = 0; i < columns.Length; i++)
        {
            await columns[i].WriteAsync(group, fields[i], rows);
        }
    }
}

/// <summary>One column of an <see cref="ExportTable{TRow}"/>: its name, its Parquet type, and how a row gives its value.</summary>
internal abstract class ExportColumn<TRow>(string name)
{
    public string Name { get; } = name;

    public abstract DataField Field { get; }

    /// <summary>The value as a CSV cell (empty when missing).</summary>
    public abstract string Cell(TRow row);

    public abstract Task WriteAsync(ParquetRowGroupWriter group, DataField field, IReadOnlyList<TRow> rows);

    public static ExportColumn<TRow> Text(string name, Func<TRow, string?> value) => new TextColumn(name, value);

    public static ExportColumn<TRow> Integer(string name, Func<TRow, int?> value) => new ValueColumn<int>(name, value, v => v.ToString(CultureInfo.InvariantCulture));

    public static ExportColumn<TRow> Real(string name, Func<TRow, double?> value) => new ValueColumn<double>(name, value, v => v.ToString("R", CultureInfo.InvariantCulture));

    public static ExportColumn<TRow> Flag(string name, Func<TRow, bool?> value) => new ValueColumn<bool>(name, value, v => v ? "true" : "false");

    private sealed class TextColumn(string name, Func<TRow, string?> value) : ExportColumn<TRow>(name)
    {
        public override DataField Field { get; } = new DataField<string>(name, nullable: true);

        public override string Cell(TRow row) => CsvTable.Escape(value(row) ?? "");

        public override Task WriteAsync(ParquetRowGroupWriter group, DataField field, IReadOnlyList<TRow> rows)
            => group.WriteAsync(field, rows.Select(value).ToArray()!, null);
    }

    private sealed class ValueColumn<T>(string name, Func<TRow, T?> value, Func<T, string> text) : ExportColumn<TRow>(name)
        where T : struct
    {
        public override DataField Field { get; } = new DataField<T?>(name);

        public override string Cell(TRow row) => value(row) is { } v ? text(v) : "";

        public override async Task WriteAsync(ParquetRowGroupWriter group, DataField field, IReadOnlyList<TRow> rows)
            => await group.WriteAsync(field, new ReadOnlyMemory<T?>(rows.Select(value).ToArray()), null, null, CancellationToken.None);
    }
}
