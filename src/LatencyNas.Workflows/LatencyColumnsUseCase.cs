using LatencyNas.Analysis;
using LatencyNas.Core;
using LatencyNas.Core.Spaces;
using LatencyNas.Prediction;

namespace LatencyNas.Workflows;

/// <param name="Devices">Names, <c>all</c>, or <c>prefix*</c>.</param>
public sealed record LatencyColumnsRequest(IReadOnlyList<string> Devices, SearchSpace Space, StoreLocation Store);

/// <summary>
/// The measured latencies of the architectures every named device shares, as columns: row i is
/// <see cref="Ops"/>[i] (its published <see cref="Index"/>, where the space has one) on each device.
/// Latencies are those the analyses use (the mean over sessions of one protocol).
/// </summary>
public sealed record LatencyColumnsResult(
    string Space, int Architectures, IReadOnlyList<string> Ops, IReadOnlyList<int?> Index, IReadOnlyDictionary<string, double[]> LatenciesMs);

/// <summary>Columns of measured latencies, for a chart that draws thousands of architectures at once.</summary>
public sealed class LatencyColumnsUseCase
{
    /// <exception cref="InvalidInputException">A device the store does not hold, or devices that share no measured architecture.</exception>
    public LatencyColumnsResult Run(LatencyColumnsRequest request)
    {
        using var store = request.Store.OpenExisting();
        var data = StoredLatencies.Resolve(store, request.Devices, request.Space).Select(name => StoredLatencies.Load(store, name, request.Space)).ToList();
        var shared = Monotonicity.Shared(data.Select(d => (IReadOnlyCollection<Architecture>)d.Architectures));
        if (shared.Count == 0)
        {
            throw new InvalidInputException($"{string.Join(", ", data.Select(d => d.Device))} share no measured {request.Space.Name} architecture.");
        }
        return new LatencyColumnsResult(request.Space.Name, shared.Count, shared.Select(a => a.Digits).ToList(), shared.Select(request.Space.IndexOf).ToList(),
            data.ToDictionary(d => d.Device, d => new MeasuredLatencies(d).Predict(shared).ToArray()));
    }
}
