using LatencyNas.Core.Measurements;
using LatencyNas.Core.Spaces;
using LatencyNas.Profiling.Devices;
using LatencyNas.Profiling.Runners;
using LatencyNas.Workflows.Runners;
using LatencyNas.Workflows.Tests.Runners;

namespace LatencyNas.Workflows.Tests;

public class RetestBenchmarkTests
{
    private static readonly SearchSpace Space = SearchSpaces.Get("nb201");

    /// <summary>Hands out runners whose known latencies are 20% higher from the second session on (the third runner: burst and interleaved alternate).</summary>
    private sealed class SlowerSecondSession : IDeviceRunnerFactory
    {
        private int _created;

        public IDeviceRunner Create(DeviceDescriptor device)
        {
            double factor = ++_created > 2 ? 1.2 : 1.0;
            return new KnownTimesRunner(device, r => factor * (0.2 + Space.Features(r.Architecture, r.Dataset).Macs / 5e7));
        }
    }

    [Fact]
    public async Task A_machine_slower_in_the_second_session_moves_the_burst_and_the_uncorrected_estimates_but_not_the_corrected_ones()
    {
        var result = await new RetestBenchmark(new SlowerSecondSession(), _ => throw new InvalidOperationException("no load asked for"))
            .RunAsync(new RetestRequest(Count: 30, PauseSeconds: 0));

        var burst = result.Protocols.Single(p => p.Protocol == MeasurementProtocols.Burst);
        Assert.Equal(0, burst.Within10);
        Assert.Equal((1.0, 1.0), (burst.DriftLow, burst.DriftHigh));

        var interleaved = result.Protocols.Single(p => p.Protocol == MeasurementProtocols.Interleaved);
        Assert.Equal(0, interleaved.Within10Uncorrected); // every architecture 20% slower as measured…
        Assert.Equal(1, interleaved.Within5);             // …and the references saw it
        Assert.Equal(1.0, interleaved.DriftLow, 9);
        Assert.Equal(1.2, interleaved.DriftHigh, 9);
        Assert.Equal(1, interleaved.Srcc, 9);
        Assert.All(result.Protocols, p => Assert.InRange(p.MeasuringSecondsPerArchitecture, 0, p.SecondsPerArchitecture));
    }

    [Fact]
    public async Task Each_interleaved_batch_reports_how_its_architectures_moved_and_the_corrections_of_both_sessions()
    {
        var result = await new RetestBenchmark(new SlowerSecondSession(), _ => throw new InvalidOperationException("no load asked for"))
            .RunAsync(new RetestRequest(Count: 200, PauseSeconds: 0)); // more than one batch of 80

        Assert.True(result.Batches.Count >= 3, $"{result.Batches.Count} batches");
        Assert.Equal(200, result.Batches.Sum(b => b.Architectures));
        Assert.All(result.Batches, b =>
        {
            Assert.Equal(1.0, b.MedianRatio, 9);         // corrected, nothing moved…
            Assert.Equal(1.2, b.SecondDrift!.Factor, 9); // …because session 2's references ran 20% slower
            Assert.Equal(0, b.SecondDrift.Spread, 9);    // all alike
            Assert.Equal(b.Precise, b.Held);
        });
        Assert.True(result.Batches.Sum(b => b.Precise) > 100, "the known times are precise");
        Assert.Null(result.Batches[0].FirstDrift);       // the first batch stored the references
        Assert.All(result.Batches.Skip(1), b => Assert.Equal(1.0, b.FirstDrift!.Factor, 9));
        var interleaved = result.Protocols.Single(p => p.Protocol == MeasurementProtocols.Interleaved);
        Assert.Equal(interleaved.PrecisionMet * 200, result.Batches.Sum(b => b.Precise), 9);
    }
}
