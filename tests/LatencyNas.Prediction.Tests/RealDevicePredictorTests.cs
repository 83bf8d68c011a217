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
}
