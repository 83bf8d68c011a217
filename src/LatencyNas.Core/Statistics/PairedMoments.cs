namespace LatencyNas.Core.Statistics;

/// <summary>The means and centred sums of squares and products of paired samples: what Pearson's r and a least-squares line are made of.</summary>
internal readonly record struct PairedMoments(double MeanX, double MeanY, double Sxx, double Syy, double Sxy)
{
    /// <summary>Callers <see cref="Check"/> the samples first.</summary>
    public static PairedMoments Of(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        int n = x.Count;
        double meanX = 0, meanY = 0;
        for (int i = 0; i < n; i++)
        {
            meanX += x[i];
            meanY += y[i];
        }
        meanX /= n;
        meanY /= n;
        double sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < n; i++)
        {
            double dx = x[i] - meanX, dy = y[i] - meanY;
            sxy += dx * dy;
            sxx += dx * dx;
            syy += dy * dy;
        }
        return new PairedMoments(meanX, meanY, sxx, syy, sxy);
    }

    /// <exception cref="ArgumentException">The samples differ in length.</exception>
    public static void Check(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Count != y.Count)
        {
            throw new ArgumentException($"Paired samples differ in length: {x.Count} and {y.Count}.");
        }
    }
}
