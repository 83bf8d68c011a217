namespace LatencyNas.Core.Statistics;

/// <summary>The ordinary least-squares line y = Slope·x + Intercept and the share of y's variance it explains (R²).</summary>
public readonly record struct LinearFit(double Slope, double Intercept, double RSquared)
{
    /// <returns>NaN slope, intercept and R² when x is constant or there are fewer than two pairs.</returns>
    public static LinearFit LeastSquares(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Count != y.Count)
        {
            throw new ArgumentException($"Paired samples differ in length: {x.Count} and {y.Count}.");
        }
        int n = x.Count;
        if (n < 2)
        {
            return new LinearFit(double.NaN, double.NaN, double.NaN);
        }
        double meanX = x.Average(), meanY = y.Average();
        double sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < n; i++)
        {
            double dx = x[i] - meanX, dy = y[i] - meanY;
            sxy += dx * dy;
            sxx += dx * dx;
            syy += dy * dy;
        }
        if (sxx == 0)
        {
            return new LinearFit(double.NaN, double.NaN, double.NaN);
        }
        double slope = sxy / sxx;
        // A constant y lies exactly on the fitted (flat) line.
        double rSquared = syy == 0 ? 1 : sxy * sxy / (sxx * syy);
        return new LinearFit(slope, meanY - slope * meanX, rSquared);
    }

    public double At(double x) => Slope * x + Intercept;
}
