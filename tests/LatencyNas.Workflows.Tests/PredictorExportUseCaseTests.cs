using LatencyNas.Core;
using LatencyNas.Core.Spaces;
using LatencyNas.Core.Spaces.Fbnet;
using LatencyNas.Prediction;
using LatencyNas.Tests;
using Microsoft.ML.OnnxRuntime;

namespace LatencyNas.Workflows.Tests;

/// <summary>Exporting a saved FBNet predictor from a store filled with a real HELP column.</summary>
public sealed class PredictorExportUseCaseTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void A_saved_tree_predictor_is_written_as_a_model_that_says_where_it_came_from_and_predicts_what_it_does()
    {
        var store = new StoreLocation(_directory.File("profiles/latnas.db"));
        new ImportUseCase().Run(new ImportRequest(SharedData.File("fbnet_help_latency_ms.csv"), FbnetSpace.Instance, Dataset.Cifar100, store,
            ArchitectureColumn: "ops", Columns: ["silver_4114"]));
        var trained = new TrainUseCase().Run(new TrainRequest("silver_4114", FbnetSpace.Instance, store, PredictorModel.FastTree, TrainSize: 500));
        string file = _directory.File("silver_4114.onnx");

        var result = new PredictorExportUseCase().Run(new PredictorExportRequest("silver_4114", FbnetSpace.Instance, store, file, Checked: 2_000));

        Assert.Equal((2_000, new FileInfo(file).Length), (result.Checked, result.Bytes));
        Assert.InRange(result.MaxRelativeError, 0, PredictorExportUseCase.Tolerance);
        Assert.Equal(trained.Evaluation.Model, result.Model);
        using var session = new InferenceSession(file);
        var metadata = session.ModelMetadata.CustomMetadataMap;
        Assert.Equal(("fbnet", "silver_4114", "500"), (metadata["space"], metadata["device"], metadata["trained_on"]));
        Assert.StartsWith("table: ", metadata["device_fingerprint"]);
        Assert.Equal(trained.Evaluation.Within10, double.Parse(metadata["test_within10"], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(22, metadata["decisions"].Split("; ").Length);

        var drawn = FbnetSpace.Instance.SampleDistinct(300, seed: 9);
        float[] exported = PredictorExportUseCase.Run(session, drawn);
        var native = new PredictUseCase().Run(new PredictRequest("silver_4114", drawn, FbnetSpace.Instance, store)).Predictions;
        Assert.All(native.Zip(exported), p => Assert.Equal(p.First.PredictedMs, p.Second, p.First.PredictedMs * 1e-5));
    }

    [Fact]
    public void A_device_without_a_predictor_is_refused_and_nothing_is_written()
    {
        var store = new StoreLocation(_directory.File("profiles/latnas.db"));
        new ImportUseCase().Run(new ImportRequest(SharedData.File("fbnet_help_latency_ms.csv"), FbnetSpace.Instance, Dataset.Cifar100, store,
            ArchitectureColumn: "ops", Columns: ["raspi4"]));
        string file = _directory.File("raspi4.onnx");

        var error = Assert.Throws<InvalidInputException>(() => new PredictorExportUseCase().Run(new PredictorExportRequest("raspi4", FbnetSpace.Instance, store, file)));

        Assert.Contains("latnas train --device raspi4 --space fbnet", error.Message);
        Assert.False(File.Exists(file));
    }
}
