using LatencyNas.Profiling.Timing;

namespace LatencyNas.Profiling.Tests.Timing;

public class ReferenceDriftTests
{
    [Fact]
    public void The_factor_is_the_median_ratio_over_the_references_measured_both_times()
    {
        var stored = new Dictionary<string, double> { ["a"] = 1.0, ["b"] = 2.0, ["c"] = 4.0, ["d"] = 0.5 };
        // a and b ran 10% slower, c 30% (a slow model of its own), e has no stored reference.
        var measured = new Dictionary<string, double> { ["a"] = 1.1, ["b"] = 2.2, ["c"] = 5.2, ["e"] = 9.0 };
        Assert.Equal(1.1, ReferenceDrift.Factor(stored, measured)!.Value, 12);
    }

    [Fact]
    public void Without_a_common_reference_there_is_no_factor()
    {
        Assert.Null(ReferenceDrift.Factor(new Dictionary<string, double>(), new Dictionary<string, double> { ["a"] = 1.0 }));
        Assert.Null(ReferenceDrift.Factor(new Dictionary<string, double> { ["a"] = 1.0 }, new Dictionary<string, double> { ["b"] = 1.0 }));
        Assert.Null(ReferenceDrift.Factor(new Dictionary<string, double> { ["a"] = 1.0 }, new Dictionary<string, double> { ["a"] = 0 }));
    }
}
