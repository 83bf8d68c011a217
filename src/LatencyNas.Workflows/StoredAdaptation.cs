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
    public static AdaptedEstimator Adapt(ProfileStore store, SearchSpace space, LatencyData proxy, LatencyData samples, AdaptationMethod? method,
        IReadOnlyCollection<Architecture>? needed, Func<ILatencyEstimator> proxyPredictor)
    {
        var others = method is null or AdaptationMethod.DeviceMix ? StoredLatencies.LoadAll(store, space) : [];
        var adapter = new ProxyAdapter(proxy, others, needed, proxyPredictor);
        return method is { } named
            ? adapter.Adapt(named, samples)
              ?? throw new InvalidInputException("No other device in the store is measured on every architecture needed; device mixing has nothing to mix. Use --method rescale or proxy-feature.")
            : adapter.AdaptChosen(samples);
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
