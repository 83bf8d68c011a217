using LatencyNas.Core;
using LatencyNas.Core.Statistics;
using LatencyNas.Prediction;
using LatencyNas.Profiling;

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
        var trained = PredictorTrainer.Train("auto", train, seed: 0);
        var metrics = PredictionMetrics.Compute(test.LatenciesMs, trained.Predictor.Predict(test.Architectures));
        Assert.Equal(14_625, metrics.Count);
        Assert.True(metrics.Srcc >= 0.95, $"{device}: SRCC {metrics.Srcc:F4} with {trained.Predictor.Description}");
        Assert.Equal(PredictorTrainer.Candidates.Count, trained.CandidateScores.Count);
    }

    [Fact]
    public void Unknown_device_is_bad_input_naming_the_known_ones()
    {
        var error = Assert.Throws<ProfileStoreException>(() => devices.Device("pixel9"));
        Assert.IsAssignableFrom<InvalidInputException>(error);
        Assert.Contains("pixel3", error.Message);
    }
}
