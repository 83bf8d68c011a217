using LatencyNas.Core;
using LatencyNas.Core.Spaces;
using LatencyNas.Prediction;
using LatencyNas.Profiling.Store;

namespace LatencyNas.Workflows;

/// <summary>Devices' measured latencies read out of a profile store, as the predictors and analyses take them.</summary>
public static class StoredLatencies
{
    /// <summary>Every successfully measured architecture of <paramref name="space"/> on a device, in digit order.</summary>
    /// <exception cref="ProfileStoreException">No such device.</exception>
    /// <exception cref="InvalidInputException">The device holds no successful measurement of the space.</exception>
    public static LatencyData Load(ProfileStore store, string device, SearchSpace space)
    {
        var stored = store.Devices.Get(device);
        var data = LatencyData.FromDigits(stored.Name, space, stored.InputDataset, store.Measurements.Latencies(stored, space));
        return data.Count > 0
            ? data
            : throw new InvalidInputException($"Device '{stored.Name}' in {store.Path} holds no successful measurement of {space.Name} architectures.");
    }

    /// <summary>Every device of the store that holds measurements of <paramref name="space"/>.</summary>
    public static IReadOnlyList<LatencyData> LoadAll(ProfileStore store, SearchSpace space)
        => store.Devices.List()
            .Select(d => LatencyData.FromDigits(d.Device.Name, space, d.Device.InputDataset, store.Measurements.Latencies(d.Device, space)))
            .Where(d => d.Count > 0)
            .ToList();

    /// <summary>Expands device patterns — names, <c>all</c>, and <c>prefix*</c> — against the store, in order and without repeats.</summary>
    /// <exception cref="ProfileStoreException">A name the store does not hold, or a prefix that matches nothing.</exception>
    public static IReadOnlyList<string> Resolve(ProfileStore store, IReadOnlyList<string> patterns)
    {
        var known = store.Devices.List().Select(d => d.Device.Name).ToList();
        var names = new List<string>();
        foreach (string pattern in patterns)
        {
            if (pattern == "all")
            {
                names.AddRange(known);
            }
            else if (pattern.EndsWith('*'))
            {
                var matches = known.Where(k => k.StartsWith(pattern[..^1], StringComparison.Ordinal)).ToList();
                names.AddRange(matches.Count > 0 ? matches : throw new ProfileStoreException($"No device in {store.Path} matches '{pattern}'."));
            }
            else
            {
                names.Add(store.Devices.Get(pattern).Name);
            }
        }
        return names.Count > 0 ? names.Distinct().ToList() : throw new InvalidInputException("No device was named.");
    }
}
