using LatencyNas.Core.Spaces;
using LatencyNas.Core.Spaces.Nb201;
using LatencyNas.Torch.Networks;

namespace LatencyNas.Torch.Tests.Networks;

public class ZeroCostProxiesTests
{
    private static readonly Nb201Space Space = Nb201Space.Instance;

    [Theory]
    [InlineData("synflow")]
    [InlineData("zico")]
    public void Scores_are_computed_on_real_networks_and_differ_between_architectures(string proxy)
    {
        double heavy = ZeroCostProxies.Compute(proxy, Space, Space.Parse("333333"), Dataset.Cifar10);
        double light = ZeroCostProxies.Compute(proxy, Space, Space.Parse("111111"), Dataset.Cifar10);
        double mixed = ZeroCostProxies.Compute(proxy, Space, Space.Parse("312403"), Dataset.Cifar10);
        Assert.All(new[] { heavy, light, mixed }, s => Assert.True(double.IsFinite(s), $"{proxy} gave {s}"));
        Assert.Equal(3, new[] { heavy, light, mixed }.Distinct().Count());
        // More trainable convolutions should look more promising to both proxies.
        Assert.True(heavy > light, $"{proxy}: 333333 {heavy} vs 111111 {light}");
    }

    [Fact]
    public void Scores_are_reproducible_for_a_seed()
    {
        var architecture = Space.Parse("213043");
        double zico = ZeroCostProxies.Zico(Space, architecture, Dataset.Cifar10, seed: 3);
        Assert.Equal(zico, ZeroCostProxies.Zico(Space, architecture, Dataset.Cifar10, seed: 3));
        Assert.Equal(ZeroCostProxies.Synflow(Space, architecture, Dataset.Cifar10, seed: 3), ZeroCostProxies.Synflow(Space, architecture, Dataset.Cifar10, seed: 3));
        Assert.NotEqual(zico, ZeroCostProxies.Zico(Space, architecture, Dataset.Cifar10, seed: 4)); // and the seed matters
    }

    [Fact]
    public void Unknown_proxy_is_bad_input()
        => Assert.Throws<Core.InvalidInputException>(() => ZeroCostProxies.Compute("jacov", Space, Space.Parse("111111"), Dataset.Cifar10));
}
