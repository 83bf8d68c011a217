using LatencyNas.Core.Spaces.Nb201;
using LatencyNas.Core.Tables;

namespace LatencyNas.Core.Tests.Tables;

public sealed class ArchitectureTableTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("latnas-table-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Write(string content)
    {
        string path = Path.Combine(_directory, "t.csv");
        File.WriteAllText(path, content);
        return path;
    }

    [Fact]
    public void Reads_both_text_forms_skips_empty_cells_and_takes_numeric_columns_only()
    {
        var table = ArchitectureTable.Read(Write("index,arch,dev,note,other\n0,333333,2.5,fast,1\n1,|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|skip_connect~1|skip_connect~2|,,slow,2\n"),
            Nb201Space.Instance);
        Assert.Equal(["dev", "other"], table.Columns.Select(c => c.Name));
        Assert.Equal(["333333", "111111"], table.Architectures.Select(a => a.Digits));
        var dev = table.ValuesByDigits("dev");
        Assert.Equal(2.5, Assert.Single(dev).Value);
        Assert.Equal(1, table.Columns[0].Count);
    }

    [Theory]
    [InlineData("arch,dev\n333333,2.5\n33x333,1.0\n", "line 3")]
    [InlineData("arch,dev\n333333,2.5\n111111,fast\n", "'fast'")]
    [InlineData("arch,dev\n333333,2.5\n111111,-1\n", "positive")]
    [InlineData("arch,dev\n333333,2.5\n111111,NaN\n", "'NaN'")]
    [InlineData("arch,dev\n333333,2.5\n333333,1.0\n", "already appeared on line 2")]
    [InlineData("arch,dev\n333333,2.5,9\n", "3 fields")]
    [InlineData("ops_string,dev\n333333,2.5\n", "no column 'arch'")]
    public void A_bad_table_is_rejected_whole_with_the_line_named(string content, string expected)
    {
        var error = Assert.Throws<InvalidInputException>(() => ArchitectureTable.Read(Write(content), Nb201Space.Instance, new ArchitectureTableOptions { Columns = ["dev"] }));
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Objectives_may_be_zero_or_negative_but_not_text()
    {
        string path = Write("arch,score\n333333,-1.5\n111111,0\n");
        var table = ArchitectureTable.Read(path, Nb201Space.Instance, new ArchitectureTableOptions { PositiveValues = false });
        Assert.Equal(-1.5, table.ValuesByDigits("score")["333333"]);
        Assert.Throws<InvalidInputException>(() => table.ValuesByDigits("accuracy"));
    }
}
