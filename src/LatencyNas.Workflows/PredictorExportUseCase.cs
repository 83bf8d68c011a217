using System.Globalization;
using System.Numerics;
using LatencyNas.Core;
using LatencyNas.Core.IO;
using LatencyNas.Core.Spaces;
using LatencyNas.Prediction;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace LatencyNas.Workflows;

/// <param name="Model">Which saved predictor (null: auto if trained, else the newest).</param>
/// <param name="Checked">Architectures the written model is checked on against the native predictor (drawn with seed 0; the whole space when it has fewer).</param>
public sealed record PredictorExportRequest(string Device, SearchSpace Space, StoreLocation Store, string OutPath, PredictorModel? Model = null,
    int Checked = PredictorExportRequest.DefaultChecked)
{
    public const int DefaultChecked = 10_000;
}

/// <summary>A written predictor model and how closely ONNX Runtime reproduced the native predictions.</summary>
/// <param name="MaxRelativeError">The largest |exported − native| / native over the checked architectures.</param>
public sealed record PredictorExportResult(string Path, long Bytes, string Device, string Space, string Model, int TrainedOn, int Checked,
    double MaxRelativeError, IReadOnlyDictionary<string, string> Metadata);

/// <summary>
/// Writes a device's saved predictor as a standalone ONNX model (<see cref="PredictorOnnxExporter"/>),
/// after running it in ONNX Runtime on <see cref="PredictorExportRequest.Checked"/> architectures:
/// a model that does not give the native predictions within <see cref="Tolerance"/> is not written.
/// </summary>
public sealed class PredictorExportUseCase
{
    /// <summary>The largest relative difference allowed between the exported and the native prediction.</summary>
    public const double Tolerance = 1e-5;

    /// <exception cref="InvalidInputException">No such device or predictor, a predictor that has no ONNX form, or an unwritable path.</exception>
    /// <exception cref="RunFailedException">The exported model does not reproduce the native predictions.</exception>
    public PredictorExportResult Run(PredictorExportRequest request)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(request.Checked, 1);
        string setting;
        using (var store = request.Store.OpenExisting())
        {
            var device = store.Devices.Find(request.Device)
                ?? throw new InvalidInputException($"No device '{request.Device}' in {store.Location}; `latnas devices list{request.Store.Suggestion}` shows those it has.");
            setting = device.Fingerprint?.ToJson() ?? $"table: {device.Source}";
        }
        var (predictor, saved) = PredictorCatalog.Load(request.Store, request.Device, request.Space, request.Model);
        if (PredictorOnnxExporter.WhyNotExportable(predictor) is { } reason)
        {
            // An op-wise additive model always exports, except in a space whose predictors see no choices (kernels), which has none.
            string remedy = request.Space.EncodesChoices
                ? $" Train an additive one: `latnas train --device {request.Device}{SearchSpaces.Suggestion(request.Space)} --model additive{request.Store.Suggestion}`."
                : " Kernel predictors serve `latnas predict --onnx`.";
            throw new InvalidInputException($"The {saved.Kind.ToLowerInvariant()} predictor of '{request.Device}' cannot be exported: {reason}.{remedy}");
        }
        var metadata = Metadata(predictor, saved, setting);
        byte[] model = PredictorOnnxExporter.Export(predictor, metadata);

        var architectures = request.Space.SampleDistinct((int)BigInteger.Min(request.Checked, request.Space.Size), seed: 0);
        float[] exported = Run(model, architectures);
        double[] native = predictor.Predict(architectures);
        double worst = native.Select((n, i) => Math.Abs(exported[i] - n) / n).Max();
        if (!(worst <= Tolerance))
        {
            throw new RunFailedException($"the exported model differs from the native predictor by up to {worst:E2} relative (allowed {Tolerance:E0}); nothing was written.");
        }
        AtomicFile.WriteAllBytes(request.OutPath, model);
        return new PredictorExportResult(Path.GetFullPath(request.OutPath), model.Length, request.Device, request.Space.Name, predictor.Description, saved.TrainedOn,
            architectures.Count, worst, metadata);
    }

    /// <summary>Predictions of the exported model in ONNX Runtime, in one batch.</summary>
    public static float[] Run(byte[] model, IReadOnlyList<Architecture> architectures)
    {
        using var session = new InferenceSession(model);
        return Run(session, architectures);
    }

    public static float[] Run(InferenceSession session, IReadOnlyList<Architecture> architectures)
    {
        int decisions = architectures[0].Digits.Length;
        var input = new DenseTensor<long>(PredictorOnnxExporter.Encode(architectures, decisions), [architectures.Count, decisions]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(PredictorOnnxExporter.InputName, input)]);
        return results.Single().AsEnumerable<float>().ToArray();
    }

    private static Dictionary<string, string> Metadata(LatencyPredictor predictor, PredictorMetadata saved, string setting)
    {
        var space = predictor.Space;
        var metadata = new Dictionary<string, string>
        {
            ["space"] = space.Name,
            ["dataset"] = saved.Dataset,
            ["device"] = saved.Device,
            ["device_fingerprint"] = setting,
            ["family"] = predictor.Description,
            ["trained_on"] = saved.TrainedOn.ToString(CultureInfo.InvariantCulture),
            ["floor_ms"] = predictor.FloorMs.ToString("R", CultureInfo.InvariantCulture),
            ["trained_at"] = saved.CreatedAt.ToString("O", CultureInfo.InvariantCulture),
            ["latnas_version"] = typeof(PredictorExportUseCase).Assembly.GetName().Version?.ToString() ?? "0",
            ["input"] = $"int64 [N, {space.Decisions.Count}]: one choice index per decision, in the order of the digits form",
            ["decisions"] = string.Join("; ", space.Decisions.Select(d => $"{d.Name}: {string.Join(",", d.Choices)}")),
            ["output"] = "float [N]: predicted latency in milliseconds",
        };
        if (saved.TestMetrics is { } test)
        {
            metadata["test_count"] = test.Count.ToString(CultureInfo.InvariantCulture);
            metadata["test_within10"] = test.Within10.ToString("R", CultureInfo.InvariantCulture);
            metadata["test_srcc"] = test.Srcc.ToString("R", CultureInfo.InvariantCulture);
            metadata["test_mape"] = test.Mape.ToString("R", CultureInfo.InvariantCulture);
        }
        return metadata;
    }
}
