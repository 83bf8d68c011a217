using LatencyNas.Analysis;
using LatencyNas.Core;
using LatencyNas.Core.Spaces;
using LatencyNas.Prediction;

namespace LatencyNas.Workflows;

/// <param name="Devices">Names, <c>all</c>, or <c>prefix*</c>.</param>
/// <param name="Objective">Also an objective's values (stored, or computed: params, macs...); then only the architectures that have it.</param>
public sealed record LatencyColumnsRequest(IReadOnlyList<string> Devices, SearchSpace Space, StoreLocation Store, string? Objective = null);

/// <summary>
/// The measured latencies of the architectures every named device shares, as columns: row i is
/// <see cref="Ops"/>[i] (its published <see cref="Index"/>, where the space has one) on each device, and its
/// <see cref="ObjectiveValues"/> when an objective was asked for. Latencies are those the analyses use (the
/// mean over sessions of one protocol).
/// </summary>
public sealed record LatencyColumnsResult(
    string Space, int Architectures, IReadOnlyList<string> Ops, IReadOnlyList<int?> Index, IReadOnlyDictionary<string, double[]> LatenciesMs,
    string? Objective = null, IReadOnlyList<double>? ObjectiveValues = null);

/// <summary>Columns of measured latencies (and an objective), for a chart that draws thousands of architectures at once.</summary>
public sealed class LatencyColumnsUseCase
{
    /// <exception cref="InvalidInputException">A device or objective the store does not hold, or devices that share no measured architecture.</exception>
    public LatencyColumnsResult Run(LatencyColumnsRequest request)
    {
        using var store = request.Store.OpenExisting();
        var data = StoredLatencies.Resolve(store, request.Devices, request.Space).Select(name => StoredLatencies.Load(store, name, request.Space)).ToList();
        var shared = Monotonicity.Shared(data.Select(d => (IReadOnlyCollection<Architecture>)d.Architectures));
        double[]? objective = null;
        if (request.Objective is { } name)
        {
            (shared, objective) = ObjectiveCatalog.ValuesAmong(store, request.Space, data[0].Dataset, name, seed: 0, shared);
        }
        if (shared.Count == 0)
        {
            throw new InvalidInputException(
                $"{string.Join(", ", data.Select(d => d.Device))} share no measured {request.Space.Name} architecture{(request.Objective is null ? "" : $" with '{request.Objective}'")}.");
        }
        return new LatencyColumnsResult(request.Space.Name, shared.Count, shared.Select(a => a.Digits).ToList(), shared.Select(request.Space.IndexOf).ToList(),
            data.ToDictionary(d => d.Device, d => new MeasuredLatencies(d).Predict(shared).ToArray()), request.Objective, objective);
    }
}
