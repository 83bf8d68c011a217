using LatencyNas.Core;
using LatencyNas.Core.Spaces;
using LatencyNas.Core.Spaces.Nb201;
using LatencyNas.Torch.Networks;
using static TorchSharp.torch;

namespace LatencyNas.Torch.Tests.Networks;

public class NetworkFactoryTests
{
    private static readonly Nb201Space Space = Nb201Space.Instance;

    [Fact]
    public void Module_parameter_count_equals_the_analytic_count_on_a_sample()
    {
        var sample = Space.SampleDistinct(25, seed: 11).Append(Space.Parse("333333")).Append(Space.Parse("000000"));
        int i = 0;
        foreach (var architecture in sample)
        {
            var dataset = Dataset.All[i++ % 3];
            using var network = NetworkFactory.Create(Space, architecture, dataset);
            long actual = network.parameters().Sum(p => p.numel());
            Assert.Equal(Space.Features(architecture, dataset).Parameters, actual);
        }
    }

    [Theory]
    [InlineData("333333", 220_119_680)]
    [InlineData("111111", 7_783_040)]
    public void Counted_module_macs_equal_the_reference_figures(string digits, long macs)
    {
        using var network = NetworkFactory.BuildUnderSeed(() => new Nb201Network(Space.Parse(digits), Dataset.Cifar10), seed: 0);
        network.eval();
        Assert.Equal(macs, ModuleMacs.Count(network, [3, 32, 32]));
    }

    [Fact]
    public void Weights_are_fixed_by_the_seed()
    {
        var architecture = Space.Parse("231403");
        using var first = NetworkFactory.Create(Space, architecture, Dataset.Cifar10, seed: 4);
        using var again = NetworkFactory.Create(Space, architecture, Dataset.Cifar10, seed: 4);
        using var other = NetworkFactory.Create(Space, architecture, Dataset.Cifar10, seed: 5);
        var a = first.parameters().Select(p => p.data<float>().ToArray()).SelectMany(x => x).ToArray();
        var b = again.parameters().Select(p => p.data<float>().ToArray()).SelectMany(x => x).ToArray();
        var c = other.parameters().Select(p => p.data<float>().ToArray()).SelectMany(x => x).ToArray();
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public async Task Seeded_builds_on_other_threads_leave_the_weights_alone()
    {
        // libtorch has one global generator: a seeded build is only reproducible while every other
        // build that draws from it (here a layer built over and over on another thread) takes the seed lock.
        var architecture = Space.Parse("213043");
        using var stop = new CancellationTokenSource();
        var other = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var layer = NetworkFactory.BuildUnderSeed(() => nn.Conv2d(16, 16, 3), seed: 9);
            }
        });
        var weights = new List<float[]>();
        for (int i = 0; i < 4; i++)
        {
            using var network = NetworkFactory.Create(Space, architecture, Dataset.Cifar10, seed: 4);
            weights.Add(network.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray());
        }
        stop.Cancel();
        await other;
        Assert.All(weights.Skip(1), w => Assert.Equal(weights[0], w));
    }

    [Fact]
    public async Task Networks_built_on_several_threads_at_once_equal_those_built_one_at_a_time()
    {
        // A batch is prepared on every core: the calibration passes run concurrently, outside the seed lock.
        var architectures = Space.SampleDistinct(6, seed: 21);
        float[] State(Architecture architecture)
        {
            using var scope = NewDisposeScope();
            using var network = NetworkFactory.Create(Space, architecture, Dataset.Cifar10, seed: 3);
            return network.state_dict().Values.SelectMany(t => t.to_type(ScalarType.Float32).data<float>().ToArray()).ToArray();
        }
        var alone = architectures.Select(State).ToList();
        var together = await Task.WhenAll(Enumerable.Range(0, 3).SelectMany(_ => architectures.Select((a, i) => (a, i)))
            .Select(p => Task.Run(() => (p.i, State: State(p.a)))));
        Assert.All(together, built => Assert.Equal(alone[built.i], built.State));
    }

    [Fact]
    public void Network_is_in_eval_mode_with_calibrated_batchnorm()
    {
        using var network = NetworkFactory.Create(Space, Space.Parse("333333"), Dataset.Cifar10);
        Assert.False(network.training);
        var norms = network.modules().OfType<TorchSharp.Modules.BatchNorm2d>().ToList();
        Assert.Equal(1 + 30 * 3 + 2 * 2 + 1, norms.Count); // stem, 90 cell convs, 2 per residual block, last
        // Calibrated statistics are not the fresh module's mean 0 / variance 1.
        Assert.All(norms, n => Assert.True(n.running_var!.sub(1.0).abs().max().item<float>() > 1e-3));
    }

    [Fact]
    public void Forward_output_has_one_logit_per_class()
    {
        using var network = NetworkFactory.Create(Space, Space.Parse("214032"), Dataset.ImageNet16_120);
        // A generator of its own: drawing from libtorch's global one would race with networks other tests build at the same time.
        using var generator = new Generator(7);
        using var input = randn([2, 3, 16, 16], generator: generator);
        using var _ = no_grad();
        using var output = network.forward(input);
        Assert.Equal(new long[] { 2, 120 }, output.shape);
    }
}
