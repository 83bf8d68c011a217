using System.Diagnostics;
using LatencyNas.Core.Spaces.Nb201;
using LatencyNas.Profiling.Devices;
using LatencyNas.Profiling.Runners;
using LatencyNas.Tests;

namespace LatencyNas.Profiling.Tests.Runners;

/// <summary>The sleep device: a load generator that sleeps an architecture's synthetic latency, reports it, and logs the call.</summary>
public sealed class SleepRunnerTests : IDisposable
{
    private static readonly Nb201Space Space = Nb201Space.Instance;
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Each_architecture_sleeps_and_reports_its_synthetic_latency_and_every_call_is_logged()
    {
        string log = Path.Combine(_directory.Path, "calls");
        var device = DeviceDescriptorReader.Parse(
            $$"""{ "name": "s", "runtime": "sleep", "sleep": { "ms": 30, "ms_per_choice": 2.5, "call_log": "{{log}}" } }""", "s.json");
        await using var runner = new SleepRunner(device);
        var fingerprint = await runner.ProbeAsync(CancellationToken.None);
        Assert.Equal("sleep", fingerprint.Runtime);
        Assert.True(Directory.Exists(log));

        var batch = new[] { "000000", "123123", "444444" }.Select(d => runner.Prepare(device.RequestFor(Space, Space.Parse(d)))).ToList();
        var clock = Stopwatch.StartNew();
        var outcomes = await runner.MeasureAsync(batch, device.Protocol ?? LatencyNas.Profiling.Timing.MeasurementProtocol.Default, CancellationToken.None);
        double elapsedMs = clock.Elapsed.TotalMilliseconds;

        // 30 ms plus 2.5 ms per step of the choices: 0, 12 and 24 steps.
        Assert.Equal([30.0, 60.0, 90.0], outcomes.Select(o => o.Measurement!.Statistics.LatencyMs));
        Assert.All(outcomes, o => Assert.True(o.Measurement!.Statistics.PrecisionMet));
        Assert.True(elapsedMs >= 180 - 5, $"the batch took {elapsedMs:F0} ms, less than its sleeps");
        var lines = File.ReadAllLines(Path.Combine(log, $"{Environment.ProcessId}.calls"));
        Assert.Equal(["nb201 000000", "nb201 123123", "nb201 444444"], lines.Select(l => l[(l.IndexOf(' ') + 1)..]));
    }

    [Fact]
    public async Task Two_sleep_devices_with_other_sleeps_have_other_fingerprints_and_a_machine_does_not_enter_them()
    {
        var a = DeviceDescriptorReader.Parse("""{ "name": "a", "runtime": "sleep", "sleep": { "ms": 20 } }""", "a.json");
        var b = a with { Sleep = a.Sleep! with { MillisecondsPerChoice = 1 } };
        await using var first = new SleepRunner(a);
        await using var second = new SleepRunner(b);
        var (fa, fb) = (await first.ProbeAsync(CancellationToken.None), await second.ProbeAsync(CancellationToken.None));
        Assert.NotEqual(fa.Hash, fb.Hash);
        Assert.DoesNotContain(DeviceFingerprint.HostCpuModel(), fa.ToJson());
        Assert.Throws<ArgumentException>(() => new SleepRunner(DeviceDescriptorReader.Resolve("ort-cpu-1t")));
    }
}
