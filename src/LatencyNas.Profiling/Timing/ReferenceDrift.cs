using LatencyNas.Core.Statistics;

namespace LatencyNas.Profiling.Timing;

/// <summary>
/// How much slower than the device's reference a batch ran: the median, over the reference architectures
/// measured in the batch that have a stored reference latency, of measured ÷ reference. A whole machine
/// that slows down (a busy host, a throttled core) slows every model of a batch alike, and its references
/// with them; dividing the batch's estimates by this factor puts every batch on the scale of the one that
/// stored the reference (docs/measurement.md).
/// </summary>
public static class ReferenceDrift
{
    /// <summary>The factor, or null when no reference architecture has both a stored and a new latency.</summary>
    /// <param name="reference">Digits → the device's stored reference latency.</param>
    /// <param name="measured">Digits → the latency the batch measured for that reference architecture.</param>
    public static double? Factor(IReadOnlyDictionary<string, double> reference, IReadOnlyDictionary<string, double> measured)
    {
        var ratios = measured
            .Where(m => m.Value > 0 && reference.TryGetValue(m.Key, out double stored) && stored > 0)
            .Select(m => m.Value / reference[m.Key])
            .ToList();
        return ratios.Count > 0 ? Descriptive.Median(ratios) : null;
    }
}
