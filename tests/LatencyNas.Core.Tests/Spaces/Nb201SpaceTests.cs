using LatencyNas.Core;
using LatencyNas.Core.Spaces;
using LatencyNas.Core.Spaces.Nb201;
using LatencyNas.Tests;

namespace LatencyNas.Core.Tests.Spaces;

public class Nb201SpaceTests
{
    private static readonly Nb201Space Space = Nb201Space.Instance;

    [Fact]
    public void Enumerates_all_15625_distinct_architectures()
    {
        var all = Space.Enumerate().ToList();
        Assert.Equal(15_625, all.Count);
        Assert.Equal(15_625, all.Distinct().Count());
        Assert.Equal(15_625, (int)Space.Size);
    }

    [Fact]
    public void Both_text_forms_round_trip_for_every_architecture()
    {
        foreach (var architecture in Space.Enumerate())
        {
            string archString = Space.Format(architecture);
            Assert.Equal(architecture, Space.Parse(archString));
            Assert.Equal(architecture, Space.Parse(architecture.Digits));
            Assert.Equal(archString, Space.Format(Space.Parse(architecture.Digits)));
        }
    }

    [Fact]
    public void Parsing_agrees_with_the_benchmark_table_for_every_row()
    {
        var rows = SharedData.ReadCsv("nb201_accuracy.csv");
        Assert.Equal(15_625, rows.Count);
        foreach (var row in rows)
        {
            var architecture = Space.Parse(row["arch"]);
            Assert.Equal(row["ops"], architecture.Digits);
            Assert.Equal(row["arch"], Space.Format(architecture));
        }
    }

    [Fact]
    public void Parses_the_example_of_the_design()
    {
        var architecture = Space.Parse("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|");
        Assert.Equal("333133", architecture.Digits);
        Assert.Equal("044404", Space.Parse("044404").Digits); // leading zero kept
    }

    [Theory]
    [InlineData("")]
    [InlineData("33333")]
    [InlineData("3333333")]
    [InlineData("333353")]
    [InlineData("33a333")]
    [InlineData("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|")]
    [InlineData("|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|")]
    [InlineData("|conv_5x5~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|")]
    [InlineData("|nor_conv_3x3~0|+|nor_conv_3x3~0|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|")]
    [InlineData("nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|")]
    public void Rejects_malformed_text_with_a_message(string text)
    {
        var error = Assert.Throws<InvalidInputException>(() => Space.Parse(text));
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
        Assert.DoesNotContain('\n', error.Message);
    }

    [Theory]
    [InlineData("333333", "cifar10", 1_531_546, 220_119_680)]
    [InlineData("111111", "cifar10", 73_306, 7_783_040)]
    [InlineData("000000", "cifar10", 73_306, 7_783_040)]
    [InlineData("444444", "cifar10", 73_306, 7_783_040)]
    public void Parameters_and_macs_match_the_reference_figures(string ops, string dataset, long parameters, long macs)
    {
        var features = Space.Features(Space.Parse(ops), Dataset.Parse(dataset));
        Assert.Equal(parameters, features.Parameters);
        Assert.Equal(macs, features.Macs);
    }

    [Fact]
    public void Dataset_changes_classifier_and_resolution()
    {
        var conv = Space.Parse("333333");
        var cifar10 = Space.Features(conv, Dataset.Cifar10);
        var cifar100 = Space.Features(conv, Dataset.Cifar100);
        var imagenet = Space.Features(conv, Dataset.ImageNet16_120);
        Assert.Equal(cifar10.Parameters + 90 * 64 + 90, cifar100.Parameters);
        Assert.Equal(cifar10.Parameters + 110 * 64 + 110, imagenet.Parameters);
        // ImageNet16-120 is 16×16: a quarter of the pixels everywhere; only the linear layer differs otherwise.
        Assert.Equal((cifar10.Macs - 640) / 4 + 64 * 120, imagenet.Macs);
    }

