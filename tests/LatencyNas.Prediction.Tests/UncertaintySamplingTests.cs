using LatencyNas.Core.Spaces;

namespace LatencyNas.Prediction.Tests;

/// <summary>Adaptive sampling on a real device's NB201 latencies (pixel3): where two half-models disagree, the predictor errs.</summary>
[Collection(RealDevicesCollection.Name)]
public sealed class UncertaintySamplingTests(RealDevices devices)
{
    private static double MeanLogError(LatencyPredictor predictor, LatencyData data)
        => predictor.Predict(data.Architectures).Zip(data.LatenciesMs, (p, t) => Math.Abs(Math.Log(p / t))).Average();

    [Theory]
    [InlineData("pixel3", 1)]
    [InlineData("pixel3", 2)]
    [InlineData("raspi4", 3)]
    public void The_members_chosen_are_where_a_predictor_of_the_measured_ones_errs_more_than_on_random_ones(string device, int split)
    {
        var (measured, rest) = devices.Device(device).Split(100, seed: split);
        var pool = rest.Subset(Enumerable.Range(0, 3_000).ToList());

        var chosen = UncertaintySampling.MostUncertain(measured, pool.Architectures, 150, seed: 0);

        Assert.Equal(150, chosen.Distinct().Count());
        Assert.Equal(chosen, UncertaintySampling.MostUncertain(measured, pool.Architectures, 150, seed: 0));
        var index = pool.Architectures.Select((a, i) => (a.Digits, i)).ToDictionary(p => p.Digits, p => p.i);
        var chosenData = pool.Subset(chosen.Select(a => index[a.Digits]).ToList());
        var randomData = pool.Subset(Enumerable.Range(0, pool.Count).OrderBy(i => (i * 2_654_435_761L) % 3_001).Take(150).ToList());
        var predictor = PredictorTrainer.Fit(new PredictorChoice(ModelKind.FastTree, TargetTransform.Log), measured, seed: 0);
        double onChosen = MeanLogError(predictor, chosenData), onRandom = MeanLogError(predictor, randomData);
        Assert.True(onChosen > onRandom, $"mean |log error| on the chosen {onChosen:F4}, on random ones {onRandom:F4}");
    }

    [Fact]
    public void Too_few_measurements_to_halve_take_the_candidates_in_order_and_a_count_above_them_takes_all()
    {
        var (measured, rest) = devices.Device("pixel3").Split(UncertaintySampling.MinimumMeasured - 1, seed: 2);
        var candidates = rest.Architectures.Take(50).ToList();

        Assert.Equal(candidates.Take(7), UncertaintySampling.MostUncertain(measured, candidates, 7, seed: 0));
        Assert.Equal(candidates, UncertaintySampling.MostUncertain(measured, candidates, 80, seed: 0));
    }
}
