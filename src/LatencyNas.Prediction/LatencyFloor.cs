namespace LatencyNas.Prediction;

/// <summary>
/// The lowest latency a model may predict for a device: half the smallest latency it was fitted on.
/// </summary>
/// <remarks>
/// A model fitted in milliseconds extrapolates below zero for architectures cheaper than any it
/// saw: on pixel3, whose pruned cells measure 0.003 ms, the additive model predicted −6.8 ms for
/// some, and a search under a tiny budget picked one. No network runs in zero time, and the
/// space's fastest NB201 architecture takes at least 0.71× the fastest of 1,000 random ones on
/// each of the 28 reference devices (five draws each), so half of the latter stays below what the
/// device does while staying positive. A prediction at the floor means the model is extrapolating past its data.
/// </remarks>
public static class LatencyFloor
{
    public const double Fraction = 0.5;

    /// <summary>The floor for a model fitted on these latencies (ms).</summary>
    /// <exception cref="ArgumentException">No latency, or one that is not a positive finite number.</exception>
    public static double Of(IReadOnlyCollection<double> latenciesMs)
    {
        if (latenciesMs.Count == 0 || latenciesMs.Any(l => !double.IsFinite(l) || l <= 0))
        {
            throw new ArgumentException("A latency floor needs positive, finite latencies.", nameof(latenciesMs));
        }
        return Fraction * latenciesMs.Min();
    }

    /// <summary>Raises every prediction below <paramref name="floorMs"/> (and any NaN) to it, in place.</summary>
    public static double[] Apply(double[] predictionsMs, double floorMs)
    {
        for (int i = 0; i < predictionsMs.Length; i++)
        {
            if (!(predictionsMs[i] >= floorMs))
            {
                predictionsMs[i] = floorMs;
            }
        }
        return predictionsMs;
    }
}
