using LatencyNas.Core.Measurements;
using LatencyNas.Core.Statistics;

namespace LatencyNas.Profiling.Timing;

/// <summary>
/// How much slower than the device's reference a batch ran: the median, over the reference architectures
/// measured in the batch that have a stored reference latency, of measured ÷ reference. A whole machine
/// that slows down (a busy host, a throttled core) slows every model of a batch alike, and its references
/// with them; dividing the batch's estimates by this factor puts every batch on the scale of the one that
/// stored the reference (docs/measurement.md).
/// </summary>
/// <param name="Factor">The median of measured ÷ reference.</param>
/// <param name="Spread">
/// How far the references disagree: the largest ratio ÷ the smallest − 1. A slow spell that slows small
/// networks more than large ones (a retest saw 1.46× against 1.19×) spreads them, and then no single factor
/// corrects the batch.
/// </param>
public sealed record ReferenceDrift(double Factor, double Spread)
{
    /// <summary>The drift, or null when no reference architecture has both a stored and a new latency.</summary>
    /// <param name="reference">Digits → the device's stored reference latency.</param>
    /// <param name="measured">Digits → the latency the batch measured for that reference architecture.</param>
    public static ReferenceDrift? Of(IReadOnlyDictionary<string, double> reference, IReadOnlyDictionary<string, double> measured)
    {
        var ratios = measured
            .Where(m => m.Value > 0 && reference.TryGetValue(m.Key, out double stored) && stored > 0)
            .Select(m => m.Value / reference[m.Key])
            .ToList();
        return ratios.Count > 0 ? new ReferenceDrift(Descriptive.Median(ratios), ratios.Max() / ratios.Min() - 1) : null;
    }

    /// <summary>
    /// A measurement of a batch as it is stored: its estimate divided by the batch's factor, if it has one; and its
    /// precision claim kept only while <see cref="ClaimStands"/>.
    /// </summary>
    public static Measurement AsStored(Measurement measurement, ReferenceDrift? drift, bool storedTheReference, double? precision)
    {
        var corrected = drift is null ? measurement : measurement.CorrectedFor(drift.Factor, drift.Spread);
        return ClaimStands(drift, storedTheReference, precision) ? corrected : corrected.WithoutPrecisionClaim();
    }

    /// <summary>
    /// Whether an estimate whose own visits met <paramref name="precision"/> still claims it as stored: not when its batch
    /// stored the device's reference (nothing has checked that batch's scale; in recorded retests such batches broke the
    /// promise most), nor when its references disagree (<see cref="WithdrawsClaimsOf"/>).
    /// </summary>
    public static bool ClaimStands(ReferenceDrift? drift, bool storedTheReference, double? precision)
        => !storedTheReference && drift?.WithdrawsClaimsOf(precision) != true;

    /// <summary>
    /// Whether the references disagree by more than half the precision the batch's estimates claim. A network's own
    /// slowdown can lie anywhere in the references' range, so the correction of each of two sessions may be off by
    /// about half its spread, and a retest compares two corrected estimates: references spread by half the precision
    /// use up half of it, and the estimate's own error needs the other half. Retests whose batches' references spread
    /// 6.4–7.5% broke the 10% promise (docs/measurement.md).
    /// </summary>
    public bool WithdrawsClaimsOf(double? precision) => Spread > precision / 2;
}
