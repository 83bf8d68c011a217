using System.Text.Json;

using LatencyNas.Tests;

namespace LatencyNas.Cli.Tests;

public class SpaceCommandTests
{
    [Fact]
    public void Describe_prints_json_with_the_documented_keys()
    {
        var result = Latnas.Run("space", "describe", "--space", "nb201", "--arch", "333333", "--json");
        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Stdout);
        var root = json.RootElement;
        Assert.Equal("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|", root.GetProperty("arch").GetString());
        Assert.Equal("333333", root.GetProperty("ops").GetString());
        Assert.Equal(1_531_546, root.GetProperty("params").GetInt64());
        Assert.Equal(220_119_680, root.GetProperty("macs").GetInt64());
        Assert.False(root.GetProperty("disconnected").GetBoolean());
        Assert.Equal(6, root.GetProperty("op_counts").GetProperty("nor_conv_3x3").GetInt32());
        Assert.Equal(root.GetProperty("index").GetInt32(), JsonDocument.Parse(
            Latnas.Run("space", "describe", "--arch", $"#{root.GetProperty("index").GetInt32()}", "--json").Stdout).RootElement.GetProperty("index").GetInt32());
    }

    [Fact]
    public void Describe_takes_an_index_and_prints_it()
    {
        // Index 0 of NAS-Bench-201 is |avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|.
        var result = Latnas.Run("space", "describe", "--arch", "#0");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("ops           421211", result.Stdout);
        Assert.Contains("index         #0", result.Stdout);
    }

    [Fact]
    public void A_task_given_by_its_shape_is_the_built_in_task_of_that_shape_and_any_other_is_named_by_it()
    {
        var named = Latnas.Run("space", "describe", "--arch", "333333", "--dataset", "ninapro", "--json");
        var shaped = Latnas.Run("space", "describe", "--arch", "333333", "--input", "1x16x52", "--classes", "18", "--json");
        Assert.True(named.ExitCode == 0 && shaped.ExitCode == 0, named + "\n" + shaped);
        Assert.Equal(named.Stdout, shaped.Stdout);
        var task = JsonDocument.Parse(named.Stdout).RootElement;
        Assert.Equal(("ninapro", "1x16x52", 18), (task.GetProperty("dataset").GetString(), task.GetProperty("input").GetString(), task.GetProperty("classes").GetInt32()));

        var other = Latnas.Run("space", "describe", "--space", "fbnet", "--arch", "0123456780123456780123", "--dataset", "ninapro", "--classes", "5");
        Assert.True(other.ExitCode == 0, other.ToString());
        Assert.Contains("dataset       1x16x52-5cls (input 1x16x52, 5 classes)", other.Stdout);
    }

    [Fact]
    public void Describe_accepts_the_arch_string_and_other_datasets()
    {
        var result = Latnas.Run("space", "describe", "--arch", "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|", "--dataset", "imagenet16-120");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("000000", result.Stdout);
        Assert.Contains("disconnected  yes", result.Stdout);
    }

    [Fact]
    public void Describe_prints_the_features_a_predictor_reads_besides_the_choices()
    {
        // 200033: node2 is a zero node, and e5's conv3x3 of it still runs in the export, though it is on no live path.
        var result = Latnas.Run("space", "describe", "--arch", "200033");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("features      ", result.Stdout);
        Assert.Contains("live_nor_conv_3x3 1", result.Stdout);
        Assert.Contains("computed_nor_conv_3x3 2", result.Stdout);
        Assert.Contains("ops_on_zero_nodes 1", result.Stdout);
    }

    [Fact]
    public void Sample_prints_count_distinct_lines_reproducibly()
    {
        var first = Latnas.Run("space", "sample", "--space", "nb201", "--count", "25", "--seed", "7");
        var again = Latnas.Run("space", "sample", "--space", "nb201", "--count", "25", "--seed", "7", "--format", "ops");
        Assert.Equal(0, first.ExitCode);
        string[] lines = first.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(25, lines.Distinct().Count());
        Assert.All(lines, line => Assert.StartsWith("|", line));
        string[] digits = again.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(25, digits.Length);
        Assert.All(digits, d => Assert.Matches("^[0-4]{6}$", d));
    }

    [Theory]
    [InlineData("space", "describe", "--arch", "33333")]
    [InlineData("space", "describe", "--arch", "|nor_conv_9x9~0|+|none~0|none~1|+|none~0|none~1|none~2|")]
    [InlineData("space", "describe", "--arch", "333333", "--space", "darts")]
    [InlineData("space", "describe", "--arch", "333333", "--dataset", "mnist")]
    [InlineData("space", "describe")]
    [InlineData("space", "sample", "--count", "0")]
    [InlineData("space", "sample", "--count", "99999")]
    [InlineData("space", "describe", "--arch", "333333", "--bogus")]
    [InlineData("space", "describe", "--arch", "#15625")]
    [InlineData("space", "describe", "--arch", "#twelve")]
    public void Bad_input_exits_2_with_one_clear_line(params string[] arguments)
    {
        var result = Latnas.Run(arguments);
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.StartsWith("latnas: ", result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr); // no stack trace
    }
}
