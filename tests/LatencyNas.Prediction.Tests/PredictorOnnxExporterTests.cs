using LatencyNas.Core.Spaces;
using LatencyNas.Core.Spaces.Fbnet;
using LatencyNas.Core.Spaces.Kernels;
using LatencyNas.Core.Spaces.Nb201;
using LatencyNas.Tests;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace LatencyNas.Prediction.Tests;

/// <summary>Exported predictors run in ONNX Runtime against the native predictions, on models trained on real devices.</summary>
[Collection(RealDevicesCollection.Name)]
public sealed class PredictorOnnxExporterTests(RealDevices devices)
{
    private const double Tolerance = 1e-5;

    /// <summary>Every family and target the trainer offers, in both spaces: 10,000 architectures (all 15,625 of NB201) within 1e-5 relative.</summary>
    [Theory]
    [InlineData("nb201", "pixel3", ModelKind.Additive, TargetTransform.Identity, false, false)]
    [InlineData("nb201", "gold_6226", ModelKind.Additive, TargetTransform.Log, false, false)]
    [InlineData("nb201", "gold_6226", ModelKind.FastTree, TargetTransform.Log, true, false)]
    [InlineData("nb201", "pixel3", ModelKind.LightGbm, TargetTransform.Log, false, false)]
    [InlineData("nb201", "titan_rtx_1", ModelKind.LightGbm, TargetTransform.Identity, true, false)]
    [InlineData("fbnet", "raspi4", ModelKind.Additive, TargetTransform.Identity, false, false)]
    [InlineData("fbnet", "silver_4114", ModelKind.LightGbm, TargetTransform.Log, true, false)]
    [InlineData("fbnet", "gold_6226", ModelKind.FastTree, TargetTransform.Log, true, false)]
    [InlineData("fbnet", "raspi4", ModelKind.LightGbm, TargetTransform.Log, false, false)]
    [InlineData("nb201", "pixel3", ModelKind.Additive, TargetTransform.Identity, false, true)]
    [InlineData("fbnet", "raspi4", ModelKind.Additive, TargetTransform.Identity, false, true)]
    public void The_exported_predictor_predicts_what_the_native_one_does(string space, string device, ModelKind kind, TargetTransform target, bool onBase, bool withFeatures)
    {
        var data = space == "nb201" ? devices.Device(device) : devices.FbnetDevice(device);
        var (train, _) = data.Split(space == "nb201" ? 1_000 : 600, seed: 5);
        var predictor = PredictorTrainer.Fit(new PredictorChoice(kind, target, onBase, withFeatures), train, seed: 5);
        IReadOnlyList<Architecture> architectures = space == "nb201"
            ? Nb201Space.Instance.Enumerate().ToList()
            : FbnetSpace.Instance.SampleDistinct(10_000, seed: 5);

        byte[] model = PredictorOnnxExporter.Export(predictor, new Dictionary<string, string> { ["device"] = device });
        float[] exported = Run(model, architectures);
        double[] native = predictor.Predict(architectures);

        var worst = native.Select((n, i) => (Error: Math.Abs(exported[i] - n) / n, Architecture: architectures[i], Native: n, Exported: exported[i])).MaxBy(e => e.Error);
        Assert.True(worst.Error <= Tolerance, $"{worst.Architecture.Digits}: native {worst.Native} ms, exported {worst.Exported} ms ({worst.Error:E2} relative)");
        Assert.True(native.Distinct().Count() > 100, "the predictor is too flat to tell a wrong graph from a right one");
    }

    [Fact]
    public void An_exported_predictor_says_what_it_is_in_its_metadata_and_takes_any_batch_size()
    {
        var predictor = PredictorTrainer.Fit(PredictorTrainer.DefaultChoice(ModelKind.Additive), devices.Device("raspi4").Split(200, seed: 1).Train, seed: 1);
        byte[] model = PredictorOnnxExporter.Export(predictor, new Dictionary<string, string> { ["space"] = "nb201", ["device"] = "raspi4" });

        using var session = new InferenceSession(model);
        Assert.Equal("raspi4", session.ModelMetadata.CustomMetadataMap["device"]);
        Assert.Equal([-1, 6], session.InputMetadata[PredictorOnnxExporter.InputName].Dimensions);
        var one = Nb201Space.Instance.Parse("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|");
        Assert.Equal((float)predictor.Predict(one), Run(model, [one])[0], 5);
    }

