namespace LatencyNas.Core.Statistics;

/// <summary>Order statistics and moments of a sample.</summary>
public static class Descriptive
{
    /// <summary>The q-quantile (0 ≤ q ≤ 1) of sorted values, by linear interpolation between closest ranks (NumPy's default).</summary>
    public static double QuantileOfSorted(IReadOnlyList<double> sorted, double q)
    {
        if (sorted.Count == 0)
        {
            return double.NaN;
        }
        double position = q * (sorted.Count - 1);
        int lower = (int)Math.Floor(position);
        int upper = Math.Min(lower + 1, sorted.Count - 1);
        return sorted[lower] + (position - lower) * (sorted[upper] - sorted[lower]);
    }

    public static double Median(IEnumerable<double> values) => QuantileOfSorted(values.Order().ToArray(), 0.5);

    /// <summary>Sample standard deviation (n − 1 in the denominator).</summary>
    public static double StandardDeviation(IReadOnlyList<double> values)
    {
        if (values.Count < 2)
        {
            return 0;
        }
        double mean = values.Average();
        double sum = 0;
        foreach (double v in values)
        {
            sum += (v - mean) * (v - mean);
        }
        return Math.Sqrt(sum / (values.Count - 1));
    }
}
