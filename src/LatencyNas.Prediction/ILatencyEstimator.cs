using LatencyNas.Core.Spaces;

namespace LatencyNas.Prediction;

/// <summary>Anything that gives a latency (ms) for many architectures at once: a trained predictor, an adapted proxy, a table of measurements.</summary>
public interface ILatencyEstimator
{
    string Description { get; }

    double[] Predict(IReadOnlyList<Architecture> architectures);
}

/// <summary>Measured latencies used as an estimator (for architectures the table holds).</summary>
public sealed class MeasuredLatencies(LatencyData data) : ILatencyEstimator
{
    private readonly Dictionary<Architecture, double> _latencies = data.Architectures.Zip(data.LatenciesMs).ToDictionary(p => p.First, p => p.Second);

    public string Description => $"measured on {data.Device}";

    public bool Covers(Architecture architecture) => _latencies.ContainsKey(architecture);

    /// <exception cref="Core.InvalidInputException">An architecture was never measured on the device.</exception>
    public double[] Predict(IReadOnlyList<Architecture> architectures)
        => architectures.Select(a => _latencies.TryGetValue(a, out double latency)
            ? latency
            : throw new Core.InvalidInputException($"{a.Digits} was never measured on {data.Device}.")).ToArray();
}

/// <summary>
/// A device's measurements where it has them, else a predictor's values: the predictor is built
/// only when an architecture the device was never measured on is asked about.
/// </summary>
public sealed class MeasuredOrPredicted(LatencyData data, Func<ILatencyEstimator> fallback) : ILatencyEstimator
{
    private readonly MeasuredLatencies _measured = new(data);
    private readonly Lazy<ILatencyEstimator> _predictor = new(fallback);

    public string Description => $"{data.Device} (measured)";

    public double[] Predict(IReadOnlyList<Architecture> architectures)
    {
        if (architectures.All(_measured.Covers))
        {
            return _measured.Predict(architectures);
        }
        double[] predicted = _predictor.Value.Predict(architectures);
        return architectures.Select((a, i) => _measured.Covers(a) ? _measured.Predict([a])[0] : predicted[i]).ToArray();
    }
}
