using LatencyNas.Torch.Networks;
using static TorchSharp.torch;

namespace LatencyNas.Torch.Tests.Networks;

public class FbnetNetworkTests
{
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

    [Theory]
    [InlineData("8888888888888888888888", 10, false)]
    [InlineData("7777777777777777777777", 10, false)]
    [InlineData("0123456780123456780123", 10, false)]
    [InlineData("8888888888888888888888", 1000, true)]
    [InlineData("7777777777777777777777", 1000, true)]
    [InlineData("1526374801526374801528", 100, false)]
    public void Module_parameter_count_equals_the_hand_count(string digits, int classes, bool imagenet)
    {
        using var network = new FbnetNetwork(digits, classes, imagenet);
        Assert.Equal(HandCountedParameters(digits, classes, imagenet), network.parameters().Sum(p => p.numel()));
    }

    [Fact]
    public void All_skip_on_cifar10_has_the_count_worked_out_in_full()
    {
        // Stem 432 + 32; projections at the six stage starts that change width:
        // 16→24 432, 24→32 832, 32→64 2,176, 64→112 7,392, 112→184 20,976, 184→352 65,472;
        // head 352·1504 + 2·1504 = 532,416; classifier 1504·10 + 10 = 15,050.
        using var network = new FbnetNetwork("8888888888888888888888", 10, imagenet: false);
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
        Assert.Throws<ArgumentException>(() => new FbnetNetwork(digits, 10, imagenet: false));
    }

    [Theory]
    [InlineData(false, 32, 10)]
    [InlineData(true, 224, 1000)]
    public void Forward_gives_one_logit_per_class(bool imagenet, int resolution, int classes)
    {
        using var network = new FbnetNetwork("1526374801526374801528", classes, imagenet);
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
        using var network = new FbnetNetwork("3333333333333333333333", 10, imagenet: false);
        var blocks = network.modules().OfType<FbnetBlock>().ToList();
        Assert.Equal(22, blocks.Count);
        // Stage firsts: 16→16 stride 1 keeps the shape; the other six change width.
        Assert.Equal(22 - 6, blocks.Count(b => b.HasResidual));

        using var skips = new FbnetNetwork("8888888888888888888888", 10, imagenet: false);
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
}
