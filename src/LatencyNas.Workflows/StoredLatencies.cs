using LatencyNas.Core;
using LatencyNas.Core.Measurements;
using LatencyNas.Core.Spaces;
using LatencyNas.Prediction;
using LatencyNas.Profiling.Store;

namespace LatencyNas.Workflows;

/// <summary>Devices' measured latencies read out of a profile store, as the predictors and analyses take them.</summary>
public static class StoredLatencies
{
    /// <summary>
    /// Every successfully measured architecture of <paramref name="space"/> on a device, in digit order.
    /// A device profiled with both protocols gives only its interleaved measurements, unless
    /// <paramref name="mixProtocols"/>: the burst protocol's numbers do not reproduce as well (docs/measurement.md),
    /// and a predictor trained on a mixture learns the difference between them as if it were latency.
    /// </summary>
    /// <exception cref="ProfileStoreException">No such device.</exception>
    /// <exception cref="InvalidInputException">The device holds no successful measurement of the space.</exception>
    public static LatencyData Load(ProfileStore store, string device, SearchSpace space, bool mixProtocols = false)
    {
        var stored = store.Devices.Get(device);
        var data = LatencyData.FromDigits(stored.Name, space, stored.InputDataset, store.Measurements.Latencies(stored, space, ProtocolToUse(store, stored, space, mixProtocols)));
        return data.Count > 0
            ? data
            : throw new InvalidInputException($"Device '{stored.Name}' in {store.Location} holds no successful measurement of {space.Name} architectures.");
    }

    /// <summary>The one protocol a device's latencies are read from: interleaved when it has both, else all of them (null).</summary>
    public static string? ProtocolToUse(ProfileStore store, StoredDevice device, SearchSpace space, bool mixProtocols)
    {
        var protocols = store.Measurements.Protocols(device, space);
        return !mixProtocols && protocols.ContainsKey(MeasurementProtocols.Interleaved) && protocols.ContainsKey(MeasurementProtocols.Burst)
            ? MeasurementProtocols.Interleaved
            : null;
    }

    /// <summary>How many measurements of a device <see cref="Load"/> leaves out because another protocol made them.</summary>
    public static int LeftOut(ProfileStore store, string device, SearchSpace space, bool mixProtocols)
    {
        var stored = store.Devices.Get(device);
        return ProtocolToUse(store, stored, space, mixProtocols) is { } kept
            ? store.Measurements.Protocols(stored, space).Where(p => p.Key != kept).Sum(p => p.Value)
            : 0;
    }

    /// <summary>Every device of the store that holds measurements of <paramref name="space"/>.</summary>
    public static IReadOnlyList<LatencyData> LoadAll(ProfileStore store, SearchSpace space)
        => store.Devices.List()
            .Select(d => LatencyData.FromDigits(d.Device.Name, space, d.Device.InputDataset,
                store.Measurements.Latencies(d.Device, space, ProtocolToUse(store, d.Device, space, mixProtocols: false))))
            .Where(d => d.Count > 0)
            .ToList();

    /// <summary>Expands device patterns — names, <c>all</c>, and <c>prefix*</c> — against the store, in order and without repeats.</summary>
    /// <exception cref="ProfileStoreException">A name the store does not hold, or a prefix that matches nothing.</exception>
    /// <param name="space">
    /// <c>all</c> and prefixes stand for the devices measured on this space only: one store holds the devices of
    /// several spaces (the HELP tables of NB201 and FBNet), and not every device is measured on each.
    /// </param>
    public static IReadOnlyList<string> Resolve(ProfileStore store, IReadOnlyList<string> patterns, SearchSpace space)
    {
        var known = store.Devices.List().Where(d => store.Measurements.Protocols(d.Device, space).Count > 0).Select(d => d.Device.Name).ToList();
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
                names.AddRange(matches.Count > 0 ? matches : throw new ProfileStoreException($"No device in {store.Location} measured on {space.Name} matches '{pattern}'."));
            }
            else
            {
                names.Add(store.Devices.Get(pattern).Name);
            }
        }
        return names.Count > 0 ? names.Distinct().ToList()
            : patterns.Contains("all") ? throw new ProfileStoreException($"No device in {store.Location} is measured on {space.Name}, so 'all' names none. Profile or import one first.")
            : throw new InvalidInputException("No device was named.");
    }
}
