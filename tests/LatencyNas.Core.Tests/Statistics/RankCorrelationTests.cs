using LatencyNas.Core.Statistics;

namespace LatencyNas.Core.Tests.Statistics;

public class RankCorrelationTests
{
    [Fact]
    public void Ties_get_average_ranks()
        => Assert.Equal([1.0, 2.5, 2.5, 4.0, 6.0, 6.0, 6.0], RankCorrelation.Ranks([1, 2, 2, 3, 5, 5, 5]));

    [Fact]
    public void Spearman_of_a_hand_computed_case_with_ties()
    {
        // x = [1, 2, 2, 3], y = [1, 3, 2, 4]: ranks x = [1, 2.5, 2.5, 4], y = [1, 3, 2, 4].
        // Pearson of the ranks: deviations x = [-1.5, 0, 0, 1.5], y = [-1.5, 0.5, -0.5, 1.5];
        // Σdxdy = 4.5, Σdx² = 4.5, Σdy² = 5 → 4.5 / √22.5.
        double expected = 4.5 / Math.Sqrt(4.5 * 5);
        Assert.Equal(expected, RankCorrelation.Spearman([1, 2, 2, 3], [1, 3, 2, 4]), 12);
    }

    [Fact]
    public void Spearman_is_one_for_any_monotone_map_and_minus_one_reversed()
    {
        double[] x = [0.3, 1.7, 2.2, 9.1, 4.4];
        Assert.Equal(1.0, RankCorrelation.Spearman(x, x.Select(v => Math.Exp(v)).ToArray()), 12);
        Assert.Equal(-1.0, RankCorrelation.Spearman(x, x.Select(v => -v * v).ToArray()), 12);
    }

    [Fact]
    public void Kendall_tau_b_of_a_hand_computed_case_with_ties()
    {
        // x = [1, 2, 2, 3], y = [1, 3, 2, 4]. Six pairs: (1,2) C, (1,3) C, (1,4) C, (2,3) tied in x, (2,4) C, (3,4) C.
        // C = 5, D = 0, ties only in x: n1 = 1, n2 = 0 → τb = 5 / √((6 − 1)(6 − 0)) = 5 / √30.
        Assert.Equal(5 / Math.Sqrt(30), RankCorrelation.KendallTauB([1, 2, 2, 3], [1, 3, 2, 4]), 12);
    }

    [Fact]
    public void Kendall_tau_b_with_ties_on_both_sides_and_discordant_pairs()
    {
        // x = [1, 1, 2, 3], y = [2, 1, 1, 3]:
        // (1,2) x tie; (1,3) x↑ y↓ D; (1,4) C; (2,3) x↑ y tie; (2,4) C; (3,4) C → C = 3, D = 1, n1 = 1, n2 = 1.
        Assert.Equal((3.0 - 1) / Math.Sqrt((6 - 1) * (6 - 1)), RankCorrelation.KendallTauB([1, 1, 2, 3], [2, 1, 1, 3]), 12);
    }

    [Fact]
    public void Kendall_fast_algorithm_matches_the_quadratic_definition_on_random_data_with_ties()
    {
        var random = new Random(7);
        for (int trial = 0; trial < 20; trial++)
        {
            int n = random.Next(2, 60);
            double[] x = Enumerable.Range(0, n).Select(_ => (double)random.Next(8)).ToArray();
            double[] y = Enumerable.Range(0, n).Select(_ => (double)random.Next(8)).ToArray();
            Assert.Equal(QuadraticTauB(x, y), RankCorrelation.KendallTauB(x, y), 10);
        }
    }

    [Fact]
    public void Constant_input_gives_nan_rather_than_a_made_up_number()
    {
        Assert.True(double.IsNaN(RankCorrelation.Spearman([1, 1, 1], [1, 2, 3])));
        Assert.True(double.IsNaN(RankCorrelation.KendallTauB([1, 1, 1], [1, 2, 3])));
    }

    private static double QuadraticTauB(double[] x, double[] y)
    {
        long concordant = 0, discordant = 0, tiesX = 0, tiesY = 0;
        for (int i = 0; i < x.Length; i++)
        {
            for (int j = i + 1; j < x.Length; j++)
            {
                int sx = Math.Sign(x[i] - x[j]), sy = Math.Sign(y[i] - y[j]);
                if (sx == 0 && sy == 0) continue;
                if (sx == 0) { tiesX++; continue; }
                if (sy == 0) { tiesY++; continue; }
                if (sx == sy) concordant++; else discordant++;
            }
        }
        double denominator = Math.Sqrt((double)(concordant + discordant + tiesX) * (concordant + discordant + tiesY));
        return denominator == 0 ? double.NaN : (concordant - discordant) / denominator;
    }
}
