using LatencyNas.Core;
using LatencyNas.Core.Spaces.Fbnet;
using LatencyNas.Core.Spaces.Nb201;
using LatencyNas.Core.Statistics;
using LatencyNas.Prediction;

namespace LatencyNas.Prediction.Tests;

public sealed class PredictorTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("latnas-predictor-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    public static TheoryData<ModelKind, TargetTransform, bool, bool> Families() => new()
    {
        { ModelKind.Additive, TargetTransform.Identity, false, false },
        { ModelKind.Additive, TargetTransform.Log, false, false },
        { ModelKind.Additive, TargetTransform.Identity, false, true },
        { ModelKind.FastTree, TargetTransform.Log, true, false },
        { ModelKind.LightGbm, TargetTransform.Log, false, false },
        { ModelKind.LightGbm, TargetTransform.Identity, true, false },
    };

    /// <summary>Each family with the target it would use for an additive device.</summary>
    [Theory]
    [InlineData(ModelKind.Additive)]
    [InlineData(ModelKind.FastTree)]
    [InlineData(ModelKind.LightGbm)]
    public void Every_family_learns_a_synthetic_additive_latency(ModelKind kind)
    {
        var (train, test) = SyntheticDevice.All().Split(1_000, seed: 1);
        var predictor = PredictorTrainer.Fit(PredictorTrainer.DefaultChoice(kind), train, seed: 1);
        var metrics = PredictionMetrics.Compute(test.LatenciesMs, predictor.Predict(test.Architectures));
        Assert.Equal(1.0, metrics.Within10);
        Assert.True(metrics.Srcc > 0.99, $"SRCC {metrics.Srcc}");
    }

    [Fact]
    public void The_additive_predictor_recovers_the_op_costs_themselves()
    {
        var (train, _) = SyntheticDevice.All().Split(300, seed: 2);
        var predictor = (AdditivePredictor)PredictorTrainer.Fit(new PredictorChoice(ModelKind.Additive, TargetTransform.Identity), train, seed: 2);
        // Weights are identified up to a per-edge shift absorbed by the bias: compare differences to "none".
        for (int e = 0; e < 6; e++)
        {
            for (int op = 1; op < 5; op++)
            {
                double learned = predictor.Weights[e * 5 + op] - predictor.Weights[e * 5];
                Assert.Equal(SyntheticDevice.OpCosts[e, op], learned, 1e-3);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void Saved_and_loaded_predictors_predict_identically(ModelKind kind, TargetTransform target, bool onAdditiveBase, bool withFeatures)
    {
        var data = SyntheticDevice.AllOnARuntime();
        var (train, test) = data.Split(400, seed: 3);
        var predictor = PredictorTrainer.Fit(new PredictorChoice(kind, target, onAdditiveBase, withFeatures), train, seed: 3);
        string path = Path.Combine(_directory, $"{kind}-{target}-{onAdditiveBase}-{withFeatures}.predictor");
        PredictorFile.Save(path, predictor, Metadata(predictor, train));

        var (loaded, metadata) = PredictorFile.Load(path);
        Assert.Equal(kind, loaded.Kind);
        Assert.Equal(target, loaded.Target);
        Assert.Equal(onAdditiveBase, (loaded as MlNetPredictor)?.Base is not null);
        Assert.Equal(withFeatures, (loaded as AdditivePredictor)?.FeatureWeights is not null);
        Assert.Equal(predictor.Description, loaded.Description);
        Assert.Equal(predictor.Description, metadata.Description);
        Assert.Equal(400, metadata.TrainedOn);
        Assert.Equal(predictor.FloorMs, loaded.FloorMs);
        Assert.Equal(predictor.FloorMs, metadata.FloorMs);
        Assert.Equal(predictor.Predict(test.Architectures), loaded.Predict(test.Architectures));
        if (loaded is MlNetPredictor trees)
        {
            Assert.True(trees.IsCompiled, "a loaded tree model predicts through ML.NET instead of its flattened ensemble");
        }
    }

    /// <summary>
    /// Where the runtime adds costs that belong to how the choices combine (reorders, plain kernels), the op-wise sum
    /// cannot follow; with the space's analytic features as terms it can, and auto cross-validation picks it.
    /// </summary>
    [Fact]
    public void The_additive_model_with_features_learns_what_the_runtime_adds_and_auto_chooses_it()
    {
        var (train, test) = SyntheticDevice.AllOnARuntime().Split(1_000, seed: 8);
        var opWise = PredictorTrainer.Fit(new PredictorChoice(ModelKind.Additive, TargetTransform.Identity), train, seed: 8);
        var withFeatures = PredictorTrainer.Fit(new PredictorChoice(ModelKind.Additive, TargetTransform.Identity, WithFeatures: true), train, seed: 8);

        var opWiseMetrics = PredictionMetrics.Compute(test.LatenciesMs, opWise.Predict(test.Architectures));
        var withFeaturesMetrics = PredictionMetrics.Compute(test.LatenciesMs, withFeatures.Predict(test.Architectures));
        Assert.True(opWiseMetrics.Within5 < 0.9, $"the op-wise sum put {opWiseMetrics.Within5:P1} within ±5%");
        Assert.Equal(1.0, withFeaturesMetrics.Within5);
        Assert.True(withFeaturesMetrics.Mape < 0.001, $"MAPE {withFeaturesMetrics.Mape:P3}");
        Assert.Equal("additive with features", withFeatures.Description);

        var auto = PredictorTrainer.Train(PredictorModel.Auto, train, seed: 8);
        Assert.Equal("additive with features", auto.Predictor.Description);
        Assert.Contains(auto.CandidateScores, s => s.Choice.WithFeatures && s.Choice.ToString() == "additive+features");
    }

    [Fact]
    public void Training_is_deterministic_for_a_seed()
    {
        var (train, test) = SyntheticDevice.All().Split(500, seed: 4);
        foreach (var kind in new[] { ModelKind.FastTree, ModelKind.LightGbm })
        {
            var first = PredictorTrainer.Fit(new PredictorChoice(kind, TargetTransform.Log), train, seed: 4).Predict(test.Architectures);
            var second = PredictorTrainer.Fit(new PredictorChoice(kind, TargetTransform.Log), train, seed: 4).Predict(test.Architectures);
            Assert.Equal(first, second);
        }
    }

    [Fact]
    public void Predicts_the_whole_space_in_one_batch()
    {
        var data = SyntheticDevice.All();
        var predictor = PredictorTrainer.Fit(new PredictorChoice(ModelKind.LightGbm, TargetTransform.Log), data.Split(500, 5).Train, seed: 5);
        double[] predictions = predictor.Predict(data.Architectures);
        Assert.Equal(15_625, predictions.Length);
        Assert.All(predictions, p => Assert.True(double.IsFinite(p) && p > 0));
    }

    [Fact]
    public void Corrupt_or_missing_predictor_files_are_bad_input()
    {
        string garbage = Path.Combine(_directory, "garbage.predictor");
        File.WriteAllText(garbage, "this is not a zip");
        var error = Assert.Throws<InvalidInputException>(() => PredictorFile.Load(garbage));
        Assert.Contains("corrupt", error.Message);

        string truncated = Path.Combine(_directory, "truncated.predictor");
        var predictor = PredictorTrainer.Fit(new PredictorChoice(ModelKind.FastTree, TargetTransform.Log), SyntheticDevice.All().Split(200, 6).Train, 6);
        PredictorFile.Save(truncated, predictor, Metadata(predictor, SyntheticDevice.All().Split(200, 6).Train));
        byte[] bytes = File.ReadAllBytes(truncated);
        File.WriteAllBytes(truncated, bytes[..(bytes.Length / 2)]);
        Assert.Throws<InvalidInputException>(() => PredictorFile.Load(truncated));

        Assert.Throws<InvalidInputException>(() => PredictorFile.Load(Path.Combine(_directory, "absent.predictor")));
    }

    /// <summary>A tree model saved before its space gained features cannot score the longer vectors: the load says so instead of failing at the first prediction.</summary>
    [Fact]
    public void A_tree_model_trained_on_other_features_than_its_space_computes_is_refused_at_load()
    {
        var train = SyntheticDevice.All().Split(200, 7).Train;
        var predictor = PredictorTrainer.Fit(new PredictorChoice(ModelKind.LightGbm, TargetTransform.Log), train, 7);
        string path = Path.Combine(_directory, "other-features.predictor");
        PredictorFile.Save(path, predictor, Metadata(predictor, train) with { Space = FbnetSpace.Instance.Name });

        var error = Assert.Throws<InvalidInputException>(() => PredictorFile.Load(path));
        int computed = new FeatureEncoder(FbnetSpace.Instance, train.Dataset).Length;
        Assert.Contains($"trained on {predictor.Encoder.Length} features of each architecture, and this LatencyNas computes {computed}", error.Message);
        Assert.Contains("Train it again", error.Message);
    }

    [Fact]
    public void Too_few_measurements_are_bad_input()
    {
        var small = SyntheticDevice.All().Subset([0, 1, 2, 3, 4]);
        Assert.Throws<InvalidInputException>(() => small.Split(5, seed: 0));
        Assert.Throws<InvalidInputException>(() => small.Split(1, seed: 0));
    }

    private static PredictorMetadata Metadata(LatencyPredictor predictor, LatencyData train) => new()
    {
        Device = train.Device,
        Kind = predictor.Kind.ToString(),
        Target = predictor.Target.ToString(),
        Space = Nb201Space.Instance.Name,
        Dataset = train.Dataset.Name,
        Resolution = train.Dataset.Height,
        TrainedOn = train.Count,
        Seed = 0,
    };
}