    [Fact]
    public void Exactly_341_cells_are_disconnected_and_they_are_the_ones_missing_from_the_eagle_table()
    {
        var disconnected = Space.Enumerate().Where(Nb201Cell.IsDisconnected).Select(a => a.Digits).ToHashSet();
        Assert.Equal(341, disconnected.Count);
        var measured = SharedData.ReadCsv("nb201_eagle_i7_7820x_latency_ms.csv").Select(r => r["ops"]).ToHashSet();
        var missing = Space.Enumerate().Select(a => a.Digits).Where(d => !measured.Contains(d)).ToHashSet();
        Assert.Equal(missing, disconnected);
    }

    [Theory]
    [InlineData("000000", true)]
    [InlineData("100000", true)]  // node1 is reached, but no edge leaves it or node2 towards the output
    [InlineData("003030", true)]  // convolutions hang off node1, which nothing feeds
    [InlineData("000100", false)] // e3: skip straight from input to output
    [InlineData("100010", false)] // node0 → node1 → node3
    [InlineData("010001", false)] // node0 → node2 → node3
    public void Disconnection_follows_the_cell_graph(string ops, bool disconnected)
        => Assert.Equal(disconnected, Nb201Cell.IsDisconnected(Space.Parse(ops)));

    [Fact]
    public void Op_counts_and_live_edges()
    {
        var features = Space.Features(Space.Parse("200033"), Dataset.Cifar10);
        Assert.Equal([3, 0, 1, 2, 0], features.OpCounts.Select(p => p.Value));
        Assert.False(features.Disconnected);
        // Live path node0 -e0 conv1x1-> node1 -e4 conv3x3-> node3; e5's conv3x3 hangs off node2, which nothing feeds.
        var extra = features.Extra.ToDictionary();
        Assert.Equal(1, extra["live_nor_conv_3x3"]);
        Assert.Equal(1, extra["live_nor_conv_1x1"]);
        Assert.Equal(2, extra["longest_conv_path"]);
    }

    [Fact]
    public void The_computed_cell_counts_edges_on_zero_nodes_that_live_counts_leave_out()
    {
        // 200033: node2 has no input, so it is zero; e5's conv3x3 of it still runs (its BatchNorm shift reaches the output).
        var features = Space.Features(Space.Parse("200033"), Dataset.Cifar10).Extra.ToDictionary();
        Assert.Equal(1, features["live_nor_conv_3x3"]);
        Assert.Equal(2, features["computed_nor_conv_3x3"]);
        Assert.Equal(1, features["computed_nor_conv_1x1"]);
        Assert.Equal(3, features["computed_relus"]);      // of node0, node1 and the zero node2
        Assert.Equal(1, features["computed_additions"]);  // node3 = conv(node1) + conv(node2)
        Assert.Equal(1, features["zero_nodes"]);
        Assert.Equal(1, features["ops_on_zero_nodes"]);

        // 041241: node1 is zero; node2 = pool(node0) + node1, node3 = conv1x1(node0) + pool(node1) + node2.
        Assert.Equal(new ComputedCell(Convolutions1x1: 1, Convolutions3x3: 0, Pools: 2, Relus: 1, Additions: 3, ZeroNodes: 1, OpsOnZeroNodes: 1),
            Nb201Cell.Computed(Space.Parse("041241")));

        // 414141: pool(node0) feeds node1, node2 and node3 but is computed once; node2 = pool(node0) + node1 is node3's first sum too.
        Assert.Equal(new ComputedCell(0, 0, Pools: 2, Relus: 0, Additions: 2, ZeroNodes: 0, OpsOnZeroNodes: 0),
            Nb201Cell.Computed(Space.Parse("414141")));

        // 300000: node1's convolution feeds nothing the output depends on, so the cell computes only its zero output.
        Assert.Equal(new ComputedCell(0, 0, 0, 0, 0, ZeroNodes: 1, OpsOnZeroNodes: 0), Nb201Cell.Computed(Space.Parse("300000")));
    }

