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

    /// <summary>More columns than rows, as when an FBNet model (199 one-hot columns) adapts from 70 samples; two columns free.</summary>
    [Theory]
    [InlineData(1e-4)]
    [InlineData(1.0)]
    [InlineData(100.0)]
    public void Leave_one_out_predictions_equal_refitting_without_each_row(double lambda)
    {
        var random = new Random(7);
        const int n = 30, p = 45;
        var rows = Enumerable.Range(0, n).Select(_ => Enumerable.Range(0, p).Select(j => j == p - 1 ? 1.0 : random.Next(3) == 0 ? 1.0 : 0.0).ToArray()).ToList();
        var targets = rows.Select(r => r.Sum() * 0.3 + random.NextDouble()).ToList();
        double[] penalties = Enumerable.Repeat(lambda, p - 2).Append(0).Append(0).ToArray();
        rows.ForEach(r => r[p - 2] = r.Take(p - 2).Sum()); // an unpenalised column that varies

        double[] closedForm = RidgeRegression.LeaveOneOutPredictions(rows, targets, penalties);

        for (int held = 0; held < n; held++)
        {
            double[] w = RidgeRegression.Fit(rows.Where((_, i) => i != held).ToList(), targets.Where((_, i) => i != held).ToList(), penalties);
            double refitted = rows[held].Zip(w).Sum(t => t.First * t.Second);
            Assert.Equal(refitted, closedForm[held], 8);
        }
    }

    [Fact]
    public void Leave_one_out_refuses_a_row_whose_absence_leaves_an_unpenalised_column_undetermined()
    {
        // Only the last row has the free second column: without it that coefficient is anything.
        var rows = new[] { new[] { 1.0, 0 }, new[] { 1.0, 0 }, new[] { 1.0, 2 } };
        Assert.Throws<ArgumentException>(() => RidgeRegression.LeaveOneOutPredictions(rows, [1, 2, 3], [0, 0]));
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
