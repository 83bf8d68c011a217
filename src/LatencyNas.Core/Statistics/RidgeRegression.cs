namespace LatencyNas.Core.Statistics;

/// <summary>
/// Least squares with an L2 penalty, for the small dense problems of this tool (tens of
/// features): minimise ‖Xw − y‖² + Σ λᵢ wᵢ². A penalty of zero on a column leaves it free (an
/// intercept, a scale). Solved by Cholesky on the normal equations, in double precision.
/// </summary>
public static class RidgeRegression
{
    /// <param name="rows">Design matrix rows (every row the same length).</param>
    /// <param name="targets">One target per row.</param>
    /// <param name="penalties">λ per column; a zero leaves that coefficient unpenalised.</param>
    /// <param name="weights">Optional weight per row (weighted least squares).</param>
    /// <exception cref="ArgumentException">Shapes disagree, or the system is singular (an unpenalised column is constant or duplicated).</exception>
    public static double[] Fit(IReadOnlyList<double[]> rows, IReadOnlyList<double> targets, IReadOnlyList<double> penalties, IReadOnlyList<double>? weights = null)
    {
        if (rows.Count != targets.Count)
        {
            throw new ArgumentException($"{rows.Count} rows but {targets.Count} targets.");
        }
        int p = penalties.Count;
        var normal = new double[p, p];
        var right = new double[p];
        for (int r = 0; r < rows.Count; r++)
        {
            double[] x = rows[r];
            if (x.Length != p)
            {
                throw new ArgumentException($"Row {r} has {x.Length} columns, expected {p}.");
            }
            double w = weights?[r] ?? 1.0;
            for (int i = 0; i < p; i++)
            {
                if (x[i] == 0)
                {
                    continue;
                }
                double wx = w * x[i];
                right[i] += wx * targets[r];
                for (int j = 0; j <= i; j++)
                {
                    normal[i, j] += wx * x[j];
                }
            }
        }
        for (int i = 0; i < p; i++)
        {
            normal[i, i] += penalties[i];
            for (int j = 0; j < i; j++)
            {
                normal[j, i] = normal[i, j];
            }
        }
        return SolveSymmetricPositiveDefinite(normal, right);
    }

    /// <summary>Solves A x = b for symmetric positive definite A (Cholesky, A = L Lᵀ).</summary>
    public static double[] SolveSymmetricPositiveDefinite(double[,] a, double[] b)
    {
        int n = b.Length;
        var l = new double[n, n];
        double scale = 0;
        for (int i = 0; i < n; i++)
        {
            scale = Math.Max(scale, Math.Abs(a[i, i]));
        }
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j <= i; j++)
            {
                double sum = a[i, j];
                for (int k = 0; k < j; k++)
                {
                    sum -= l[i, k] * l[j, k];
                }
                if (i == j)
                {
                    if (sum <= 1e-12 * Math.Max(scale, 1e-300))
                    {
                        throw new ArgumentException($"The least-squares system is singular at column {i}: give it a penalty or more varied data.");
                    }
                    l[i, i] = Math.Sqrt(sum);
                }
                else
                {
                    l[i, j] = sum / l[j, j];
                }
            }
        }
        var y = new double[n];
        for (int i = 0; i < n; i++)
        {
            double sum = b[i];
            for (int k = 0; k < i; k++)
            {
                sum -= l[i, k] * y[k];
            }
            y[i] = sum / l[i, i];
        }
        var x = new double[n];
        for (int i = n - 1; i >= 0; i--)
        {
            double sum = y[i];
            for (int k = i + 1; k < n; k++)
            {
                sum -= l[k, i] * x[k];
            }
            x[i] = sum / l[i, i];
        }
        return x;
    }
}
