using LatencyNas.Core.Spaces;
using LatencyNas.Torch.Networks;
using static TorchSharp.torch;

namespace LatencyNas.Torch.Tests.Networks;

public class FbnetNetworkTests
{
    // Under the factory's seed lock: an unlocked build would draw from libtorch's global generator
    // between another test's manual_seed and its build, and change that test's weights.
    private static FbnetNetwork Build(string digits, int classes, bool imagenet)
        => NetworkFactory.BuildUnderSeed(() => new FbnetNetwork(digits, (imagenet ? Dataset.ImageNet : Dataset.Cifar10) with { Classes = classes }), seed: 0);

    /// <summary>
    /// The parameter count written out from the network's definition, independently of the module:
    /// stem conv + BN; per layer the block's three convs and BNs, or a projection skip's conv + BN;
    /// head conv + BN; classifier weights + bias.
    /// </summary>
    private static long HandCountedParameters(string digits, int classes, bool imagenet)
    {
        int[] kernel = [3, 3, 3, 3, 5, 5, 5, 5];
        int[] expansion = [1, 1, 3, 6, 1, 1, 3, 6];
        int[] groups = [1, 2, 1, 1, 1, 2, 1, 1];
        int[] layersPerStage = [1, 4, 4, 4, 4, 4, 1];
        int[] width = [16, 24, 32, 64, 112, 184, 352];
        int[] stageStride = imagenet ? [1, 2, 2, 2, 1, 2, 1] : [1, 1, 2, 2, 1, 2, 1];

        long total = 3 * 16 * 3 * 3 + 2 * 16;
        long inChannels = 16;
        int layer = 0;
        for (int stage = 0; stage < 7; stage++)
        {
            for (int i = 0; i < layersPerStage[stage]; i++)
            {
                long outChannels = width[stage];
                int stride = i == 0 ? stageStride[stage] : 1;
                int digit = digits[layer++] - '0';
                if (digit == 8)
                {
                    if (inChannels != outChannels || stride != 1)
                    {
                        total += inChannels * outChannels + 2 * outChannels;
                    }
                }
                else
                {
                    long hidden = inChannels * expansion[digit];
                    total += inChannels * hidden / groups[digit] + 2 * hidden;
                    total += hidden * kernel[digit] * kernel[digit] + 2 * hidden;
                    total += hidden * outChannels / groups[digit] + 2 * outChannels;
                }
                inChannels = outChannels;
            }
        }
        long head = imagenet ? 1984 : 1504;
        return total + 352 * head + 2 * head + head * classes + classes;
    }

    /// <summary>
    /// The MACs written out the same way: H_out·W_out·C_out·(C_in/G)·K·K per convolution (padding
    /// K/2, so H_out = ⌈H / stride⌉), in·out for the classifier.
    /// </summary>
    private static long HandCountedMacs(string digits, int classes, bool imagenet)
    {
        int[] kernel = [3, 3, 3, 3, 5, 5, 5, 5];
        int[] expansion = [1, 1, 3, 6, 1, 1, 3, 6];
        int[] groups = [1, 2, 1, 1, 1, 2, 1, 1];
        int[] layersPerStage = [1, 4, 4, 4, 4, 4, 1];
        int[] width = [16, 24, 32, 64, 112, 184, 352];
        int[] stageStride = imagenet ? [1, 2, 2, 2, 1, 2, 1] : [1, 1, 2, 2, 1, 2, 1];

        long resolution = imagenet ? 112 : 32;
        long total = resolution * resolution * 16 * 3 * 3 * 3;
        long inChannels = 16;
        int layer = 0;
        for (int stage = 0; stage < 7; stage++)
        {
            for (int i = 0; i < layersPerStage[stage]; i++)
            {
                long outChannels = width[stage];
                int stride = i == 0 ? stageStride[stage] : 1;
                long outResolution = (resolution + stride - 1) / stride;
                int digit = digits[layer++] - '0';
                if (digit == 8)
                {
                    if (inChannels != outChannels || stride != 1)
                    {
                        total += outResolution * outResolution * outChannels * inChannels;
                    }
                }
                else
                {
                    long hidden = inChannels * expansion[digit];
                    total += resolution * resolution * hidden * (inChannels / groups[digit]);
                    total += outResolution * outResolution * hidden * kernel[digit] * kernel[digit];
                    total += outResolution * outResolution * outChannels * (hidden / groups[digit]);
                }
                inChannels = outChannels;
                resolution = outResolution;
            }
        }
        long head = imagenet ? 1984 : 1504;
        return total + resolution * resolution * head * 352 + head * classes;
    }

    [Theory]
    [InlineData("8888888888888888888888", 10, false)]
    [InlineData("7777777777777777777777", 10, false)]
    [InlineData("0123456780123456780123", 10, false)]
    [InlineData("8888888888888888888888", 1000, true)]
    [InlineData("7777777777777777777777", 1000, true)]
    [InlineData("1526374801526374801528", 100, false)]
    public void Module_macs_equal_the_hand_count(string digits, int classes, bool imagenet)
    {
        using var network = Build(digits, classes, imagenet);
        network.eval();
        Assert.Equal(HandCountedMacs(digits, classes, imagenet), ModuleMacs.Count(network, [3, network.Dataset.Height, network.Dataset.Width]));
    }

