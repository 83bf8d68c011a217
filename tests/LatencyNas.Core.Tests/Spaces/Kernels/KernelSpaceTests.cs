using LatencyNas.Core.Spaces;
using LatencyNas.Core.Spaces.Kernels;

namespace LatencyNas.Core.Tests.Spaces.Kernels;

public sealed class KernelSpaceTests
{
    [Fact]
    public void Kernel_spaces_are_named_spaces_whose_predictors_see_only_numbers()
    {
        foreach (var space in KernelSpace.All)
        {
            Assert.Same(space, SearchSpaces.Get(space.Name));
            Assert.False(space.EncodesChoices);
            Assert.All(space.Decisions, d => Assert.InRange(d.Choices.Count, 2, 36));
            Assert.True(space.CanBeListed);
        }
        Assert.True(SearchSpaces.Get("nb201").EncodesChoices);
    }

    /// <summary>A convolution on the grid: 28×28 input (base 128 channels), in ×1, out ×2, 3×3, stride 2, ReLU.</summary>
    [Fact]
    public void A_convolution_s_configuration_and_features_follow_from_its_digits()
    {
        var member = KernelSpace.Conv.FromDigits("556111");

        var config = KernelSpace.Conv.Config(member);

        Assert.Equal(new KernelConfig(KernelKind.Conv, 28, 128, 256, 3, 2, 1), config);
        Assert.Equal(14, config.OutputResolution);
        Assert.Equal(14L * 14 * 256 * 128 * 9, config.Macs);
        Assert.Equal("conv 28x28 128->256 k3 s2 relu", KernelSpace.Conv.Format(member));
        var features = KernelSpace.Conv.Features(member, Dataset.Cifar10);
        Assert.Equal((config.Weights, config.Macs), (features.Parameters, features.Macs));
        Assert.Equal(config.Numbers.Select(n => n.Key), features.Extra.Select(e => e.Key));
        Assert.Throws<InvalidInputException>(() => KernelSpace.Conv.Parse("conv 28x28"));
    }

    /// <summary>Resolutions past the tenth choice are written with letters; the first nine keep their digits, so stored kernels keep their configurations.</summary>
    [Fact]
    public void A_resolution_past_the_tenth_choice_is_a_letter_that_parses_back()
    {
        var stem = KernelSpace.Conv.Parse("f02311");
        Assert.Equal(new KernelConfig(KernelKind.Conv, 224, 3, Stem(224), 7, 2, 1), KernelSpace.Conv.Config(stem));
        Assert.Equal(15, stem[0]);
        Assert.Equal("c", KernelSpace.Conv.FromPosition(12 * (KernelSpace.Conv.Size / 16)).Digits[..1]);
        Assert.Equal(28, KernelSpace.Conv.Config(KernelSpace.Conv.FromDigits("556111")).Resolution);
        Assert.Contains(KernelSpace.Conv.SampleDistinct(2_000, seed: 0), a => a.Digits[0] is >= 'a' and <= 'f');
        var error = Assert.Throws<InvalidInputException>(() => KernelSpace.Conv.FromDigits("g02311"));
        Assert.Contains("use 0-f", error.Message);

        static int Stem(int resolution) => Math.Max(8, (int)Math.Round(KernelSpace.BaseChannels(resolution) * 0.5 / 8) * 8);
    }

    /// <summary>A kernel on the grid is its own nearest; one off the grid lands on the closest sizes, with its variant.</summary>
    [Fact]
    public void The_nearest_member_of_a_kernel_is_itself_on_the_grid_and_the_closest_off_it()
    {
        foreach (var space in KernelSpace.All)
        {
            foreach (var member in space.SampleDistinct(Math.Min(40, (int)space.Size), seed: 1))
            {
                Assert.Equal(space.Config(member), space.Config(space.Nearest(space.Config(member))));
            }
        }

        // A MobileNetV2 stem at 160: 3 channels in, 32 out, 3×3, stride 2, ReLU6 fused.
        var stem = KernelSpace.Conv.Config(KernelSpace.Conv.Nearest(new KernelConfig(KernelKind.Conv, 160, 3, 32, 3, 2, 1)));
        Assert.Equal((160, 3, 3, 2, 1), (stem.Resolution, stem.InputChannels, stem.Kernel, stem.Stride, stem.Variant));
        Assert.InRange(stem.OutputChannels, 24, 40);
        var depthwise = KernelSpace.DepthwiseConv.Config(KernelSpace.DepthwiseConv.Nearest(new KernelConfig(KernelKind.DepthwiseConv, 20, 192, 192, 3, 1, 1)));
        Assert.Equal((20, 3, 1, 1), (depthwise.Resolution, depthwise.Kernel, depthwise.Stride, depthwise.Variant));
        Assert.InRange(depthwise.InputChannels, 128, 288);
    }

    [Fact]
    public void Channels_shrink_as_the_input_grows_and_stay_multiples_of_eight()
    {
        int[] resolutions = [4, 7, 8, 14, 16, 28, 32, 56, 112];
        var bases = resolutions.Select(KernelSpace.BaseChannels).ToList();
        Assert.Equal(bases.OrderDescending(), bases);
        Assert.All(bases, b => Assert.Equal(0, b % 8));
        Assert.Equal(32, KernelSpace.BaseChannels(112));
    }
}
