using LatencyNas.Core.Spaces;
using LatencyNas.Core.Spaces.Fbnet;
using LatencyNas.Core.Spaces.Nb201;
using LatencyNas.Torch.Networks;
using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;

namespace LatencyNas.Torch.Tests.Networks;

/// <summary>Networks of both spaces at inputs other than CIFAR's: one channel, non-square, odd sides.</summary>
public class TaskShapeTests
{
    public static TheoryData<string, string, string> Cases() => new()
    {
        { "nb201", "342104", "ninapro" },      // 1×16×52, 18 classes
        { "nb201", "333333", "fsd50k" },       // 1×96×102: 102 → 51, an odd side at the second reduction
        { "nb201", "123412", "spherical" },    // 3×60×60, 100 classes
        { "nb201", "213043", "2x13x37-7cls" }, // odd from the start
        { "fbnet", "1526374801526374801528", "ninapro" },
        { "fbnet", "0123456780123456780123", "fsd50k" }, // ImageNet's layout: both sides exceed 64
        { "fbnet", "8765432108765432108765", "2x13x37-7cls" },
    };

    private static (SearchSpace Space, Architecture Architecture, Dataset Dataset) Case(string spaceName, string arch, string task)
    {
        var space = SearchSpaces.Get(spaceName);
        return (space, space.Parse(arch), space.ParseDataset(task));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_stem_takes_the_task_s_channels_and_the_classifier_gives_its_classes(string spaceName, string arch, string task)
    {
        var (space, architecture, dataset) = Case(spaceName, arch, task);
        using var network = NetworkFactory.Create(space, architecture, dataset);
        var firstConv = network.modules().OfType<TorchSharp.Modules.Conv2d>().First();
        Assert.Equal(dataset.Channels, firstConv.in_channels);
        using var generator = new Generator(1);
        using var output = network.forward(randn([2, dataset.Channels, dataset.Height, dataset.Width], generator: generator));
        Assert.Equal(new long[] { 2, dataset.Classes }, output.shape);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Analytic_parameters_and_macs_follow_the_shape(string spaceName, string arch, string task)
    {
        var (space, architecture, dataset) = Case(spaceName, arch, task);
        using var network = NetworkFactory.Create(space, architecture, dataset);
        var features = space.Features(architecture, dataset);
        Assert.Equal(features.Parameters, network.parameters().Sum(p => p.numel()));
        Assert.Equal(features.Macs, ModuleMacs.Count(network, [dataset.Channels, dataset.Height, dataset.Width]));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_export_declares_the_task_s_shapes_and_equals_torchsharp(string spaceName, string arch, string task)
    {
        var (space, architecture, dataset) = Case(spaceName, arch, task);
        var parity = ExportParity.Check(space, architecture, dataset, seed: 5);
        Assert.InRange(parity.MaxAbsDifference, 0, ExportParity.Tolerance);
        Assert.True(parity.MaxAbsOutput > 1e-3, $"output magnitude {parity.MaxAbsOutput} is too small to compare");

        using var session = new InferenceSession(NetworkFactory.ExportOnnx(space, architecture, dataset));
        Assert.Equal(new[] { 1, dataset.Channels, dataset.Height, dataset.Width }, session.InputMetadata.Single().Value.Dimensions);
        Assert.Equal(new[] { 1, dataset.Classes }, session.OutputMetadata.Single().Value.Dimensions);
    }

    [Fact]
    public void Even_inputs_keep_the_benchmark_s_residual_shortcut_and_odd_ones_round_up()
    {
        var space = Nb201Space.Instance;
        using var cifar = NetworkFactory.Create(space, space.Parse("333333"), Dataset.Cifar10);
        Assert.All(cifar.modules().OfType<TorchSharp.Modules.AvgPool2d>().Where(p => p.kernel_size[0] == 2), pool => Assert.False(pool.ceil_mode));
        using var audio = NetworkFactory.Create(space, space.Parse("333333"), Dataset.Fsd50k);
        // 96×102 → 48×51: the second reduction sees an odd width and rounds up; the first does not.
        Assert.Equal([false, true], audio.modules().OfType<TorchSharp.Modules.AvgPool2d>().Where(p => p.kernel_size[0] == 2).Select(p => p.ceil_mode));
        Assert.True(FbnetSpace.UsesImageNetLayout(Dataset.Fsd50k));
        Assert.False(FbnetSpace.UsesImageNetLayout(Dataset.Spherical));
    }
}
