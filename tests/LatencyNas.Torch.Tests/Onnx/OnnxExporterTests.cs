using LatencyNas.Core.Spaces;
using LatencyNas.Core.Spaces.Nb201;
using LatencyNas.Onnx.Proto;
using LatencyNas.Tests;
using LatencyNas.Torch.Networks;
using LatencyNas.Torch.Onnx;
using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;

namespace LatencyNas.Torch.Tests.Onnx;

public class OnnxExporterTests
{
    private static readonly Nb201Space Space = Nb201Space.Instance;

    [Theory]
    [InlineData("cifar10", 1)]
    [InlineData("cifar100", 8)]
    [InlineData("imagenet16-120", 3)]
    public void Exported_model_loads_in_a_fresh_session_with_the_declared_shapes(string datasetName, int batch)
    {
        var dataset = Dataset.Parse(datasetName);
        byte[] model = NetworkFactory.ExportOnnx(Space, Space.Parse("123401"), dataset, batch);

        using var session = new InferenceSession(model);
        var input = Assert.Single(session.InputMetadata);
        Assert.Equal("input", input.Key);
        Assert.Equal(new[] { batch, dataset.Channels, dataset.Height, dataset.Width }, input.Value.Dimensions);
        Assert.Equal(typeof(float), input.Value.ElementType);
        var output = Assert.Single(session.OutputMetadata);
        Assert.Equal("logits", output.Key);

        using var value = OrtValue.CreateTensorValueFromMemory(new float[batch * dataset.Channels * dataset.Height * dataset.Width], [batch, dataset.Channels, dataset.Height, dataset.Width]);
        using var outputs = session.Run(new RunOptions(), ["input"], [value], ["logits"]);
        Assert.Equal(new long[] { batch, dataset.Classes }, outputs[0].GetTensorTypeAndShape().Shape);
    }

    /// <summary>Exports used to fail the ONNX checker: "Field 'shape' of 'type' is required but missing" on the graph output.</summary>
    [SkippableFact]
    public void Every_export_passes_the_onnx_checker()
    {
        Skip.IfNot(OnnxChecker.Available, "the ONNX checker needs Debian's python3-onnx (.ci/run installs it)");
        using var directory = new LatencyNas.Tests.TempDirectory();
        var cases = Space.SampleDistinct(20, seed: 13).Select(a => (a, Dataset.Cifar10, 1))
            .Concat(new[] { "000000", "111111", "333333", "300000", "121212" }.Select(d => (Space.Parse(d), Dataset.Parse("imagenet16-120"), 2)))
            .ToList();
        var files = cases.Select((c, i) =>
        {
            string file = directory.File($"m{i}.onnx");
            File.WriteAllBytes(file, NetworkFactory.ExportOnnx(Space, c.Item1, c.Item2, c.Item3));
            return file;
        }).ToList();

        var verdicts = OnnxChecker.Check(files);

        Assert.Equal(files.Count, verdicts.Count);
        Assert.All(verdicts, v => Assert.True(v.Value == "ok", $"{v.Key}: {v.Value}"));
    }

    /// <summary>Every edge leaving a cell node applied its own ReLU to it: 50 ReLU nodes in 121212 where 35 compute something new.</summary>
    [Fact]
    public void No_computation_is_written_twice_and_the_output_declares_its_shape()
    {
        foreach (var architecture in Space.SampleDistinct(15, seed: 14).Append(Space.Parse("121212")))
        {
            var model = ModelProto.Parser.ParseFrom(NetworkFactory.ExportOnnx(Space, architecture, Dataset.Cifar10));
            var computations = model.Graph.Node.Select(n => $"{n.OpType}({string.Join(",", n.Input)}){string.Concat(n.Attribute.Select(a => a.ToString()))}").ToList();
            Assert.Equal(computations.Count, computations.Distinct().Count());
            var output = Assert.Single(model.Graph.Output);
            Assert.Equal(new long[] { 1, 10 }, output.Type.TensorType.Shape.Dim.Select(d => d.DimValue));
        }
        var relus = ModelProto.Parser.ParseFrom(NetworkFactory.ExportOnnx(Space, Space.Parse("121212"), Dataset.Cifar10)).Graph.Node.Count(n => n.OpType == "Relu");
        Assert.Equal(35, relus); // as many as PyTorch's own export of the network
    }

