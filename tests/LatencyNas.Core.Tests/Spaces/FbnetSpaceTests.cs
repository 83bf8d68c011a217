using System.Numerics;
using LatencyNas.Core;
using LatencyNas.Core.Spaces;
using LatencyNas.Core.Spaces.Fbnet;
using LatencyNas.Tests;

namespace LatencyNas.Core.Tests.Spaces;

public sealed class FbnetSpaceTests
{
    private static readonly FbnetSpace Space = FbnetSpace.Instance;

    [Fact]
    public void The_space_has_22_layers_of_9_blocks()
    {
        Assert.Equal(22, Space.Decisions.Count);
        Assert.Equal(BigInteger.Pow(9, 22), Space.Size);
        Assert.Same(Space, SearchSpaces.Get("fbnet"));
    }

    [Fact]
    public void Digits_and_the_long_form_parse_to_the_same_architecture()
    {
        var architecture = Space.Parse("0123456781234567812345");
        string text = Space.Format(architecture);
        Assert.Equal("k3_e1/k3_e1_g2-k3_e3-k3_e6-k5_e1/k5_e1_g2-k5_e3-k5_e6-skip/k3_e1_g2-k3_e3-k3_e6-k5_e1/" +
                     "k5_e1_g2-k5_e3-k5_e6-skip/k3_e1_g2-k3_e3-k3_e6-k5_e1/k5_e1_g2", text);
        Assert.Equal(architecture, Space.Parse(text));
    }

    [Theory]
    [InlineData("012345678123456781234", "has 21 digits")]
    [InlineData("0123456789123456781234", "digit 10 ('9') is not a choice")]
    [InlineData("k3_e1/k3_e1-k3_e1-k3_e1/x", "is not an fbnet architecture")]
    [InlineData("#12", "the fbnet space has no published index")]
    public void Malformed_architectures_are_bad_input(string text, string message)
        => Assert.Contains(message, Assert.Throws<InvalidInputException>(() => Space.Parse(text)).Message);

    [Fact]
    public void An_all_skip_network_counts_only_stem_projections_head_and_classifier()
    {
        // By hand, CIFAR-10: stem 3·16·9 + BN; the first layer of stages 2–7 changes width, so its skip is a
        // 1×1 projection + BN (stride 1, 1, 2, 2, 1, 2, 1 from stage 1); the head 352→1504 + BN; linear 1504→10 + bias.
        long stem = 3 * 16 * 9 + 2 * 16;
        long projections = (16 * 24 + 48) + (24 * 32 + 64) + (32 * 64 + 128) + (64 * 112 + 224) + (112 * 184 + 368) + (184 * 352 + 704);
        long head = 352 * 1504 + 2 * 1504 + 1504 * 10 + 10;
        var features = Space.Features(Space.Parse(new string('8', 22)), Dataset.Cifar10);
        Assert.Equal(stem + projections + head, features.Parameters);
        Assert.Equal(645_210, features.Parameters);
        // MACs at each output resolution: 32 (stem, stages 1–2), 16 (stage 3), 8 (4–5), 4 (6–7 and head).
        long macs = 3 * 16 * 9 * 32 * 32 + 16 * 24 * 32 * 32 + 24 * 32 * 16 * 16 + 32 * 64 * 8 * 8 + 64 * 112 * 8 * 8
                    + 112 * 184 * 4 * 4 + 184 * 352 * 4 * 4 + 352 * 1504 * 4 * 4 + 1504 * 10;
        Assert.Equal(macs, features.Macs);
        Assert.Equal(22, features.OpCounts.Single(c => c.Key == "skip").Value);
    }

