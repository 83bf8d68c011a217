namespace LatencyNas.Core.Statistics;

/// <summary>The ordinary least-squares line y = Slope·x + Intercept and the share of y's variance it explains (R²).</summary>
public readonly record struct LinearFit(double Slope, double Intercept, double RSquared)
{
    /// <returns>NaN slope, intercept and R² when x is constant or there are fewer than two pairs.</returns>
    public static LinearFit LeastSquares(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        PairedMoments.Check(x, y);
        if (x.Count < 2)
        {
            return new LinearFit(double.NaN, double.NaN, double.NaN);
        }
        var (meanX, meanY, sxx, syy, sxy) = PairedMoments.Of(x, y);
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