    /// <summary>
    /// A node with three inputs used to be one n-ary Sum, which ONNX Runtime cannot fold into a
    /// convolution: 121212 ran 1.13–1.20× slower than PyTorch's export of the same network.
    /// </summary>
    [Fact]
    public void A_sum_is_a_chain_of_binary_adds_in_edge_order_as_pytorch_writes_it()
    {
        var model = ModelProto.Parser.ParseFrom(NetworkFactory.ExportOnnx(Space, Space.Parse("121212"), Dataset.Cifar10));

        Assert.DoesNotContain(model.Graph.Node, n => n.OpType == "Sum");
        // Per cell: node2 = conv(n0) + n1 is one Add, node3 = conv(n0) + n1 + conv(n2) two; and the two residual sums.
        Assert.Equal(15 * 3 + 2, model.Graph.Node.Count(n => n.OpType == "Add"));
        var producers = model.Graph.Node.ToDictionary(n => n.Output.Single());
        var cellOutput = producers.Values.Where(n => n.Name.StartsWith("cells.0/node3/")).Last();
        Assert.Equal("Add", cellOutput.OpType);
        var (partial, last) = (producers[cellOutput.Input[0]], producers[cellOutput.Input[1]]);
        Assert.Equal("Add", partial.OpType);
        Assert.Equal("cells.0.edges.3.bn/BatchNormalization", producers[partial.Input[0]].Name); // (conv(n0)
        Assert.Equal("stem.bn/BatchNormalization", producers[partial.Input[1]].Name);             //  + n1, the cell input)
        Assert.Equal("cells.0.edges.5.bn/BatchNormalization", last.Name);                          //  + conv(n2)
    }

    /// <summary>What the chain of Adds is for: on a CPU where ONNX Runtime uses its blocked (NCHWc) layout, every sum of 121212 is folded into a convolution.</summary>
    [SkippableFact]
    public void Onnx_runtime_folds_every_sum_of_121212_into_a_convolution()
    {
        using var directory = new LatencyNas.Tests.TempDirectory();
        string optimizedFile = directory.File("optimized.onnx");
        using (var options = new SessionOptions { IntraOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, OptimizedModelFilePath = optimizedFile })
        using (new InferenceSession(NetworkFactory.ExportOnnx(Space, Space.Parse("121212"), Dataset.Cifar10), options))
        {
        }
        var optimized = ModelProto.Parser.ParseFrom(File.ReadAllBytes(optimizedFile)).Graph.Node;
        Skip.IfNot(optimized.Any(n => n.OpType == "ReorderOutput"), "ONNX Runtime does not use its NCHWc layout on this CPU");

        Assert.DoesNotContain(optimized, n => n.OpType is "Add" or "Sum");
    }

    [Fact]
    public void Without_a_given_output_shape_the_exporter_finds_it_by_a_pass_over_zeros()
    {
        using var module = NetworkFactory.BuildUnderSeed(() => nn.Sequential(("conv", nn.Conv2d(3, 4, 3)), ("relu", nn.ReLU())), seed: 0);
        module.eval();
        var model = ModelProto.Parser.ParseFrom(OnnxExporter.Export(module, new OnnxExportOptions([3, 8, 8], BatchSize: 2)));
        Assert.Equal(new long[] { 2, 4, 6, 6 }, Assert.Single(model.Graph.Output).Type.TensorType.Shape.Dim.Select(d => d.DimValue));
    }

    [Fact]
    public void Model_declares_opset_ir_version_and_producer()
    {
        var model = ModelProto.Parser.ParseFrom(NetworkFactory.ExportOnnx(Space, Space.Parse("333133"), Dataset.Cifar10));
        Assert.Equal(OnnxExportOptions.IrVersion, model.IrVersion);
        Assert.Equal(OnnxExportOptions.OpsetVersion, Assert.Single(model.OpsetImport).Version);
        Assert.Equal("LatencyNas", model.ProducerName);
    }

