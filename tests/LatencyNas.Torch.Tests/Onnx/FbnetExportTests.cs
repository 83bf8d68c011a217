using LatencyNas.Core.Spaces;
using LatencyNas.Onnx.Proto;
using LatencyNas.Tests;
using LatencyNas.Torch.Networks;
using LatencyNas.Torch.Onnx;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace LatencyNas.Torch.Tests.Onnx;

public class FbnetExportTests(ITestOutputHelper output)
{
    private static string RandomDigits(Random random) => new(Enumerable.Range(0, 22).Select(_ => (char)('0' + random.Next(9))).ToArray());

    private static nn.Module<Tensor, Tensor> Build(string digits, int classes, bool imagenet, int seed)
        => NetworkFactory.CreateSeeded(() => new FbnetNetwork(digits, (imagenet ? Dataset.ImageNet : Dataset.Cifar10) with { Classes = classes }), 3, imagenet ? 224 : 32, imagenet ? 224 : 32, seed);

    private static OnnxExportOptions Options(int classes, bool imagenet, int batchSize = 1)
    {
        int resolution = imagenet ? 224 : 32;
        return new OnnxExportOptions([3, resolution, resolution], batchSize, OutputShape: [classes]);
    }

    /// <summary>30 seeded random architectures on CIFAR-10, the uniform extremes, and a few on CIFAR-100 and ImageNet.</summary>
    public static TheoryData<string, int, bool> Cases()
    {
        var data = new TheoryData<string, int, bool>();
        var random = new Random(2026);
        for (int i = 0; i < 30; i++)
        {
            data.Add(RandomDigits(random), 10, false);
        }
        foreach (char digit in "0123456789"[..9])
        {
            data.Add(new string(digit, 22), 10, false);
        }
        for (int i = 0; i < 3; i++)
        {
            data.Add(RandomDigits(random), 100, false);
        }
        data.Add("1526374801526374801528", 1000, true);
        for (int i = 0; i < 2; i++)
        {
            data.Add(RandomDigits(random), 1000, true);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Onnx_runtime_reproduces_torchsharp_within_1e_4(string digits, int classes, bool imagenet)
    {
        int seed = digits.Aggregate(17, (hash, c) => (hash * 31 + c) % 9_973);
        using var network = Build(digits, classes, imagenet, seed);
        var (difference, magnitude) = ExportParity.Compare(network, Options(classes, imagenet), seed);
        output.WriteLine($"{digits} classes={classes} imagenet={imagenet}: max |Δ| {difference:E2}, max |output| {magnitude:F3}");
        Assert.InRange(difference, 0, ExportParity.Tolerance);
        Assert.True(magnitude > 1e-3, $"output magnitude {magnitude} is too small to compare");
    }

    [Fact]
    public void Parity_holds_for_a_batch_larger_than_one()
    {
        using var network = Build("1526374801526374801528", 10, false, seed: 5);
        var (difference, _) = ExportParity.Compare(network, Options(10, false, batchSize: 3), seed: 5);
        Assert.InRange(difference, 0, ExportParity.Tolerance);
    }

    [Fact]
    public void Grouped_and_depthwise_convolutions_carry_their_group_and_shuffles_are_reshape_transpose_reshape()
    {
        // Layer 0 is k3_e1_g2 on 16 channels at 32×32; layer 1 k5_e6 on 16 → 24 (depthwise over 96).
        using var network = Build("1788888888888888888888", 10, false, seed: 1);
        var graph = ModelProto.Parser.ParseFrom(OnnxExporter.Export(network, Options(10, false))).Graph;
        long Group(string nodeName) => graph.Node.Single(n => n.Name == nodeName).Attribute.Single(a => a.Name == "group").I;

        Assert.Equal(2, Group("layers.0.expand.conv/Conv"));
        Assert.Equal(16, Group("layers.0.depthwise.conv/Conv"));
        Assert.Equal(2, Group("layers.0.project.conv/Conv"));
        Assert.Equal(1, Group("layers.1.expand.conv/Conv"));
        Assert.Equal(96, Group("layers.1.depthwise.conv/Conv"));

        var shuffle = graph.Node.Where(n => n.Name.StartsWith("layers.0.shuffle/")).ToList();
        Assert.Equal(["Reshape", "Transpose", "Reshape"], shuffle.Select(n => n.OpType));
        Assert.Equal([0L, 2, 1, 3, 4], shuffle[1].Attribute.Single(a => a.Name == "perm").Ints);
        var constants = graph.Initializer.ToDictionary(i => i.Name);
        Assert.Equal([0L, 2, 8, 32, 32], constants[shuffle[0].Input[1]].Int64Data);
        Assert.Equal([0L, 16, 32, 32], constants[shuffle[2].Input[1]].Int64Data);
        Assert.Equal((int)TensorProto.Types.DataType.Int64, constants[shuffle[0].Input[1]].DataType);
        Assert.DoesNotContain(graph.Node, n => n.Name.StartsWith("layers.1.shuffle"));
    }

    [Fact]
    public void Residual_adds_only_where_the_shape_is_kept_and_skips_are_identities_or_projections()
    {
        using var blocks = Build("3333333333333333333333", 10, false, seed: 2);
        var blockGraph = ModelProto.Parser.ParseFrom(OnnxExporter.Export(blocks, Options(10, false))).Graph;
        Assert.Equal(22 - 6, blockGraph.Node.Count(n => n.OpType == "Add"));

        using var skips = Build("8888888888888888888888", 10, false, seed: 2);
        var skipGraph = ModelProto.Parser.ParseFrom(OnnxExporter.Export(skips, Options(10, false))).Graph;
        var counts = skipGraph.Node.GroupBy(n => n.OpType).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(1 + 6 + 1, counts["Conv"]);   // stem, the six width-changing projections, head
        Assert.Equal(1 + 6 + 1, counts["Relu"]);
        Assert.False(counts.ContainsKey("Add"));
    }

    [Fact]
    public void A_lone_channel_shuffle_exports_to_the_same_permutation()
    {
        using var module = nn.Sequential(("shuffle", new ChannelShuffle(4, 8, 3, 3)));
        module.eval();
        var options = new OnnxExportOptions([8, 3, 3], BatchSize: 2);
        var (difference, magnitude) = ExportParity.Compare(module, options, seed: 4);
        Assert.Equal(0, difference);
        Assert.True(magnitude > 0.1);
        var graph = ModelProto.Parser.ParseFrom(OnnxExporter.Export(module, options)).Graph;
        Assert.Equal(new long[] { 2, 8, 3, 3 }, Assert.Single(graph.Output).Type.TensorType.Shape.Dim.Select(d => d.DimValue));
    }

    [SkippableFact]
    public void Fbnet_exports_pass_the_onnx_checker_and_declare_their_output_shape()
    {
        Skip.IfNot(OnnxChecker.Available, "the ONNX checker needs Debian's python3-onnx (.ci/run installs it)");
        using var directory = new LatencyNas.Tests.TempDirectory();
        var random = new Random(77);
        var cases = Enumerable.Range(0, 4).Select(_ => (Digits: RandomDigits(random), Classes: 10, ImageNet: false))
            .Append((Digits: "7777777777777777777777", Classes: 10, ImageNet: false))
            .Append((Digits: "8888888888888888888888", Classes: 100, ImageNet: false))
            .Append((Digits: "1515151515151515151515", Classes: 1000, ImageNet: true))
            .ToList();
        var files = cases.Select((c, i) =>
        {
            using var network = Build(c.Digits, c.Classes, c.ImageNet, seed: i);
            byte[] model = OnnxExporter.Export(network, Options(c.Classes, c.ImageNet, batchSize: 2));
            var declared = ModelProto.Parser.ParseFrom(model).Graph.Output.Single().Type.TensorType.Shape.Dim.Select(d => d.DimValue);
            Assert.Equal(new long[] { 2, c.Classes }, declared);
            string file = directory.File($"fbnet{i}.onnx");
            File.WriteAllBytes(file, model);
            return file;
        }).ToList();

        var verdicts = OnnxChecker.Check(files);

        Assert.Equal(files.Count, verdicts.Count);
        Assert.All(verdicts, v => Assert.True(v.Value == "ok", $"{v.Key}: {v.Value}"));
    }
}
