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
        var (normal, right) = NormalEquations(rows, targets, penalties, weights);
        return SolveSymmetricPositiveDefinite(normal, right);
    }

    /// <summary>
    /// Each row's prediction by the model fitted on all the other rows, exactly, from one fit: with
    /// A = XᵀX + diag(λ), the hat value hᵢ = xᵢᵀA⁻¹xᵢ turns the in-sample residual eᵢ into the
    /// leave-one-out one, eᵢ / (1 − hᵢ) (the ridge form of the PRESS identity). n refits of a
    /// p-column problem cost n·p³/3; this costs p³/3 + n·p².
    /// </summary>
    /// <exception cref="ArgumentException">Shapes disagree, the system is singular, or leaving a row out makes it singular (hᵢ = 1).</exception>
    public static double[] LeaveOneOutPredictions(IReadOnlyList<double[]> rows, IReadOnlyList<double> targets, IReadOnlyList<double> penalties)
    {
        var (normal, right) = NormalEquations(rows, targets, penalties, weights: null);
        var factor = Cholesky(normal);
        double[] coefficients = SolveWithCholesky(factor, right);
        int p = right.Length;
        var predictions = new double[rows.Count];
        var z = new double[p];
        for (int r = 0; r < rows.Count; r++)
        {
            double[] x = rows[r];
            double leverage = 0, fitted = 0;
            for (int i = 0; i < p; i++)
            {
                double sum = x[i];
                for (int k = 0; k < i; k++)
                {
                    sum -= factor[i, k] * z[k];
                }
                z[i] = sum / factor[i, i];
                leverage += z[i] * z[i]; // ‖L⁻¹x‖² = xᵀA⁻¹x
                fitted += x[i] * coefficients[i];
            }
            if (1 - leverage <= 1e-9)
            {
                throw new ArgumentException($"Leaving row {r} out makes the least-squares system singular: give its columns a penalty or more varied data.");
            }
            predictions[r] = targets[r] - (targets[r] - fitted) / (1 - leverage);
        }
        return predictions;
    }

    private static (double[,] Normal, double[] Right) NormalEquations(
        IReadOnlyList<double[]> rows, IReadOnlyList<double> targets, IReadOnlyList<double> penalties, IReadOnlyList<double>? weights)
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
        return (normal, right);
    }

    /// <summary>Solves A x = b for symmetric positive definite A (Cholesky, A = L Lᵀ).</summary>
    public static double[] SolveSymmetricPositiveDefinite(double[,] a, double[] b) => SolveWithCholesky(Cholesky(a), b);

    /// <summary>The lower-triangular L with A = L Lᵀ.</summary>
    /// <exception cref="ArgumentException">A is singular (a pivot at or below 1e-12 of the largest diagonal entry).</exception>
    public static double[,] Cholesky(double[,] a)
    {
        int n = a.GetLength(0);
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
        return l;
    }

    /// <summary>Solves L Lᵀ x = b for the factor L of <see cref="Cholesky"/>.</summary>
    public static double[] SolveWithCholesky(double[,] l, double[] b)
    {
        int n = b.Length;
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
