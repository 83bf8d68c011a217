using LatencyNas.Analysis;
using LatencyNas.Core;
using LatencyNas.Core.Spaces;
using LatencyNas.Prediction;
using LatencyNas.Profiling.Store;

namespace LatencyNas.Workflows;

/// <summary>Proxy adaptation with the store's other devices at hand for device mixing.</summary>
internal static class StoredAdaptation
{
    /// <summary>The proxy adapted to the target from its samples, by <paramref name="method"/>, or by the method cross-validation on the samples chooses when null.</summary>
    /// <param name="needed">Architectures the adapted model will be asked about (null: the whole space).</param>
    /// <exception cref="InvalidInputException">Device mixing was asked for (or is the only method left), but no other device covers what is needed.</exception>
    /// <param name="sampling">How <paramref name="samples"/> were drawn: diverse ones are mixed, not cross-validated (<see cref="ProxyAdapter.Choose"/>).</param>
    public static AdaptedEstimator Adapt(ProfileStore store, SearchSpace space, LatencyData proxy, LatencyData samples, AdaptationMethod? method,
        IReadOnlyCollection<Architecture>? needed, Func<ILatencyEstimator> proxyPredictor, TargetSampling sampling = TargetSampling.Random)
    {
        var others = method is null or AdaptationMethod.DeviceMix ? StoredLatencies.LoadAll(store, space) : [];
        var adapter = new ProxyAdapter(proxy, others, needed, proxyPredictor);
        return method is { } named
            ? adapter.Adapt(named, samples)
              ?? throw new InvalidInputException("No other device in the store is measured on every architecture needed; device mixing has nothing to mix. Use --method rescale or proxy-feature.")
            : adapter.AdaptChosen(samples, drawnAtRandom: sampling != TargetSampling.Diverse);
    }

    /// <summary>
    /// The <paramref name="count"/> target samples to adapt from: all of the target's measurements when that many, else drawn
    /// at random or where the store's other devices disagree most (<see cref="DisagreementSamples"/>).
    /// </summary>
    /// <exception cref="InvalidInputException">Spread sampling (only <c>adapt</c> draws that way), or too few architectures every other device measured.</exception>
    public static LatencyData Samples(ProfileStore store, SearchSpace space, LatencyData target, int count, int seed, TargetSampling sampling)
    {
        if (sampling == TargetSampling.Spread)
        {
            throw new InvalidInputException("Spread sampling is for `latnas adapt`; here the target samples are drawn at random or diverse.");
        }
        if (count >= target.Count)
        {
            return target;
        }
        if (sampling == TargetSampling.Random)
        {
            return target.Split(count, seed).Train;
        }
        var others = StoredLatencies.LoadAll(store, space).Where(d => d.Device != target.Device).ToList();
        var chosen = DisagreementSamples.Choose(others, target.Architectures, count, seed, $"of device '{target.Device}''s architectures").ToHashSet();
        return target.Subset(Enumerable.Range(0, target.Count).Where(i => chosen.Contains(target.Architectures[i])).ToArray());
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
