using LatencyNas.Core;
using LatencyNas.Core.Spaces;
using LatencyNas.Core.Spaces.Nb201;
using LatencyNas.Core.Statistics;
using LatencyNas.Prediction;

namespace LatencyNas.Analysis;

/// <summary>
/// The architectures where known devices disagree most: among candidates every one of them has measured,
/// farthest-point samples in the leading principal components of their standardised log latencies
/// (<see cref="DiverseSamples"/>). What to measure first on a new device, so that a few measurements tell
/// which known devices it resembles. In NB201 each known device also counts as its additive model prices it were it to
/// compute other edges of a cell than it does (<see cref="ComputedEdges"/>), so that the samples also tell which edges the new
/// device computes: the known devices mostly compute the same ones, and alone they seldom sample where that matters.
/// </summary>
public static class DisagreementSamples
{
    /// <summary>Principal components the samples are spread in (2, 3 and 5 were replayed on the HELP tables; 3 was steadiest).</summary>
    public const int Components = 3;

    /// <param name="candidates">The architectures to choose among, in a stable order (the seed picks the first by position).</param>
    /// <param name="candidatesAre">How an error names the candidates, e.g. "of device 'x''s architectures".</param>
    /// <exception cref="InvalidInputException">No device, or no more candidates measured on every device than asked for.</exception>
    public static IReadOnlyList<Architecture> Choose(IReadOnlyList<LatencyData> devices, IReadOnlyList<Architecture> candidates, int count, int seed, string candidatesAre)
    {
        if (devices.Count == 0)
        {
            throw new InvalidInputException("Diverse sampling needs other devices in the store: it picks the samples where they disagree.");
        }
        // One index of the candidates, each device's latencies placed by it: a pass over each device's measurements
        // rather than a dictionary of them (those dictionaries took about 90 ms of every target's 0.35 s).
        var distinct = new List<Architecture>(candidates.Count);
        var position = new Dictionary<Architecture, int>(candidates.Count);
        foreach (var candidate in candidates)
        {
            if (position.TryAdd(candidate, distinct.Count))
            {
                distinct.Add(candidate);
            }
        }
        var placed = devices.Select(d =>
        {
            var latencies = new double[distinct.Count];
            Array.Fill(latencies, double.NaN);
            for (int i = 0; i < d.Count; i++)
            {
                if (position.TryGetValue(d.Architectures[i], out int at))
                {
                    latencies[at] = d.LatenciesMs[i];
                }
            }
            return latencies;
        }).ToList();
        var coveredAt = Enumerable.Range(0, distinct.Count).Where(at => placed.All(l => !double.IsNaN(l[at]))).ToArray();
        var covered = coveredAt.Select(at => distinct[at]).ToList();
        if (covered.Count <= count)
        {
            throw new InvalidInputException(
                $"Only {covered.Count:N0} {candidatesAre} are measured on every one of the {devices.Count} devices; diverse sampling needs more than {count}.");
        }
        var columns = placed.Select(l => (IReadOnlyList<double>)coveredAt.Select(at => l[at]).ToArray()).ToList();
        if (devices[0].Space is Nb201Space)
        {
            // The columns are compared in logs, and an additive model can price a cell unlike those it was fitted on at zero or less:
            // floored at 5% of the device's mean latency.
            var prior = new DevicePrior(devices[0].Space, devices[0].Dataset, devices);
            columns.AddRange(prior.LatenciesComputingOtherEdges(covered).Select(c => (IReadOnlyList<double>)c.Select(v => Math.Max(v, 0.05)).ToArray()));
        }
        return DiverseSamples.Choose(columns, count, Components, seed).Select(i => covered[i]).ToList();
    }

    /// <summary>
    /// The target's <paramref name="count"/> architectures where the other devices disagree most, to adapt from, and
    /// the rest of its measurements.
    /// </summary>
    /// <param name="devices">Known devices; the target itself among them is left out.</param>
    /// <exception cref="InvalidInputException">No other device, or too few of the target's architectures every one of them measured.</exception>
    public static (LatencyData Known, LatencyData Others) Split(LatencyData target, IReadOnlyList<LatencyData> devices, int count, int seed)
    {
        var position = target.Architectures.Select((a, i) => (a, i)).ToDictionary(p => p.a, p => p.i);
        var chosen = Choose(devices.Where(d => d.Device != target.Device).ToList(), target.Architectures, count, seed, $"of device '{target.Device}''s architectures");
        return target.SplitAt(chosen.Select(a => position[a]).ToArray());
    }
}
