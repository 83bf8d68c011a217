namespace LatencyNas.Core.Statistics;

/// <summary>
/// min ‖Ax − b‖² subject to x ≥ 0, by the Lawson–Hanson active-set method. For the small
/// problems here: a target device's latency as a non-negative mix of other devices' latencies.
/// </summary>
public static class NonNegativeLeastSquares
{
    /// <param name="rows">Rows of A.</param>
    /// <param name="targets">b.</param>
    /// <param name="ridge">A small penalty keeping the passive-set solves well posed when columns are nearly collinear.</param>
    public static double[] Solve(IReadOnlyList<double[]> rows, IReadOnlyList<double> targets, double ridge = 1e-9, int maxIterations = 500)
    {
        int n = rows.Count == 0 ? 0 : rows[0].Length;
        var x = new double[n];
        var passive = new bool[n];
        for (int iteration = 0; iteration < maxIterations; iteration++)
        {
            double[] gradient = Gradient(rows, targets, x);
            int entering = -1;
            double best = 1e-12;
            for (int j = 0; j < n; j++)
            {
                if (!passive[j] && gradient[j] > best)
                {
                    best = gradient[j];
                    entering = j;
                }
            }
            if (entering < 0)
            {
                break;
            }
            passive[entering] = true;
            while (true)
            {
                double[] z = SolvePassive(rows, targets, passive, ridge);
                if (Enumerable.Range(0, n).Where(j => passive[j]).All(j => z[j] > 0))
                {
                    x = z;
                    break;
                }
                // Step from x towards z until the first passive coefficient reaches zero.
                double alpha = double.PositiveInfinity;
                for (int j = 0; j < n; j++)
                {
                    if (passive[j] && z[j] <= 0)
                    {
                        alpha = Math.Min(alpha, x[j] / (x[j] - z[j]));
                    }
                }
                for (int j = 0; j < n; j++)
                {
                    x[j] += alpha * (z[j] - x[j]);
                    if (passive[j] && x[j] <= 1e-15)
                    {
                        passive[j] = false;
                        x[j] = 0;
                    }
                }
            }
        }
        return x;
    }

    /// <summary>Aᵀ(b − Ax): the direction in which each coefficient would reduce the residual.</summary>
    private static double[] Gradient(IReadOnlyList<double[]> rows, IReadOnlyList<double> targets, double[] x)
    {
        var gradient = new double[x.Length];
        for (int r = 0; r < rows.Count; r++)
        {
            double residual = targets[r];
            for (int j = 0; j < x.Length; j++)
            {
                residual -= rows[r][j] * x[j];
            }
            for (int j = 0; j < x.Length; j++)
            {
                gradient[j] += rows[r][j] * residual;
            }
        }
        return gradient;
    }

    private static double[] SolvePassive(IReadOnlyList<double[]> rows, IReadOnlyList<double> targets, bool[] passive, double ridge)
    {
        int[] columns = Enumerable.Range(0, passive.Length).Where(j => passive[j]).ToArray();
        var reduced = rows.Select(row => columns.Select(j => row[j]).ToArray()).ToList();
        double[] solution = RidgeRegression.Fit(reduced, targets, Enumerable.Repeat(ridge, columns.Length).ToArray());
        var full = new double[passive.Length];
        for (int k = 0; k < columns.Length; k++)
        {
            full[columns[k]] = solution[k];
        }
        return full;
    }
}
