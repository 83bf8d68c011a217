namespace LatencyNas.Core.Statistics;

/// <summary>Rank correlations: Spearman with average ranks for ties, and Kendall tau-b.</summary>
public static class RankCorrelation
{
    /// <summary>Spearman's rank correlation: the Pearson correlation of the two rank vectors, ties given their average rank.</summary>
    /// <returns>NaN when either side is constant or there are fewer than two pairs.</returns>
    public static double Spearman(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        PairedMoments.Check(x, y);
        return Pearson(Ranks(x), Ranks(y));
    }

    /// <summary>Pearson's correlation coefficient.</summary>
    public static double Pearson(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        PairedMoments.Check(x, y);
        if (x.Count < 2)
        {
            return double.NaN;
        }
        var m = PairedMoments.Of(x, y);
        return m.Sxx == 0 || m.Syy == 0 ? double.NaN : m.Sxy / Math.Sqrt(m.Sxx * m.Syy);
    }

    /// <summary>1-based ranks; tied values share the average of the ranks they span.</summary>
    public static double[] Ranks(IReadOnlyList<double> values)
    {
        int n = values.Count;
        var order = new int[n];
        for (int i = 0; i < n; i++)
        {
            order[i] = i;
        }
        Array.Sort(order, (a, b) => values[a].CompareTo(values[b]));
        var ranks = new double[n];
        for (int start = 0; start < n;)
        {
            int end = start + 1;
            while (end < n && values[order[end]].CompareTo(values[order[start]]) == 0)
            {
                end++;
            }
            double averageRank = (start + 1 + end) / 2.0; // ranks start+1 .. end
            for (int k = start; k < end; k++)
            {
                ranks[order[k]] = averageRank;
            }
            start = end;
        }
        return ranks;
    }

    /// <summary>
    /// Kendall's tau-b, (concordant − discordant) / √((n₀ − n₁)(n₀ − n₂)) with n₁, n₂ the pairs
    /// tied in x and in y; O(n log n) by Knight's algorithm, so it runs on all 15,625 architectures.
    /// </summary>
    /// <returns>NaN when either side is constant or there are fewer than two pairs.</returns>
    public static double KendallTauB(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        PairedMoments.Check(x, y);
        int n = x.Count;
        if (n < 2)
        {
            return double.NaN;
        }
        var order = Enumerable.Range(0, n).ToArray();
        Array.Sort(order, (a, b) =>
        {
            int byX = x[a].CompareTo(x[b]);
            return byX != 0 ? byX : y[a].CompareTo(y[b]);
        });

        long totalPairs = (long)n * (n - 1) / 2;
        long tiedX = 0, tiedXY = 0;
        for (int start = 0; start < n;)
        {
            int end = start + 1;
            while (end < n && x[order[end]] == x[order[start]])
            {
                end++;
            }
            tiedX += Pairs(end - start);
            // Within an x-tie, runs of equal y are ties in both.
            for (int innerStart = start; innerStart < end;)
            {
                int innerEnd = innerStart + 1;
                while (innerEnd < end && y[order[innerEnd]] == y[order[innerStart]])
                {
                    innerEnd++;
                }
                tiedXY += Pairs(innerEnd - innerStart);
                innerStart = innerEnd;
            }
            start = end;
        }

        // Sorting the x-ordered sequence by y counts the swaps: the discordant pairs.
        var ys = order.Select(i => y[i]).ToArray();
        long swaps = MergeSortCountingSwaps(ys, new double[n], 0, n);

        long tiedY = 0;
        for (int start = 0; start < n;)
        {
            int end = start + 1;
            while (end < n && ys[end] == ys[start])
            {
                end++;
            }
            tiedY += Pairs(end - start);
            start = end;
        }

        double numerator = totalPairs - tiedX - tiedY + tiedXY - 2.0 * swaps;
        double denominator = Math.Sqrt((double)(totalPairs - tiedX) * (totalPairs - tiedY));
        return denominator == 0 ? double.NaN : numerator / denominator;
    }

    private static long Pairs(long count) => count * (count - 1) / 2;

    private static long MergeSortCountingSwaps(double[] values, double[] buffer, int start, int end)
    {
        if (end - start < 2)
        {
            return 0;
        }
        int middle = (start + end) / 2;
        long swaps = MergeSortCountingSwaps(values, buffer, start, middle) + MergeSortCountingSwaps(values, buffer, middle, end);
        int left = start, right = middle, output = start;
        while (left < middle && right < end)
        {
            if (values[right] < values[left])
            {
                swaps += middle - left;
                buffer[output++] = values[right++];
            }
            else
            {
                buffer[output++] = values[left++];
            }
        }
        while (left < middle)
        {
            buffer[output++] = values[left++];
        }
        while (right < end)
        {
            buffer[output++] = values[right++];
        }
        Array.Copy(buffer, start, values, start, end - start);
        return swaps;
    }
}
