using System.Text;

namespace LatencyNas.Core.Tables;

/// <summary>
/// A CSV file read whole: a header row and data rows (RFC 4180 quoting; comma separator; blank
/// lines ignored). Small enough for latency tables (15,625 rows × 30 columns is 6 MB).
/// </summary>
public sealed class CsvTable
{
    private CsvTable(string source, IReadOnlyList<string> header, IReadOnlyList<string[]> rows, IReadOnlyList<int> lineNumbers)
    {
        Source = source;
        Header = header;
        Rows = rows;
        LineNumbers = lineNumbers;
    }

    public string Source { get; }

    public IReadOnlyList<string> Header { get; }

    public IReadOnlyList<string[]> Rows { get; }

    /// <summary>The file line each row started on (1-based), for error messages.</summary>
    public IReadOnlyList<int> LineNumbers { get; }

    /// <exception cref="InvalidInputException">The file is missing, unreadable, empty or ragged.</exception>
    public static CsvTable Read(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new InvalidInputException($"Cannot read '{path}': {error.Message}");
        }
        return Parse(text, path);
    }

    public static CsvTable Parse(string text, string source)
    {
        var records = new List<(string[] Fields, int Line)>();
        var fields = new List<string>();
        var field = new StringBuilder();
        int line = 1, recordLine = 1;
        bool quoted = false, fieldStarted = false;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    if (c == '\n') line++;
                    field.Append(c);
                }
                continue;
            }
            switch (c)
            {
                case '"' when field.Length == 0:
                    quoted = true;
                    fieldStarted = true;
                    break;
                case ',':
                    fields.Add(field.ToString());
                    field.Clear();
                    fieldStarted = true;
                    break;
                case '\r':
                    break;
                case '\n':
                    EndRecord();
                    line++;
                    recordLine = line;
                    break;
                default:
                    field.Append(c);
                    fieldStarted = true;
                    break;
            }
        }
        if (quoted)
        {
            throw new InvalidInputException($"{source}: a quoted field opened on line {recordLine} never closes.");
        }
        EndRecord();

        if (records.Count == 0)
        {
            throw new InvalidInputException($"{source} is empty; a latency table needs a header row and data rows.");
        }
        string[] header = records[0].Fields.Select(h => h.Trim()).ToArray();
        var duplicate = header.GroupBy(h => h).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new InvalidInputException($"{source}: column '{duplicate.Key}' appears twice in the header.");
        }
        foreach (var (row, rowLine) in records.Skip(1))
        {
            if (row.Length != header.Length)
            {
                throw new InvalidInputException($"{source}, line {rowLine}: {row.Length} fields, but the header has {header.Length}.");
            }
        }
        return new CsvTable(source, header, records.Skip(1).Select(r => r.Fields).ToArray(), records.Skip(1).Select(r => r.Line).ToArray());

        void EndRecord()
        {
            if (fieldStarted || field.Length > 0 || fields.Count > 0)
            {
                fields.Add(field.ToString());
                records.Add((fields.ToArray(), recordLine));
            }
            fields.Clear();
            field.Clear();
            fieldStarted = false;
        }
    }

    /// <exception cref="InvalidInputException">No such column; the message lists the columns there are.</exception>
    public int ColumnIndex(string name)
    {
        for (int i = 0; i < Header.Count; i++)
        {
            if (Header[i] == name)
            {
                return i;
            }
        }
        throw new InvalidInputException($"{Source} has no column '{name}'. Its columns: {string.Join(", ", Header)}.");
    }

    /// <summary>Quotes a field for writing when it holds a comma, quote or line break.</summary>
    public static string Escape(string field)
        => field.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + field.Replace("\"", "\"\"") + "\"" : field;
}