    [Fact]
    public void All_skip_on_cifar10_has_the_macs_worked_out_in_full()
    {
        // Stem 32²·16·27 = 442,368; projections 393,216 + 196,608 + 131,072 + 458,752 + 329,728
        // + 1,036,288 (at 32², 16², 8², 8², 4², 4²); head 4²·1504·352 = 8,470,528; classifier 15,040.
        using var network = Build("8888888888888888888888", 10, imagenet: false);
        network.eval();
        Assert.Equal(11_473_600, ModuleMacs.Count(network, [3, 32, 32]));
    }

    [Theory]
    [InlineData("8888888888888888888888", 10, false)]
    [InlineData("7777777777777777777777", 10, false)]
    [InlineData("0123456780123456780123", 10, false)]
    [InlineData("8888888888888888888888", 1000, true)]
    [InlineData("7777777777777777777777", 1000, true)]
    [InlineData("1526374801526374801528", 100, false)]
    public void Module_parameter_count_equals_the_hand_count(string digits, int classes, bool imagenet)
    {
        using var network = Build(digits, classes, imagenet);
        Assert.Equal(HandCountedParameters(digits, classes, imagenet), network.parameters().Sum(p => p.numel()));
    }

    [Fact]
    public void All_skip_on_cifar10_has_the_count_worked_out_in_full()
    {
        // Stem 432 + 32; projections at the six stage starts that change width:
        // 16→24 432, 24→32 832, 32→64 2,176, 64→112 7,392, 112→184 20,976, 184→352 65,472;
        // head 352·1504 + 2·1504 = 532,416; classifier 1504·10 + 10 = 15,050.
        using var network = Build("8888888888888888888888", 10, imagenet: false);
        Assert.Equal(464 + 97_280 + 532_416 + 15_050, network.parameters().Sum(p => p.numel()));
    }

    [Theory]
    [InlineData("")]
    [InlineData("888888888888888888888")]
    [InlineData("88888888888888888888888")]
    [InlineData("8888888888888888888889")]
    [InlineData("888888888888888888888a")]
    [InlineData("88888888888 8888888888")]
    public void Rejects_anything_but_22_digits_0_to_8(string digits)
    {
        Assert.Throws<ArgumentException>(() => Build(digits, 10, imagenet: false));
    }

    [Theory]
    [InlineData(false, 32, 10)]
    [InlineData(true, 224, 1000)]
    public void Forward_gives_one_logit_per_class(bool imagenet, int resolution, int classes)
    {
        using var network = Build("1526374801526374801528", classes, imagenet);
        network.eval();
        using var generator = new Generator(3);
        using var input = randn([2, 3, resolution, resolution], generator: generator);
        using var _ = no_grad();
        using var output = network.forward(input);
        Assert.Equal(new long[] { 2, classes }, output.shape);
    }

    [Fact]
    public void Residual_only_where_the_shape_is_kept_and_skips_project_otherwise()
    {
        using var network = Build("3333333333333333333333", 10, imagenet: false);
        var blocks = network.modules().OfType<FbnetBlock>().ToList();
        Assert.Equal(22, blocks.Count);
        // Stage firsts: 16→16 stride 1 keeps the shape; the other six change width.
        Assert.Equal(22 - 6, blocks.Count(b => b.HasResidual));

        using var skips = Build("8888888888888888888888", 10, imagenet: false);
        Assert.Equal(6, skips.modules().OfType<TorchSharp.Modules.Conv2d>().Count() - 2); // less stem and head
    }

    [Fact]
    public void Channel_shuffle_interleaves_the_groups()
    {
        using var shuffle = new ChannelShuffle(2, 6, 1, 1);
        using var input = arange(6, dtype: ScalarType.Float32).reshape(1, 6, 1, 1);
        using var output = shuffle.forward(input);
        Assert.Equal(new float[] { 0, 3, 1, 4, 2, 5 }, output.data<float>().ToArray());
    }

    [Fact]
    public void Channel_shuffle_refuses_a_shape_it_was_not_built_for()
    {
        using var shuffle = new ChannelShuffle(2, 6, 4, 4);
        using var input = zeros(1, 6, 2, 2);
        Assert.Throws<ArgumentException>(() => shuffle.forward(input));
    }

    [Fact]
    public void The_space_s_analytic_counts_equal_the_factory_built_network_s_real_ones()
    {
        var space = LatencyNas.Core.Spaces.Fbnet.FbnetSpace.Instance;
        foreach (var (architecture, dataset) in space.SampleDistinct(6, seed: 11).Select(a => (a, LatencyNas.Core.Spaces.Dataset.Cifar10))
                     .Append((space.Parse("1526374801526374801528"), LatencyNas.Core.Spaces.Dataset.Cifar100))
                     .Append((space.Parse("0123456780123456780123"), LatencyNas.Core.Spaces.Dataset.ImageNet))
                     .Append((space.Parse("8765432108765432108765"), LatencyNas.Core.Spaces.Dataset.NinaPro))
                     .Append((space.Parse("1526374801526374801528"), LatencyNas.Core.Spaces.Dataset.Fsd50k))
                     .Append((space.Parse("0123456780123456780123"), LatencyNas.Core.Spaces.Dataset.Custom(2, 13, 37, 7))))
        {
            using var network = NetworkFactory.Create(space, architecture, dataset);
            var features = space.Features(architecture, dataset);
            Assert.Equal(features.Parameters, network.parameters().Sum(p => p.numel()));
            Assert.Equal(features.Macs, ModuleMacs.Count(network, [dataset.Channels, dataset.Height, dataset.Width]));
        }
    }
}
