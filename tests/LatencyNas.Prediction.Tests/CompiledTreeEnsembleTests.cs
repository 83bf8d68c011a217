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
}
