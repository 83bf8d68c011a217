using LatencyNas.Core.Spaces;
using LatencyNas.Core.Spaces.Nb201;
using LatencyNas.Prediction;

namespace LatencyNas.Analysis.Tests;

[Collection(RealTablesCollection.Name)]
public sealed class ParetoReuseTests(RealTables shared)
{
    [Fact]
    public void Re_using_the_target_own_latency_recovers_everything()
    {
        var architectures = Nb201Space.Instance.SampleDistinct(300, 2);
        var random = new Random(2);
        double[] latency = architectures.Select(_ => random.NextDouble()).ToArray();
        double[] objective = architectures.Select(_ => random.NextDouble()).ToArray();
        var result = ParetoReuse.Evaluate("self", architectures, latency, latency, objective);
        Assert.Equal(1.0, result.HypervolumeRatio, 12);
        Assert.Equal(1.0, result.RecoveredShare);
        Assert.All(result.Budgets, b => Assert.Equal(0, b.Gap));
    }

    [Fact]
    public void Twins_on_the_target_front_are_one_point_reached_by_either()
    {
        var architectures = Nb201Space.Instance.SampleDistinct(4, 5);
        // On the target, 1 and 2 are twins (same latency and objective) and 3 is the other end of the front;
        // the proxy's front holds 0, 1 and 3 and not 2, and 0 is dominated on the target.
        double[] target = [3, 1, 1, 2];
        double[] proxy = [0.5, 1, 1.5, 2];
        double[] objective = [0.5, 0.6, 0.6, 0.9];
        var result = ParetoReuse.Evaluate("proxy", architectures, proxy, target, objective);
        Assert.Equal(3, result.TrueFrontSize);
        Assert.Equal(1.0, result.RecoveredShare);
        Assert.Equal(1.0, result.HypervolumeRatio, 12);
    }

    [Fact]
    public void A_reversed_proxy_loses_most_of_the_front()
    {
        var architectures = Nb201Space.Instance.SampleDistinct(300, 3);
        var random = new Random(3);
        double[] latency = architectures.Select(_ => random.NextDouble()).ToArray();
        double[] objective = latency.Select(l => l + 0.2 * random.NextDouble()).ToArray(); // slower is more accurate
        double[] reversed = latency.Select(l => 1 - l).ToArray();
        var result = ParetoReuse.Evaluate("reversed", architectures, reversed, latency, objective);
        Assert.True(result.HypervolumeRatio < 0.9, $"{result.HypervolumeRatio}");
        Assert.True(result.RecoveredShare < 0.5);
    }

    [Fact]
    public void Pixel3_front_on_raspi4_with_benchmark_accuracy()
    {
        var pixel3 = new MeasuredLatencies(shared.Device("pixel3"));
        var raspi4 = new MeasuredLatencies(shared.Device("raspi4"));
        var accuracy = shared.Accuracy;
        var candidates = Nb201Space.Instance.Enumerate().ToList();
        var result = ParetoReuse.Evaluate("pixel3", candidates, pixel3.Predict(candidates), raspi4.Predict(candidates),
            candidates.Select(a => accuracy[a.Digits]).ToArray());
        // raspi4 ranks like pixel3 (SRCC 0.965): its front keeps nearly all the hypervolume and,
        // at every budget from the 10th to the 90th latency percentile, nearly the best accuracy.
        Assert.InRange(result.HypervolumeRatio, 0.99, 1.0);
        Assert.Equal(9, result.Budgets.Count);
        Assert.All(result.Budgets, b => Assert.InRange(b.Gap, 0, 0.5));
        Assert.InRange(result.RecoveredShare, 0.1, 1.0);
    }
}
