using LatencyNas.Core;
using LatencyNas.Core.Spaces;
using LatencyNas.Core.Spaces.Nb201;

namespace LatencyNas.Prediction.Tests;

public class LatencyDataTests
{
    private static LatencyData Device()
    {
        var architectures = Nb201Space.Instance.Enumerate().Take(1_000).ToArray();
        return new LatencyData("d", Nb201Space.Instance, Dataset.Cifar10, architectures, architectures.Select((_, i) => 1.0 + i).ToArray());
    }

    [Fact]
    public void Samples_spread_across_a_ranking_take_one_from_each_equal_stratum_and_leave_the_rest_to_test()
    {
        var device = Device();
        // Ranked by latency, reversed; the first 100 have no key and can only be tested on.
        var key = device.Architectures.Select((a, i) => (a, i)).ToDictionary(p => p.a, p => p.i < 100 ? (double?)null : -device.LatenciesMs[p.i]);

        var (train, test) = device.SplitAcross(10, a => key[a], seed: 3);

        Assert.Equal(10, train.Count);
        Assert.Equal(990, test.Count);
        Assert.Empty(train.Architectures.Intersect(test.Architectures));
        // The 900 ranked ones (latency 101 to 1,000 ms) in ten strata of 90: one sample from each.
        var strata = train.LatenciesMs.Select(l => (int)((1_000 - l) / 90)).Order().ToArray();
        Assert.Equal(Enumerable.Range(0, 10), strata);
        Assert.Equal(train.Architectures, device.SplitAcross(10, a => key[a], seed: 3).Train.Architectures); // seeded
        Assert.NotEqual(train.Architectures, device.SplitAcross(10, a => key[a], seed: 4).Train.Architectures);
    }

    [Fact]
    public void Too_few_ranked_architectures_for_the_strata_is_bad_input()
    {
        var device = Device();
        var ranked = device.Architectures.Take(5).ToHashSet();
        var error = Assert.Throws<InvalidInputException>(() => device.SplitAcross(10, a => ranked.Contains(a) ? 1.0 : null, seed: 0));
        Assert.Contains("can be ranked", error.Message);
    }
}
