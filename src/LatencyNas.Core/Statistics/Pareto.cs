namespace LatencyNas.Core.Statistics;

/// <summary>A candidate with its latency (lower is better) and objective (higher is better, e.g. accuracy).</summary>
public readonly record struct ParetoPoint(int Index, double Latency, double Objective);

/// <summary>Pareto fronts for (latency ↓, objective ↑) and their 2-D hypervolume against a reference point.</summary>
public static class Pareto
{
    /// <summary>
    /// The non-dominated points, sorted by latency ascending (and so by objective ascending). Exact twins — equal
    /// latency and objective, common in tables of whole milliseconds — do not dominate each other: both are on the front.
    /// </summary>
    public static IReadOnlyList<ParetoPoint> Front(IEnumerable<ParetoPoint> points)
    {
        var sorted = points.OrderBy(p => p.Latency).ThenByDescending(p => p.Objective).ThenBy(p => p.Index).ToList();
        var front = new List<ParetoPoint>();
        double bestObjective = double.NegativeInfinity;
        foreach (var point in sorted)
        {
            // Sorted by latency, a point is non-dominated when it beats every faster point's objective.
            if (point.Objective > bestObjective || (front.Count > 0 && point.Latency == front[^1].Latency && point.Objective == front[^1].Objective))
            {
                front.Add(point);
                bestObjective = point.Objective;
            }
        }
        return front;
    }

    /// <summary>
    /// Area dominated by the points and bounded by the reference point (worst latency, worst
    /// objective), by a sort-and-sweep over the front. Points beyond the reference add nothing.
    /// </summary>
    public static double Hypervolume(IEnumerable<ParetoPoint> points, double referenceLatency, double referenceObjective)
    {
        var front = Front(points.Where(p => p.Latency <= referenceLatency && p.Objective >= referenceObjective));
        double volume = 0;
        for (int i = 0; i < front.Count; i++)
        {
            double nextLatency = i + 1 < front.Count ? front[i + 1].Latency : referenceLatency;
            volume += (nextLatency - front[i].Latency) * (front[i].Objective - referenceObjective);
        }
        return volume;
    }

    /// <summary>The best objective among points within a latency budget, or NaN when none fits.</summary>
    public static double BestWithin(IEnumerable<ParetoPoint> points, double budget)
    {
        double best = double.NaN;
        foreach (var point in points)
        {
            if (point.Latency <= budget && (double.IsNaN(best) || point.Objective > best))
            {
                best = point.Objective;
            }
        }
        return best;
    }
}
