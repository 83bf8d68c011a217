using LatencyNas.Analysis;
using LatencyNas.Core;
using LatencyNas.Core.Spaces;
using LatencyNas.Prediction;
using LatencyNas.Profiling.Store;

namespace LatencyNas.Workflows;

/// <summary>Proxy adaptation with the store's other devices at hand for device mixing.</summary>
internal static class StoredAdaptation
{
    /// <summary>
    /// The proxy adapted to the target from <paramref name="samples"/> of its measurements (all of them when that many),
    /// drawn at random or where the store's other devices disagree most (<see cref="DisagreementSamples"/>); by
    /// <paramref name="method"/>, or by the one <see cref="ProxyAdapter.Choose"/> picks when null (diverse samples are mixed).
    /// </summary>
    /// <param name="needed">Architectures the adapted model will be asked about (null: the whole space).</param>
    /// <exception cref="InvalidInputException">Spread sampling (only <c>adapt</c> draws that way); too few architectures every other device measured
    /// for diverse samples; device mixing asked for (or the only method left) with no other device covering what is needed.</exception>
    public static AdaptedEstimator Adapt(ProfileStore store, SearchSpace space, LatencyData proxy, LatencyData target, int samples, int seed, TargetSampling sampling,
        AdaptationMethod? method, IReadOnlyCollection<Architecture>? needed, Func<ILatencyEstimator> proxyPredictor)
    {
        if (sampling == TargetSampling.Spread)
        {
            throw new InvalidInputException("Spread sampling is for `latnas adapt`; here the target samples are drawn at random or diverse.");
        }
        bool mixes = method is null or AdaptationMethod.DeviceMix or AdaptationMethod.DevicePrior;
        // Read once: both the diverse draw and device mixing need every device of the store.
        var devices = mixes || sampling == TargetSampling.Diverse ? StoredLatencies.LoadAll(store, space) : [];
        var known = samples >= target.Count ? target
            : sampling == TargetSampling.Diverse ? DisagreementSamples.Split(target, devices, samples, seed).Known
            : target.Split(samples, seed).Train;
        var adapter = new ProxyAdapter(proxy, mixes ? devices : [], needed, proxyPredictor, drawnAtRandom: sampling != TargetSampling.Diverse);
        return method is { } named
            ? adapter.Adapt(named, known)
              ?? throw new InvalidInputException(named == AdaptationMethod.DevicePrior
                  ? $"A device prior needs at least two known devices with {DevicePrior.MeasurementsPerWeight} measurements per weight of the additive model; the store has fewer. Use --method rescale or proxy-feature."
                  : "No other device in the store is measured on every architecture needed; device mixing has nothing to mix. Use --method rescale or proxy-feature.")
            : adapter.AdaptChosen(known);
    }

    /// <exception cref="InvalidInputException">The target has too few measurements to set <paramref name="samples"/> apart and keep some.</exception>
    public static void RequireSamples(LatencyData target, int samples)
    {
        if (samples < 3 || samples >= target.Count)
        {
            throw new InvalidInputException(samples < 3
                ? $"--target-samples must be at least 3 (got {samples})."
                : $"Device '{target.Device}' has {target.Count:N0} measured {target.Space.Name} architectures; --target-samples {samples} leaves none to test on. Ask for fewer.");
        }
    }
}