    /// <summary>Block counts, and each stage's skips and MACs, agree with the digits and the total on drawn architectures.</summary>
    [Fact]
    public void Block_counts_and_stage_summaries_add_up_to_the_architecture()
    {
        int[] stageStarts = [0, 1, 5, 9, 13, 17, 21, 22];
        long stemAndHead = Space.Features(Space.Parse(new string('8', 22)), Dataset.Cifar10) is var allSkip
            ? allSkip.Macs - (long)Math.Round(Enumerable.Range(1, 7).Sum(s => allSkip.Extra.Single(e => e.Key == $"stage{s}_macs_m").Value * 1e6))
            : 0;
        foreach (var architecture in Space.SampleDistinct(200, seed: 9))
        {
            var features = Space.Features(architecture, Dataset.Cifar10);
            Assert.Equal(Enumerable.Range(0, 9).Select(block => architecture.Digits.Count(d => d - '0' == block)), features.OpCounts.Select(c => c.Value));
            Assert.Equal(FbnetSpace.Blocks.Select(b => b.Name), features.OpCounts.Select(c => c.Key));
            Assert.Equal(Enumerable.Range(1, 7).SelectMany(s => new[] { $"stage{s}_macs_m", $"stage{s}_skips" }), features.Extra.Select(e => e.Key));
            for (int stage = 0; stage < 7; stage++)
            {
                int skips = architecture.Digits[stageStarts[stage]..stageStarts[stage + 1]].Count(d => d == '8');
                Assert.Equal(skips, features.Extra[2 * stage + 1].Value);
            }
            double stageMacs = Enumerable.Range(0, 7).Sum(stage => features.Extra[2 * stage].Value * 1e6);
            Assert.Equal(features.Macs - stemAndHead, stageMacs, 1.0);
        }
    }

    [Fact]
    public void A_k5_e6_layer_counts_its_expansion_depthwise_and_projection()
    {
        // Only layer 1 (16→16, stride 1) differs from all-skip: 1×1 16→96, BN, 5×5 depthwise 96, BN, 1×1 96→16, BN.
        var skip = Space.Features(Space.Parse(new string('8', 22)), Dataset.Cifar10);
        var one = Space.Features(Space.Parse("7" + new string('8', 21)), Dataset.Cifar10);
        Assert.Equal(16 * 96 + 2 * 96 + 96 * 25 + 2 * 96 + 96 * 16 + 2 * 16, one.Parameters - skip.Parameters);
        Assert.Equal((16 * 96 + 96 * 25 + 96 * 16) * 32 * 32, one.Macs - skip.Macs);
        // A grouped k3_e1_g2 in the same place: both 1×1 convolutions in 2 groups.
        var grouped = Space.Features(Space.Parse("1" + new string('8', 21)), Dataset.Cifar10);
        Assert.Equal(16 * 16 / 2 + 2 * 16 + 16 * 9 + 2 * 16 + 16 * 16 / 2 + 2 * 16, grouped.Parameters - skip.Parameters);
    }

    [Fact]
    public void ImageNet_uses_the_strided_stem_and_the_wider_head()
    {
        var features = Space.Features(Space.Parse(new string('8', 22)), Dataset.ImageNet);
        // 224 → 112 (stem) → 112, 56, 28, 14, 14, 7, 7.
        long macs = 3 * 16 * 9 * 112 * 112 + 16 * 24 * 56 * 56 + 24 * 32 * 28 * 28 + 32 * 64 * 14 * 14 + 64 * 112 * 14 * 14
                    + 112 * 184 * 7 * 7 + 184 * 352 * 7 * 7 + 352 * 1984 * 7 * 7 + 1984 * 1000;
        Assert.Equal(macs, features.Macs);
        Assert.Throws<InvalidInputException>(() => Nb201SpaceDatasets());

        static Dataset Nb201SpaceDatasets() => LatencyNas.Core.Spaces.Nb201.Nb201Space.Instance.ParseDataset("imagenet");
    }

    [Fact]
    public void Every_row_of_the_shared_FBNet_table_parses_and_the_sample_is_distinct()
    {
        var rows = SharedData.ReadCsv("fbnet_help_latency_ms.csv");
        var parsed = rows.Select(r => Space.Parse(r["ops"])).ToList();
        Assert.Equal(rows.Count, parsed.Distinct().Count());
        Assert.Equal(50, Space.SampleDistinct(50, seed: 3).Distinct().Count());
    }
}