    [Fact]
    public void The_edges_reaching_the_output_are_the_live_ones_and_those_fed_by_zero_nodes_and_the_exported_convolutions_are_theirs()
    {
        // 200033: e5's conv3x3 from the zero node2 reaches the output but is not live; 300000: e0's conv feeds nothing the output needs.
        Assert.Equal([true, false, false, false, true, true], Nb201Cell.EdgesReachingOutput(Space.Parse("200033")));
        Assert.Equal([true, false, false, false, true, false], Nb201Cell.LiveEdges(Space.Parse("200033")));
        Assert.All(Nb201Cell.EdgesReachingOutput(Space.Parse("300000")), Assert.False);
        foreach (var architecture in Space.Enumerate())
        {
            bool[] reaching = Nb201Cell.EdgesReachingOutput(architecture);
            Assert.All(Nb201Cell.LiveEdges(architecture).Zip(reaching), p => Assert.True(!p.First || p.Second, architecture.Digits));
            var computed = Nb201Cell.Computed(architecture);
            int Count(Nb201Op op) => Enumerable.Range(0, Nb201Cell.EdgeCount).Count(e => reaching[e] && Nb201Cell.Op(architecture, e) == op);
            Assert.Equal((computed.Convolutions1x1, computed.Convolutions3x3), (Count(Nb201Op.Conv1x1), Count(Nb201Op.Conv3x3)));
        }
    }

    [Fact]
    public void Sampling_is_reproducible_distinct_and_covers_the_space()
    {
        var first = Space.SampleDistinct(500, seed: 42);
        Assert.Equal(first, Space.SampleDistinct(500, seed: 42));
        Assert.NotEqual(first, Space.SampleDistinct(500, seed: 43));
        Assert.Equal(500, first.Distinct().Count());
        Assert.Equal(15_625, Space.SampleDistinct(15_625, seed: 1).Distinct().Count());
        Assert.Throws<InvalidInputException>(() => Space.SampleDistinct(15_626, seed: 1));
    }

    [Fact]
    public void Sampling_is_uniform_over_ops_on_each_edge()
    {
        var sample = Space.SampleDistinct(5_000, seed: 3);
        for (int edge = 0; edge < Nb201Cell.EdgeCount; edge++)
        {
            for (int op = 0; op < 5; op++)
            {
                int count = sample.Count(a => a[edge] == op);
                // 1,000 expected; a 5-sigma band is ±~140.
                Assert.InRange(count, 860, 1_140);
            }
        }
    }

    [Fact]
    public void Mutation_changes_exactly_one_edge()
    {
        var random = new Random(5);
        var architecture = Space.Parse("333133");
        var changedEdges = new HashSet<int>();
        for (int i = 0; i < 300; i++)
        {
            var mutant = Space.Mutate(architecture, random);
            int[] differing = Enumerable.Range(0, 6).Where(e => mutant[e] != architecture[e]).ToArray();
            Assert.Single(differing);
            changedEdges.Add(differing[0]);
            architecture = mutant;
        }
        Assert.Equal(6, changedEdges.Count);
    }

    [Fact]
    public void Index_order_matches_enumeration()
    {
        var all = Space.Enumerate().ToList();
        Assert.Equal("000000", all[0].Digits);
        Assert.Equal("444444", all[^1].Digits);
        Assert.Equal(all[1234], Space.FromPosition(1234));
    }

    [Fact]
    public void The_published_index_agrees_with_the_shared_tables_on_every_architecture()
    {
        var rows = LatencyNas.Tests.SharedData.ReadCsv("nb201_accuracy.csv");
        Assert.Equal(15_625, rows.Count);
        foreach (var row in rows)
        {
            int index = int.Parse(row["index"], System.Globalization.CultureInfo.InvariantCulture);
            var architecture = Space.Parse(row["arch"]);
            Assert.Equal(row["ops"], architecture.Digits);
            Assert.Equal(index, Space.IndexOf(architecture));
            Assert.Equal(architecture, Space.Parse($"#{index}"));
        }
    }

    [Theory]
    [InlineData("#15625", "#15625 is not an NB201 index: they run from #0 to #15624.")]
    [InlineData("#-1", "'#-1' is not an index: expected '#' and a number, e.g. #1234.")]
    [InlineData("#12a", "'#12a' is not an index: expected '#' and a number, e.g. #1234.")]
    public void A_bad_index_is_bad_input(string text, string message)
        => Assert.Equal(message, Assert.Throws<InvalidInputException>(() => Space.Parse(text)).Message);
}
