namespace LatencyNas.Cli;

/// <summary>A Markdown table printed a row at a time, as results arrive: the header with the first row, then each row as soon as it is known.</summary>
internal sealed class StreamingTable(TextWriter output, params string[] columns)
{
    private bool _started;

    public void Row(params string[] cells)
    {
        if (!_started)
        {
            output.WriteLine($"| {string.Join(" | ", columns)} |");
            output.WriteLine($"|{string.Concat(columns.Select(_ => "---|"))}");
            _started = true;
        }
        output.WriteLine($"| {string.Join(" | ", cells)} |");
        output.Flush();
    }
}
