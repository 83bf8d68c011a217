using LatencyNas.Core.Statistics;

namespace LatencyNas.Core.Tests.Statistics;

public class DiverseSamplesTests
{
    /// <summary>
    /// Two devices over 100 rows of sizes spread 1–4×: they agree on 90 rows, and on 10 the second is 9× slower
    /// (a kind of network it runs badly).
    /// </summary>
    private static (double[] First, double[] Second, bool[] Odd) TenOddRows()
    {
        var random = new Random(7);
        var first = new double[100];
        var second = new double[100];
        var odd = new bool[100];
        for (int r = 0; r < 100; r++)
        {
            double size = Math.Pow(4, random.NextDouble());
            odd[r] = r % 10 == 3;
            first[r] = size * (1 + 0.02 * random.NextDouble());
            second[r] = size * (odd[r] ? 9 : 1) * (1 + 0.02 * random.NextDouble());
        }
        return (first, second, odd);
    }

    [Fact]
    public void A_few_samples_include_the_rows_where_the_devices_disagree_from_every_start()
    {
        // Five random rows miss the odd tenth 59% of the time.
        var (first, second, odd) = TenOddRows();
        for (int seed = 0; seed < 20; seed++)
        {
            var chosen = DiverseSamples.Choose([first, second], 5, components: 2, seed);
            Assert.Contains(chosen, i => odd[i]);
            Assert.Contains(chosen, i => !odd[i]);
        }
    }

    [Fact]
    public void The_choice_is_distinct_rows_and_the_same_for_the_same_seed()
    {
        var (first, second, _) = TenOddRows();
        var chosen = DiverseSamples.Choose([first, second], 20, components: 3, seed: 4);
        Assert.Equal(20, chosen.Distinct().Count());
        Assert.Equal(chosen, DiverseSamples.Choose([first, second], 20, components: 3, seed: 4));
        Assert.NotEqual(chosen[0], DiverseSamples.Choose([first, second], 20, components: 3, seed: 5)[0]);
    }
}
