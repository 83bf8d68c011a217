using LatencyNas.Core.Spaces;
using LatencyNas.Core.Statistics;
using LatencyNas.Prediction;

namespace LatencyNas.Analysis.Tests;

[Collection(RealTablesCollection.Name)]
public sealed class MonotonicityTests(RealTables shared)
{
    [Fact]
    public void Matrix_of_hand_computed_rankings_with_a_verdict_per_pair()
    {
        var devices = new[]
        {
            new DeviceLatencies("a", [1, 2, 3, 4, 5]),
            new DeviceLatencies("b", [2, 4, 6, 8, 10]),   // same ranking as a
            new DeviceLatencies("c", [5, 4, 3, 2, 1]),    // reversed
        };
        var matrix = Monotonicity.Compute(devices, 5, threshold: 0.9, bootstrap: 0);
        Assert.Equal(1.0, matrix.Srcc[0, 1], 12);
        Assert.Equal(-1.0, matrix.Srcc[0, 2], 12);
        Assert.Equal(-1.0, matrix.Kendall[1, 2], 12);
        Assert.Equal(matrix.Srcc[2, 0], matrix.Srcc[0, 2]);
        Assert.Equal("re-use", matrix.Pairs.Single(p => p is { First: "a", Second: "b" }).Verdict);
        Assert.Equal("adapt", matrix.Pairs.Single(p => p is { First: "a", Second: "c" }).Verdict);
    }

    [Fact]
    public void A_device_whose_latencies_are_all_equal_has_no_ranking_an_undefined_verdict_and_the_reason()
    {
        var devices = new[]
        {
            new DeviceLatencies("flat", [5, 5, 5, 5, 5]),
            new DeviceLatencies("real", [1, 3, 2, 5, 4]),
        };
        var pair = Monotonicity.Compute(devices, 5).Pairs.Single();
        Assert.True(double.IsNaN(pair.Srcc));
        Assert.True(double.IsNaN(pair.CiLow));
        Assert.Equal("undefined", pair.Verdict); // not a confident "adapt"
        Assert.Equal("all latencies of flat are equal: no ranking", pair.Note);
    }

    [Fact]
    public void The_analytic_interval_of_three_architectures_is_undefined_and_says_why()
    {
        var pair = Monotonicity.Compute([new DeviceLatencies("a", [1, 2, 3]), new DeviceLatencies("b", [2, 3, 4])], 3).Pairs.Single();
        Assert.Equal(1.0, pair.Srcc, 12);
        Assert.Equal("re-use", pair.Verdict);
        Assert.True(double.IsNaN(pair.CiLow) && double.IsNaN(pair.CiHigh));
        Assert.Contains("at least 4 architectures", pair.Note);

        var defined = Monotonicity.Compute([new DeviceLatencies("a", [1, 2, 3, 4, 5]), new DeviceLatencies("b", [2, 1, 3, 4, 5])], 5).Pairs.Single();
        Assert.Null(defined.Note);
    }

    [Fact]
    public void Bootstrap_interval_brackets_the_estimate_and_narrows_with_more_data()
    {
        var random = new Random(3);
        double[] x = Enumerable.Range(0, 400).Select(_ => random.NextDouble()).ToArray();
        double[] y = x.Select(v => v + 0.3 * random.NextDouble()).ToArray();
        double srcc = RankCorrelation.Spearman(x, y);
        var (low, high) = Monotonicity.BootstrapInterval(x, y, 300, seed: 1);
        Assert.InRange(srcc, low, high);
        var (smallLow, smallHigh) = Monotonicity.BootstrapInterval(x[..40], y[..40], 300, seed: 1);
        Assert.True(smallHigh - smallLow > high - low);
    }

    /// <summary>The default interval (Fisher's z, Bonett–Wright) against 300 bootstrap resamples, on real pairs of every strength.</summary>
    [Theory]
    [InlineData("pixel3", "raspi4")]       // SRCC 0.965
    [InlineData("gold_6226", "samsung_s7")] // 0.917
    [InlineData("eyeriss", "titan_rtx_1")] // 0.352
    public void The_analytic_interval_agrees_with_the_bootstrap_on_real_devices(string first, string second)
    {
        var a = shared.Device(first);
        var b = shared.Device(second);
        var order = Monotonicity.Shared([a.Architectures, b.Architectures]);
        var random = new Random(5);
        var sample = order.OrderBy(_ => random.Next()).Take(3_000).ToList();
        double[] x = new MeasuredLatencies(a).Predict(sample), y = new MeasuredLatencies(b).Predict(sample);
        double srcc = RankCorrelation.Spearman(x, y);

        var (low, high) = Monotonicity.AnalyticInterval(srcc, sample.Count);
        var (bootLow, bootHigh) = Monotonicity.BootstrapInterval(x, y, 300, seed: 2);

        Assert.InRange(srcc, low, high);
        Assert.Equal(bootLow, low, 0.01);
        Assert.Equal(bootHigh, high, 0.01);
        Assert.InRange((high - low) / (bootHigh - bootLow), 0.7, 1.4);
    }

    [Fact]
    public void Pixel3_proxy_on_all_15625_architectures_of_the_real_data()
    {
        var pixel3 = shared.Device("pixel3");
        var targets = new[] { "raspi4", "eyeriss", "fpga" }.Select(shared.Device).ToList();
        var architectures = Monotonicity.Shared([pixel3.Architectures, .. targets.Select(t => t.Architectures)]);
        Assert.Equal(15_625, architectures.Count);
        var latencies = new[] { pixel3 }.Concat(targets)
            .Select(d => new DeviceLatencies(d.Device, new Prediction.MeasuredLatencies(d).Predict(architectures))).ToList();
        var matrix = Monotonicity.Compute(latencies, architectures.Count, bootstrap: 20);
        double raspi4 = matrix.Srcc[0, 1], eyeriss = matrix.Srcc[0, 2], fpga = matrix.Srcc[0, 3];
        // The measured phone ranks like the measured board; the simulated accelerators rank differently.
        Assert.InRange(raspi4, 0.9, 1.0);
        Assert.InRange(eyeriss, 0.0, 0.9);
        Assert.InRange(fpga, 0.0, 0.9);
        Assert.Equal(IndependentSpearman(latencies[0].LatenciesMs, latencies[2].LatenciesMs), eyeriss, 9);
    }

    /// <summary>A second, deliberately different implementation: ranks by grouping equal values, then Pearson by sums.</summary>
    private static double IndependentSpearman(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        static double[] AverageRanks(IReadOnlyList<double> v)
        {
            var rankOf = new Dictionary<double, double>();
            double next = 1;
            foreach (var group in v.GroupBy(w => w).OrderBy(g => g.Key))
            {
                int ties = group.Count();
                rankOf[group.Key] = next + (ties - 1) / 2.0;
                next += ties;
            }
            return v.Select(w => rankOf[w]).ToArray();
        }
        double[] a = AverageRanks(x), b = AverageRanks(y);
        int n = a.Length;
        double sa = a.Sum(), sb = b.Sum(), saa = a.Sum(v => v * v), sbb = b.Sum(v => v * v), sab = a.Zip(b).Sum(p => p.First * p.Second);
        return (n * sab - sa * sb) / Math.Sqrt((n * saa - sa * sa) * (n * sbb - sb * sb));
    }
}
