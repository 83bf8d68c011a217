using System.Numerics;

namespace LatencyNas.Core.Statistics;

/// <summary>
/// Rows of a matrix chosen to differ as much as possible: the columns (one per device, a latency per row) are
/// log-transformed and standardised, the rows projected on the leading principal components — the main ways the rows
/// differ across the devices: their common size first, then the ways the devices rank them differently — and the rows
/// picked by farthest-point sampling there, from a seeded random start.
/// </summary>
public static class DiverseSamples
{
    /// <param name="columns">One array per column, each with one positive value per row.</param>
    /// <param name="count">How many rows to choose; at most the number of rows.</param>
    /// <param name="components">How many principal components span the space the rows are spread in.</param>
    /// <returns>The chosen row indices, in the order they were chosen.</returns>
    public static int[] Choose(IReadOnlyList<IReadOnlyList<double>> columns, int count, int components, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfZero(columns.Count);
        int rows = columns[0].Count;
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, rows);
        ArgumentOutOfRangeException.ThrowIfLessThan(components, 1);
        var standardised = columns.Select(Standardise).ToArray();
        var scores = PrincipalScores(standardised, Math.Min(components, columns.Count));

        var chosen = new List<int>(count) { new Random(seed).Next(rows) };
        var distance = new double[rows];
        Array.Fill(distance, double.PositiveInfinity);
        while (chosen.Count < count)
        {
            var last = scores[chosen[^1]];
            int farthest = -1;
            for (int r = 0; r < rows; r++)
            {
                double d = 0;
                for (int c = 0; c < last.Length; c++)
                {
                    double delta = scores[r][c] - last[c];
                    d += delta * delta;
                }
                distance[r] = Math.Min(distance[r], d);
                if (farthest < 0 || distance[r] > distance[farthest])
                {
                    farthest = r;
                }
            }
            chosen.Add(farthest);
        }
        return [.. chosen];
    }

    private static double[] Standardise(IReadOnlyList<double> column)
    {
        var logs = column.Select(v => Math.Log(Math.Max(v, 1e-12))).ToArray();
        double mean = logs.Average();
        double sd = Math.Sqrt(logs.Sum(v => (v - mean) * (v - mean)) / logs.Length);
        return logs.Select(v => sd > 0 ? (v - mean) / sd : 0).ToArray();
    }

    /// <summary>Each row's coordinates on the leading eigenvectors of the columns' covariance (power iteration with deflation).</summary>
    private static double[][] PrincipalScores(double[][] columns, int components)
    {
        int d = columns.Length, n = columns[0].Length;
        var covariance = new double[d, d];
        for (int i = 0; i < d; i++)
        {
            for (int j = i; j < d; j++)
            {
                covariance[i, j] = covariance[j, i] = Dot(columns[i], columns[j]) / n;
            }
        }
        var vectors = new List<double[]>();
        for (int k = 0; k < components; k++)
        {
            var v = Enumerable.Range(0, d).Select(i => 1.0 + 0.01 * i).ToArray();
            for (int iteration = 0; iteration < 500; iteration++)
            {
                var next = new double[d];
                for (int i = 0; i < d; i++)
                {
                    for (int j = 0; j < d; j++)
                    {
                        next[i] += covariance[i, j] * v[j];
                    }
                }
                foreach (var u in vectors) // keep it orthogonal to the components already found
                {
                    double dot = next.Zip(u, (a, b) => a * b).Sum();
                    for (int i = 0; i < d; i++)
                    {
                        next[i] -= dot * u[i];
                    }
                }
                double norm = Math.Sqrt(next.Sum(x => x * x));
                if (norm < 1e-12)
                {
                    break;
                }
                double change = 0;
                for (int i = 0; i < d; i++)
                {
                    next[i] /= norm;
                    change = Math.Max(change, Math.Abs(next[i] - v[i]));
                }
                v = next;
                if (change < 1e-10)
                {
                    break;
                }
            }
            vectors.Add(v);
        }
        var scores = new double[n][];
        for (int r = 0; r < n; r++)
        {
            scores[r] = new double[vectors.Count];
            for (int k = 0; k < vectors.Count; k++)
            {
                double sum = 0;
                for (int i = 0; i < d; i++)
                {
                    sum += columns[i][r] * vectors[k][i];
                }
                scores[r][k] = sum;
            }
        }
        return scores;
    }

    /// <summary>Σ a·b, a vector of elements at a time: the covariance of 81 columns of 15,625 rows is 3,321 of these.</summary>
    private static double Dot(double[] a, double[] b)
    {
        var sums = Vector<double>.Zero;
        int i = 0;
        for (; i <= a.Length - Vector<double>.Count; i += Vector<double>.Count)
        {
            sums += new Vector<double>(a, i) * new Vector<double>(b, i);
        }
        double sum = Vector.Sum(sums);
        for (; i < a.Length; i++)
        {
            sum += a[i] * b[i];
        }
        return sum;
    }
}