    [Fact]
    public void Initializers_hold_every_parameter_once_with_its_module_path()
    {
        using var network = NetworkFactory.Create(Space, Space.Parse("333333"), Dataset.Cifar10);
        var model = ModelProto.Parser.ParseFrom(OnnxExporter.Export(network, NetworkFactory.ExportOptions(Dataset.Cifar10)));
        var names = model.Graph.Initializer.Select(i => i.Name).ToHashSet();
        foreach (var (name, _) in network.named_parameters())
        {
            Assert.Contains(name, names);
        }
        long exportedWeights = model.Graph.Initializer.Where(i => !i.Name.EndsWith("running_mean") && !i.Name.EndsWith("running_var") && i.Name != "zero")
            .Sum(i => i.Dims.Aggregate(1L, (a, b) => a * b));
        Assert.Equal(Space.Features(Space.Parse("333333"), Dataset.Cifar10).Parameters, exportedWeights);
    }

    [Fact]
    public void None_edges_are_left_out_and_zero_nodes_keep_their_input()
    {
        // 000000: every node of every cell is zero; each cell output is Mul(cell input, 0) and nothing else.
        var model = ModelProto.Parser.ParseFrom(NetworkFactory.ExportOnnx(Space, Space.Parse("000000"), Dataset.Cifar10));
        var opCounts = model.Graph.Node.GroupBy(n => n.OpType).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(15, opCounts["Mul"]);
        Assert.Equal(1 + 2 * 3, opCounts["Conv"]); // stem and the two residual blocks only
        Assert.Equal(2, opCounts["Add"]);          // the residual sums

        // 300000: node1 = conv(input) is used by nothing, so it is not written.
        var dead = ModelProto.Parser.ParseFrom(NetworkFactory.ExportOnnx(Space, Space.Parse("300000"), Dataset.Cifar10));
        Assert.DoesNotContain(dead.Graph.Node, n => n.Name.StartsWith("cells.0.edges.0"));
    }

    /// <summary>The predictors' <c>computed_*</c> and <c>zero_nodes</c> features count what the export writes.</summary>
    [Fact]
    public void The_computed_cell_counts_the_nodes_the_export_writes()
    {
        foreach (var architecture in Space.SampleDistinct(60, seed: 21).Concat(new[] { "041241", "414141", "200033", "000000" }.Select(Space.Parse)))
        {
            var computed = Nb201Cell.Computed(architecture);
            var model = ModelProto.Parser.ParseFrom(NetworkFactory.ExportOnnx(Space, architecture, Dataset.Cifar10));
            int Count(string opType) => model.Graph.Node.Count(n => n.OpType == opType);
            // 15 cells, beside the stem's convolution, the two residual blocks' three convolutions, two ReLUs,
            // pool and sum, and the ReLU before the classifier.
            Assert.Equal(1 + 2 * 3 + 15 * (computed.Convolutions1x1 + computed.Convolutions3x3), Count("Conv"));
            Assert.Equal(2 + 15 * computed.Pools, Count("AveragePool"));
            Assert.Equal(2 * 2 + 1 + 15 * computed.Relus, Count("Relu"));
            Assert.Equal(2 + 15 * computed.Additions, Count("Add"));
            Assert.Equal(15 * computed.ZeroNodes, Count("Mul"));
        }
    }

    [Fact]
    public void Refuses_a_module_in_training_mode()
    {
        using var network = NetworkFactory.BuildUnderSeed(() => new Nb201Network(Space.Parse("111111"), Dataset.Cifar10), seed: 0);
        network.train();
        Assert.Throws<InvalidOperationException>(() => OnnxExporter.Export(network, NetworkFactory.ExportOptions(Dataset.Cifar10)));
    }

    [Fact]
    public void Names_the_module_it_cannot_translate()
    {
        using var network = NetworkFactory.BuildUnderSeed(() => nn.Sequential(("conv", nn.Conv2d(3, 4, 3)), ("act", nn.GELU())), seed: 0);
        network.eval();
        var error = Assert.Throws<NotSupportedException>(() => OnnxExporter.Export(network, new OnnxExportOptions([3, 8, 8])));
        Assert.Contains("act", error.Message);
        Assert.Contains("GELU", error.Message);
    }
}
