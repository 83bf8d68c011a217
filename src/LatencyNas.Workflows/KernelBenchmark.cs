using LatencyNas.Core;
using LatencyNas.Core.Spaces;
using LatencyNas.Core.Statistics;
using LatencyNas.Onnx;
using LatencyNas.Profiling.Devices;
using LatencyNas.Profiling.Runners;
using LatencyNas.Profiling.Timing;
using LatencyNas.Workflows.Runners;

namespace LatencyNas.Workflows;

/// <param name="Device">The device descriptor whose kernel predictors are judged (the reference models are measured with it here).</param>
/// <param name="Count">Architectures of each space the store holds measurements of, at most, predicted from their exported models.</param>
/// <param name="Resolutions">Input sizes of the reference CNNs.</param>
public sealed record BenchKernelsRequest(string Device, StoreLocation Store, string? DeviceName = null, int Count = 100, IReadOnlyList<int>? Resolutions = null, int Seed = 0);

/// <summary>One model: what it measured, what its kernels predict.</summary>
public sealed record KernelPredictionRow(string Family, string Model, double MeasuredMs, double PredictedMs)
{
    public double Error => PredictedMs / MeasuredMs - 1;
}

/// <summary>A family's share of models predicted within ±10%, and the mean absolute percentage error.</summary>
public sealed record KernelFamilySummary(string Family, int Models, double Within10, double Mape);

public sealed record BenchKernelsResult(string Device, string Optimization, IReadOnlyList<KernelPredictionRow> Rows, IReadOnlyList<KernelFamilySummary> Families,
    KernelFamilySummary Overall);

/// <summary>
/// How well a device's kernel predictors predict whole models: the NB201 and FBNet architectures
/// the store measured on the device (exported, predicted from their kernels), and the reference CNNs
/// (ResNet-18, MobileNetV2, SqueezeNet 1.1, EfficientNet-B0) measured here with the device's
/// interleaved protocol and predicted the same way.
/// </summary>
public sealed class KernelBenchmark
{
    public async Task<BenchKernelsResult> RunAsync(BenchKernelsRequest request, IProgress<KernelPredictionRow>? rows = null, CancellationToken cancellation = default)
    {
        var device = DeviceDescriptorReader.Resolve(request.Device);
        if (device.Runtime != DeviceRuntime.OnnxRuntime)
        {
            throw new InvalidInputException("bench kernels measures the reference models with ONNX Runtime here; give an onnxruntime device.");
        }
        string name = request.DeviceName ?? device.Name;
        var estimator = KernelEstimator.Load(request.Store, name);
        var level = ModelPredictionUseCase.Level(device.Optimization);
        int block = ModelSource.NchwcBlockSize(device);
        var results = new List<KernelPredictionRow>();
        void Add(KernelPredictionRow row)
        {
            results.Add(row);
            rows?.Report(row);
        }

        using (var store = request.Store.OpenExisting())
        {
            foreach (var space in new[] { SearchSpaces.Get("nb201"), SearchSpaces.Get("fbnet") })
            {
                var stored = store.Devices.Find(name) is { } found ? store.Measurements.Latencies(found, space) : new Dictionary<string, double>();
                foreach (var (digits, measured) in stored.OrderBy(p => p.Key, StringComparer.Ordinal).Take(request.Count))
                {
                    cancellation.ThrowIfCancellationRequested();
                    var architecture = space.FromDigits(digits);
                    byte[] bytes = ModelSource.For(device).Export(device.RequestFor(space, architecture));
                    double predicted = ModelPredictionUseCase.Predict(OnnxModelGraph.Read(bytes, digits), estimator, level, block).PredictedMs;
                    Add(new KernelPredictionRow(space.Name, digits, measured, predicted));
                }
            }
        }

        var references = ReferenceModels.Names.SelectMany(model => (request.Resolutions ?? [160, 224]).Select(resolution => (Model: model, Resolution: resolution))).ToList();
        var models = references.Select(r => ReferenceModels.Build(r.Model, r.Resolution, request.Seed)).ToList();
        var protocol = device.Protocol ?? MeasurementProtocol.Default;
        var measuredModels = await Task.Run(() => OrtTimedSession.MeasureBatch(models, OrtSettings.From(device), protocol, InterleavedEngine.ForThisMachine(), request.Seed, cancellation), cancellation);
        for (int i = 0; i < references.Count; i++)
        {
            if (measuredModels[i].Measurement is not { } measurement)
            {
                continue;
            }
            double predicted = ModelPredictionUseCase.Predict(OnnxModelGraph.Read(models[i], references[i].Model), estimator, level, block).PredictedMs;
            Add(new KernelPredictionRow(references[i].Model, $"{references[i].Model}@{references[i].Resolution}", measurement.Statistics.LatencyMs, predicted));
        }
        var families = results.GroupBy(r => r.Family).Select(g => Summary(g.Key, g.ToList())).ToList();
        return new BenchKernelsResult(name, level.ToString().ToLowerInvariant(), results, families, Summary("all", results));
    }

    private static KernelFamilySummary Summary(string family, IReadOnlyList<KernelPredictionRow> rows)
        => new(family, rows.Count, rows.Count == 0 ? 0 : rows.Count(r => Math.Abs(r.Error) <= 0.10) / (double)rows.Count,
            rows.Count == 0 ? 0 : rows.Average(r => Math.Abs(r.Error)));
}
