using LatencyNas.Core.Statistics;
using LatencyNas.Prediction;

namespace LatencyNas.Prediction.Tests;

[Collection(RealDevicesCollection.Name)]
public sealed class RealDevicePredictorTests(RealDevices devices)
{
    [Theory]
    [InlineData("pixel3")]
    [InlineData("gold_6226")]
    public void Auto_predictor_ranks_the_untrained_architectures_of_a_real_device(string device)
    {
        var data = devices.Device(device);
        Assert.Equal(15_625, data.Count);
        var (train, test) = data.Split(1_000, seed: 0);
        var trained = PredictorTrainer.Train(PredictorModel.Auto, train, seed: 0);
        var metrics = PredictionMetrics.Compute(test.LatenciesMs, trained.Predictor.Predict(test.Architectures));
        Assert.Equal(14_625, metrics.Count);
        Assert.True(metrics.Srcc >= 0.95, $"{device}: SRCC {metrics.Srcc:F4} with {trained.Predictor.Description}");
        Assert.Equal(PredictorTrainer.Candidates.Count, trained.CandidateScores.Count);
    }

    /// <summary>
    /// Devices trained in one pool of fits (evaluate's way) get the predictor each gets alone: the same choice, the same
    /// cross-validated scores, the same predictions — and each is handed over once, as it is ready.
    /// </summary>
    [Fact]
    public void Devices_trained_together_get_the_predictor_each_gets_alone()
    {
        var sets = new[] { "pixel3", "gold_6226" }.Select(d => devices.Device(d).Split(300, seed: 1)).ToList();
        var handedOver = new System.Collections.Concurrent.ConcurrentBag<int>();

        var together = PredictorTrainer.TrainAll(sets.Select(s => s.Train).ToList(), PredictorModel.Auto, seed: 1, (i, _) => handedOver.Add(i));

        Assert.Equal([0, 1], handedOver.Order());
        for (int i = 0; i < sets.Count; i++)
        {
            var alone = PredictorTrainer.Train(PredictorModel.Auto, sets[i].Train, seed: 1);
            Assert.Equal(alone.Predictor.Description, together[i].Predictor.Description);
            Assert.Equal(alone.CandidateScores, together[i].CandidateScores);
            Assert.Equal(alone.Predictor.Predict(sets[i].Test.Architectures), together[i].Predictor.Predict(sets[i].Test.Architectures));
            Assert.True(together[i].FitSeconds > 0);
        }
    }

    /// <summary>pixel3's pruned cells measure near 0 ms; a model fitted in ms used to predict down to −6.8 ms for some.</summary>
    [Theory]
    [InlineData(ModelKind.Additive, TargetTransform.Identity, false)]
    [InlineData(ModelKind.LightGbm, TargetTransform.Identity, true)]
    [InlineData(ModelKind.LightGbm, TargetTransform.Log, true)]
    public void No_prediction_for_any_pixel3_architecture_falls_below_half_the_fastest_training_latency(ModelKind kind, TargetTransform target, bool onBase)
    {
        var all = devices.Device("pixel3");
        var (train, _) = all.Split(1_000, seed: 0);
        var predictor = PredictorTrainer.Fit(new PredictorChoice(kind, target, onBase), train, seed: 0);

        double[] predicted = predictor.Predict(all.Architectures);

        Assert.Equal(0.5 * train.LatenciesMs.Min(), predictor.FloorMs, 12);
        Assert.True(predictor.FloorMs > 0);
        Assert.All(predicted, p => Assert.True(p >= predictor.FloorMs, $"{p} ms below the floor {predictor.FloorMs} ms"));
        if (kind == ModelKind.Additive)
        {
            // The ms-fitted additive model extrapolates below the floor for some cheap cells: the floor is what holds them.
            Assert.Contains(predicted, p => p == predictor.FloorMs);
        }
    }
}
