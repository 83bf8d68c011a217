using LatencyNas.Analysis;
using LatencyNas.Core;
using LatencyNas.Core.Spaces;

namespace LatencyNas.Workflows;

/// <summary>Architectures to measure, e.g. the first few on a new device.</summary>
/// <param name="Sampling"><see cref="TargetSampling.Random"/>: drawn uniformly; <see cref="TargetSampling.Diverse"/>: where the store's devices disagree most.</param>
/// <param name="Devices">Device patterns of the store whose disagreement counts (null: all measured on the space); only for diverse sampling.</param>
public sealed record SampleRequest(SearchSpace Space, int Count, int Seed, TargetSampling Sampling = TargetSampling.Random, IReadOnlyList<string>? Devices = null,
    StoreLocation? Store = null);

/// <param name="Devices">The devices whose disagreement chose them (empty for a random draw).</param>
public sealed record SampleResult(IReadOnlyList<Architecture> Architectures, IReadOnlyList<string> Devices);

public sealed class SampleUseCase
{
    /// <exception cref="InvalidInputException">Spread sampling (it needs a proxy and a target), devices given for a random draw, fewer than two devices, or too few architectures all of them measured.</exception>
    public SampleResult Run(SampleRequest request)
    {
        if (request.Sampling == TargetSampling.Spread)
        {
            throw new InvalidInputException("Spread sampling needs a proxy and a target: it is for `latnas adapt`. Here, sample at random or diverse.");
        }
        if (request.Sampling == TargetSampling.Random)
        {
            return request.Devices is null
                ? new SampleResult(request.Space.SampleDistinct(request.Count, request.Seed), [])
                : throw new InvalidInputException("--devices chooses whose disagreement counts: it goes with --sampling diverse.");
        }
        using var store = (request.Store ?? StoreLocation.Default).OpenExisting();
        var names = StoredLatencies.Resolve(store, request.Devices ?? ["all"], request.Space);
        if (names.Count < 2)
        {
            throw new InvalidInputException(request.Devices is null
                ? $"Diverse sampling compares devices, and {store.Location} has {names.Count} measured on {request.Space.Name}; it needs at least two."
                : $"Diverse sampling compares devices, and --devices names {names.Count} ({string.Join(", ", names)}); it needs at least two.");
        }
        var devices = names.Select(n => StoredLatencies.Load(store, n, request.Space)).ToList();
        var chosen = DisagreementSamples.Choose(devices, devices[0].Architectures, request.Count, request.Seed, $"{request.Space.Name} architectures");
        return new SampleResult(chosen, names);
    }
}