    [Fact]
    public void A_predictor_that_takes_no_architectures_is_refused_with_the_reason_and_the_spaces_features_have_a_graph_form()
    {
        var predictor = PredictorTrainer.Fit(PredictorTrainer.DefaultChoice(ModelKind.Additive), devices.Device("raspi4").Split(200, seed: 1).Train, seed: 1);
        Assert.Null(PredictorOnnxExporter.WhyNotExportable(predictor));
        Assert.Equal(AnalyticFeatureForm.Tabulated, predictor.Encoder.AnalyticForm);
        Assert.Equal(AnalyticFeatureForm.Additive, new FeatureEncoder(FbnetSpace.Instance, Dataset.Cifar100).AnalyticForm);

        // A Gemm kernel predictor (every member, latency growing with the work) sees configurations, not choices.
        var gemm = KernelSpace.Gemm;
        var members = gemm.Enumerate().ToList();
        var kernels = new LatencyData("device", gemm, Dataset.Cifar10, members, members.Select(m => 0.01 + gemm.Config(m).Macs / 1e8).ToList());
        var kernelPredictor = PredictorTrainer.Fit(new PredictorChoice(ModelKind.LightGbm, TargetTransform.Log), kernels, seed: 1);

        string? reason = PredictorOnnxExporter.WhyNotExportable(kernelPredictor);
        Assert.Contains("takes kernel configurations, not architectures", reason);
        var refused = Assert.Throws<NotSupportedException>(() => PredictorOnnxExporter.Export(kernelPredictor, new Dictionary<string, string>()));
        Assert.Contains(reason!, refused.Message);
    }

    [SkippableFact]
    public void Exported_predictors_pass_the_reference_onnx_checker()
    {
        Skip.IfNot(OnnxChecker.Available, "the ONNX checker needs Debian's python3-onnx (.ci/run installs it)");
        using var directory = new TempDirectory();
        var files = new List<string>();
        foreach (var (space, choice) in new[]
                 {
                     ("nb201", new PredictorChoice(ModelKind.FastTree, TargetTransform.Log, OnAdditiveBase: true)),
                     ("fbnet", new PredictorChoice(ModelKind.LightGbm, TargetTransform.Log, OnAdditiveBase: true)),
                     ("fbnet", new PredictorChoice(ModelKind.Additive, TargetTransform.Log)),
                     ("nb201", new PredictorChoice(ModelKind.Additive, TargetTransform.Identity, WithFeatures: true)),
                 })
        {
            var data = space == "nb201" ? devices.Device("raspi4") : devices.FbnetDevice("raspi4");
            var predictor = PredictorTrainer.Fit(choice, data.Split(300, seed: 2).Train, seed: 2);
            string file = Path.Combine(directory.Path, $"{space}_{choice.Kind}.onnx");
            File.WriteAllBytes(file, PredictorOnnxExporter.Export(predictor, new Dictionary<string, string> { ["space"] = space }));
            files.Add(file);
        }

        var verdicts = OnnxChecker.Check(files);

        Assert.All(files, file => Assert.Equal("ok", verdicts[file]));
    }

    private static float[] Run(byte[] model, IReadOnlyList<Architecture> architectures)
    {
        using var session = new InferenceSession(model);
        int decisions = architectures[0].Digits.Length;
        var input = new DenseTensor<long>(PredictorOnnxExporter.Encode(architectures, decisions), [architectures.Count, decisions]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(PredictorOnnxExporter.InputName, input)]);
        return results.Single().AsEnumerable<float>().ToArray();
    }
}
