using LatencyNas.Core.Statistics;

namespace LatencyNas.Core.Tests.Statistics;

public class LinearFitTests
{
    [Fact]
    public void Points_on_a_line_give_that_line_with_r_squared_one()
    {
        double[] x = [0.5, 1, 2, 7, 11];
        var fit = LinearFit.LeastSquares(x, x.Select(v => 2.5 * v - 4).ToArray());
        Assert.Equal(2.5, fit.Slope, 12);
        Assert.Equal(-4, fit.Intercept, 12);
        Assert.Equal(1, fit.RSquared, 12);
        Assert.Equal(21, fit.At(10), 12);
    }

    [Fact]
    public void A_hand_computed_fit_of_scattered_points()
    {
        // (0,1), (1,3), (2,2), (3,5), (4,4): x̄ = 2, ȳ = 3, deviations x −2 −1 0 1 2 and y −2 0 −1 2 1,
        // so Sxx = 10, Sxy = 4 + 0 + 0 + 2 + 2 = 8, Syy = 10 → slope 0.8, intercept 3 − 0.8·2 = 1.4, R² = 8² / (10·10).
        var fit = LinearFit.LeastSquares([0, 1, 2, 3, 4], [1, 3, 2, 5, 4]);
        Assert.Equal(0.8, fit.Slope, 12);
        Assert.Equal(1.4, fit.Intercept, 12);
        Assert.Equal(0.64, fit.RSquared, 12);
    }

    [Fact]
    public void A_constant_x_has_no_line()
    {
        Assert.True(double.IsNaN(LinearFit.LeastSquares([2, 2, 2], [1, 2, 3]).Slope));
        Assert.True(double.IsNaN(LinearFit.LeastSquares([1], [1]).Slope));
        Assert.Throws<ArgumentException>(() => LinearFit.LeastSquares([1, 2], [1]));
    }
}
