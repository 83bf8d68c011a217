using LatencyNas.Core.Measurements;
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
        var drift = ReferenceDrift.Of(stored, measured)!;
        Assert.Equal(1.1, drift.Factor, 12);
        Assert.Equal(1.3 / 1.1 - 1, drift.Spread, 12);
    }

    [Fact]
    public void Without_a_common_reference_there_is_no_drift()
    {
        Assert.Null(ReferenceDrift.Of(new Dictionary<string, double>(), new Dictionary<string, double> { ["a"] = 1.0 }));
        Assert.Null(ReferenceDrift.Of(new Dictionary<string, double> { ["a"] = 1.0 }, new Dictionary<string, double> { ["b"] = 1.0 }));
        Assert.Null(ReferenceDrift.Of(new Dictionary<string, double> { ["a"] = 1.0 }, new Dictionary<string, double> { ["a"] = 0 }));
    }

    [Theory]
    [InlineData(0.04, true)] // references that agree within half the claimed 10% keep the claim
    [InlineData(0.075, false)] // a retest broke the promise in a batch whose references spread 7.5%
    [InlineData(0.12, false)] // a spell that slowed some networks more than others withdraws it
    public void A_corrected_estimate_claims_its_precision_only_while_the_references_agree_within_half_of_it(double spread, bool precise)
    {
        var runs = Enumerable.Range(0, 40).Select(i => 2.0 + 0.001 * (i % 5)).ToList();
        var measurement = new Measurement(LatencyStatistics.FromSamples(runs, target: 0.1, warmupRuns: 0, warmupSettled: true), 5.0);
        Assert.True(measurement.Statistics.PrecisionMet);

        var stored = ReferenceDrift.AsStored(measurement, new ReferenceDrift(1.25, spread), storedTheReference: false, precision: 0.1);

        Assert.Equal(measurement.Statistics.LatencyMs / 1.25, stored.Statistics.LatencyMs, 12);
        Assert.Equal(1.25, stored.Drift);
        Assert.Equal(precise, stored.Statistics.PrecisionMet);
    }
}
