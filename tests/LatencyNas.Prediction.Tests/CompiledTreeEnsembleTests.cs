using LatencyNas.Core.Spaces;
using LatencyNas.Core.Spaces.Fbnet;
using LatencyNas.Core.Spaces.Nb201;

namespace LatencyNas.Prediction.Tests;

/// <summary>The flattened tree walk against ML.NET's own Transform, on models trained on real devices.</summary>
[Collection(RealDevicesCollection.Name)]
public sealed class CompiledTreeEnsembleTests(RealDevices devices)
{
    /// <summary>All 15,625 NB201 architectures (or 20,000 drawn FBNet ones): every score equal to ML.NET's, as the float ML.NET reports.</summary>
    [Theory]
    [InlineData("nb201", "gold_6226", ModelKind.FastTree, TargetTransform.Log, true)]
    [InlineData("nb201", "pixel3", ModelKind.LightGbm, TargetTransform.Log, false)]
    [InlineData("nb201", "titan_rtx_1", ModelKind.LightGbm, TargetTransform.Identity, true)]
    [InlineData("fbnet", "silver_4114", ModelKind.LightGbm, TargetTransform.Log, true)]
    [InlineData("fbnet", "gold_6226", ModelKind.FastTree, TargetTransform.Log, true)]
    public void The_flattened_ensemble_scores_every_architecture_as_mlnet_does(string space, string device, ModelKind kind, TargetTransform target, bool onBase)
    {
        var data = space == "nb201" ? devices.Device(device) : devices.FbnetDevice(device);
        var (train, _) = data.Split(1_000, seed: 4);
        var predictor = Assert.IsType<MlNetPredictor>(PredictorTrainer.Fit(new PredictorChoice(kind, target, onBase), train, seed: 4));
        IReadOnlyList<Architecture> architectures = space == "nb201"
            ? Nb201Space.Instance.Enumerate().ToList()
            : FbnetSpace.Instance.SampleDistinct(20_000, seed: 4);

        Assert.True(predictor.IsCompiled);
        double[] compiled = predictor.CompiledScores(architectures);
        double[] reference = predictor.TransformScores(architectures);

        int differing = compiled.Zip(reference).Count(p => Math.Abs(p.First - p.Second) > 1e-6 * Math.Max(1, Math.Abs(p.Second)));
        Assert.True(differing == 0, $"{differing} of {architectures.Count} scores differ, e.g. {compiled.Zip(reference).FirstOrDefault(p => p.First != p.Second)}");
        Assert.True(reference.Distinct().Count() > 100, "the model is too flat to tell the two walks apart");
    }

    /// <summary>The walk reads without bounds checks, so rows narrower than the features its splits read are refused before it starts.</summary>
    [Fact]
    public void Rows_narrower_than_the_features_the_trees_read_are_refused()
    {
        var (train, _) = devices.FbnetDevice("gold_6226").Split(300, seed: 4);
        var predictor = Assert.IsType<MlNetPredictor>(PredictorTrainer.Fit(new PredictorChoice(ModelKind.FastTree, TargetTransform.Log, false), train, seed: 4));
        var compiled = CompiledTreeEnsemble.From(predictor.Model)!;
        int width = predictor.Encoder.Length;
        var rows = new float[4 * width];
        var scores = new double[4];

        compiled.Score(rows, width, scores);
        var narrow = Assert.Throws<ArgumentException>(() => compiled.Score(rows, 1, new double[4]));
        Assert.Contains("the trees read", narrow.Message);
        Assert.Throws<ArgumentException>(() => compiled.Score(rows.AsSpan(0, 3 * width), width, scores));
    }

    /// <summary>The walk compares features and thresholds as integer keys, which must order every pair of floats as the floats are ordered.</summary>
    [Fact]
    public void Keys_order_floats_as_the_floats_are_ordered()
    {
        var random = new Random(4);
        float[] special = [0f, -0f, float.Epsilon, -float.Epsilon, 1f, -1f, float.MaxValue, float.MinValue, float.PositiveInfinity, float.NegativeInfinity, 0.5f, -0.5f];
        var values = special.Concat(Enumerable.Range(0, 2_000).Select(_ => (float)((random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-30, 30))))).ToArray();

        int wrong = 0;
        foreach (float a in values)
        {
            foreach (float b in values)
            {
                wrong += (a > b) == (CompiledTreeEnsemble.Key(a) > CompiledTreeEnsemble.Key(b)) ? 0 : 1;
            }
        }
        Assert.Equal(0, wrong);
        Assert.All(values, v => Assert.True(CompiledTreeEnsemble.Key(float.NaN) > CompiledTreeEnsemble.Key(v), "NaN goes right at every split"));
    }
}
