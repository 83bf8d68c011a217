using LatencyNas.Core.Statistics;

namespace LatencyNas.Profiling.Timing;

/// <summary>How two models compare in speed on this machine, from rounds of back-to-back visits.</summary>
/// <param name="FirstMs">The first model's fastest visit.</param>
/// <param name="SecondMs">The second model's fastest visit.</param>
/// <param name="Ratio">First over second: the median over the rounds of the two visits' ratio.</param>
/// <param name="FastestRatio">First over second from each one's fastest visit (the profiler's estimator, applied to each alone).</param>
/// <param name="Rounds">Rounds made.</param>
public sealed record PairedComparison(double FirstMs, double SecondMs, double Ratio, double FastestRatio, int Rounds);

/// <summary>
/// Compares two models that compute the same thing, for a ratio that holds on a busy machine:
/// rounds of one visit to each, back to back, the order alternating between rounds; a visit is
/// one untimed run (the other model has just had the caches) and the fastest of
/// <see cref="TimedRunsPerVisit"/> timed ones. Contention comes in spells longer than a round (a
/// build, another process), so it slows both visits of a round alike and their ratio keeps; the
/// median over the rounds discards those where a spell began or ended between the two.
/// </summary>
public static class PairedTiming
{
    /// <summary>Untimed runs of each model before the first round.</summary>
    public const int WarmupRuns = 10;

    /// <summary>Timed runs per visit, after its untimed first.</summary>
    public const int TimedRunsPerVisit = 3;

    /// <param name="first">Performs one run of the first model and returns its duration in milliseconds.</param>
    /// <param name="second">The same for the second model.</param>
    /// <param name="rounds">Rounds of one visit to each; at least 1.</param>
    public static PairedComparison Compare(Func<double> first, Func<double> second, int rounds, CancellationToken cancellation = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rounds, 1);
        for (int w = 0; w < WarmupRuns; w++)
        {
            cancellation.ThrowIfCancellationRequested();
            first();
            second();
        }
        var firstVisits = new double[rounds];
        var secondVisits = new double[rounds];
        for (int round = 0; round < rounds; round++)
        {
            cancellation.ThrowIfCancellationRequested();
            if (round % 2 == 0)
            {
                firstVisits[round] = Visit(first);
                secondVisits[round] = Visit(second);
            }
            else
            {
                secondVisits[round] = Visit(second);
                firstVisits[round] = Visit(first);
            }
        }
        double ratio = Descriptive.Median(firstVisits.Zip(secondVisits, (a, b) => a / b));
        return new PairedComparison(firstVisits.Min(), secondVisits.Min(), ratio, firstVisits.Min() / secondVisits.Min(), rounds);
    }

    private static double Visit(Func<double> timeOneRunMs)
    {
        timeOneRunMs();
        double fastest = double.PositiveInfinity;
        for (int r = 0; r < TimedRunsPerVisit; r++)
        {
            fastest = Math.Min(fastest, timeOneRunMs());
        }
        return fastest;
    }
}
