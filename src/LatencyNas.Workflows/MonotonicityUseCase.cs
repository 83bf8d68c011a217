using LatencyNas.Analysis;
using LatencyNas.Core;
using LatencyNas.Core.Spaces;

namespace LatencyNas.Workflows;

/// <param name="Devices">Names, <c>all</c>, or <c>prefix*</c>; at least two.</param>
/// <param name="Predicted">Compare the devices' saved predictors on <paramref name="ArchitecturesFile"/>, or on <paramref name="Count"/> architectures drawn from the space, instead of measurements.</param>
/// <param name="ArchitecturesFile">Only these architectures (a file, one a line).</param>
/// <param name="Count">Only this many architectures, drawn from those all devices share (or, predicted, from the space).</param>
public sealed record MonotonicityRequest(
    IReadOnlyList<string> Devices,
    SearchSpace Space,
    StoreLocation Store,
    bool Predicted = false,
    string? ArchitecturesFile = null,
    int? Count = null,
    int Seed = 0,
    double Threshold = Monotonicity.DefaultThreshold,
    int Bootstrap = Monotonicity.DefaultBootstrap)
{
    /// <summary>Architectures drawn from the space for predicted latencies when no count is given.</summary>
    public const int DefaultPredictedCount = 1000;
}

/// <summary>SRCC and Kendall matrices (rows and columns in <see cref="Devices"/> order) and a verdict per pair.</summary>
public sealed record MonotonicityResult(
    IReadOnlyList<string> Devices, int Architectures, double Threshold, bool Predicted, double[][] Srcc, double[][] Kendall, IReadOnlyList<DevicePair> Pairs);

/// <summary>How similarly devices rank architectures by latency, measured or predicted.</summary>
public sealed class MonotonicityUseCase
{
    /// <exception cref="InvalidInputException">Fewer than two devices, a device without a predictor (predicted), or fewer than 3 shared architectures.</exception>
    public MonotonicityResult Run(MonotonicityRequest request)
    {
        using var store = request.Store.OpenExisting();
        var names = StoredLatencies.Resolve(store, request.Devices, request.Space);
        if (names.Count < 2)
        {
            throw new InvalidInputException("Monotonicity compares at least two devices.");
        }
        IReadOnlyList<Architecture> architectures;
        IReadOnlyList<DeviceLatencies> latencies;
        if (request.Predicted)
        {
            var predictors = names.Select(name => (name, PredictorCatalog.Load(request.Store, name, request.Space).Predictor)).ToList();
            architectures = request.ArchitecturesFile is { } file
                ? ArchitectureSelection.ReadFile(file, request.Space)
                : request.Space.SampleDistinct((int)Math.Min(request.Count ?? MonotonicityRequest.DefaultPredictedCount, (double)request.Space.Size), request.Seed);
            latencies = predictors.Select(p => new DeviceLatencies(p.name, p.Predictor.Predict(architectures))).ToList();
        }
        else
        {
            var data = names.Select(name => StoredLatencies.Load(store, name, request.Space)).ToList();
            architectures = Monotonicity.Shared(data.Select(d => (IReadOnlyCollection<Architecture>)d.Architectures));
            if (request.ArchitecturesFile is { } file)
            {
                var wanted = ArchitectureSelection.ReadFile(file, request.Space).ToHashSet();
                architectures = architectures.Where(wanted.Contains).ToList();
            }
            if (request.Count is { } count && count < architectures.Count)
            {
                var order = architectures.ToArray();
                new Random(request.Seed).Shuffle(order);
                architectures = order.Take(count).OrderBy(a => a.Digits, StringComparer.Ordinal).ToList();
            }
            if (architectures.Count < 3)
            {
                throw new InvalidInputException($"The devices share only {architectures.Count} measured architectures; at least 3 are needed.");
            }
            latencies = data.Select(d => new DeviceLatencies(d.Device, new Prediction.MeasuredLatencies(d).Predict(architectures))).ToList();
        }
        var matrix = Monotonicity.Compute(latencies, architectures.Count, request.Threshold, request.Bootstrap, request.Seed);
        return new MonotonicityResult(matrix.Devices, matrix.Architectures, matrix.Threshold, request.Predicted, Jagged(matrix.Srcc), Jagged(matrix.Kendall), matrix.Pairs);
    }

    internal static double[][] Jagged(double[,] matrix)
        => Enumerable.Range(0, matrix.GetLength(0)).Select(i => Enumerable.Range(0, matrix.GetLength(1)).Select(j => matrix[i, j]).ToArray()).ToArray();
}
