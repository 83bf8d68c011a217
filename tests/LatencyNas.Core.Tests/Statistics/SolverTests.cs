using LatencyNas.Core.Statistics;

namespace LatencyNas.Core.Tests.Statistics;

public class SolverTests
{
    [Fact]
    public void Ridge_with_no_penalty_is_ordinary_least_squares()
    {
        // y = 2 + 3x exactly.
        var rows = new[] { new[] { 1.0, 0 }, new[] { 1.0, 1 }, new[] { 1.0, 2 }, new[] { 1.0, 5 } };
        double[] w = RidgeRegression.Fit(rows, [2, 5, 8, 17], [0, 0]);
        Assert.Equal(2, w[0], 10);
        Assert.Equal(3, w[1], 10);
    }

    [Fact]
    public void Ridge_shrinks_only_penalised_columns()
    {
        var rows = new[] { new[] { 1.0, 1 }, new[] { 1.0, -1 } };
        double[] w = RidgeRegression.Fit(rows, [4, 0], [0, 2]);
        // Normal equations: [2 0; 0 2+2] w = [4; 4] → w = (2, 1).
        Assert.Equal(2, w[0], 12);
        Assert.Equal(1, w[1], 12);
    }

    [Fact]
    public void Singular_unpenalised_systems_are_reported()
        => Assert.Throws<ArgumentException>(() => RidgeRegression.Fit([new[] { 1.0, 1 }, new[] { 2.0, 2 }], [1, 2], [0, 0]));

    [Fact]
    public void Nnls_matches_the_unconstrained_solution_when_it_is_non_negative()
    {
        var rows = new[] { new[] { 1.0, 0 }, new[] { 0.0, 1 }, new[] { 1.0, 1 } };
        double[] x = NonNegativeLeastSquares.Solve(rows, [1, 2, 3]);
        Assert.Equal(1, x[0], 6);
        Assert.Equal(2, x[1], 6);
    }

    [Fact]
    public void Nnls_clamps_a_coefficient_that_would_go_negative()
    {
        // Unconstrained: b = 2a − c fits exactly with coefficients (2, −1); with x ≥ 0 the second is 0.
        var rows = new[] { new[] { 1.0, 1 }, new[] { 2.0, 1 }, new[] { 3.0, 1 } };
        double[] targets = [1, 3, 5];
        double[] x = NonNegativeLeastSquares.Solve(rows, targets);
        Assert.Equal(0, x[1], 9);
        // Least squares of b on a alone: Σab/Σa² = (1 + 6 + 15) / 14.
        Assert.Equal(22.0 / 14, x[0], 6);
    }
}
