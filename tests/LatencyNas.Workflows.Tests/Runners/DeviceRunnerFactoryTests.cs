using LatencyNas.Core.Spaces.Nb201;
using LatencyNas.Profiling;
using LatencyNas.Profiling.Devices;
using LatencyNas.Profiling.Runners;
using LatencyNas.Profiling.Store;
using LatencyNas.Profiling.Timing;
using LatencyNas.Tests;
using LatencyNas.Workflows.Runners;

namespace LatencyNas.Workflows.Tests.Runners;

public sealed class DeviceRunnerFactoryTests : IDisposable
{
    private static readonly Nb201Space Space = Nb201Space.Instance;
    private static readonly ProfileOptions Quick = new()
    {
        Protocol = TestProtocols.Quick,
    };

    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Torchsharp_eager_profiles_the_same_networks_on_three_built_instances_and_the_heavier_one_is_slower()
    {
        var torch = DeviceDescriptorReader.Resolve("torch-cpu-1t");
        await using var runner = DeviceRunnerFactory.Instance.Create(torch);
        Assert.IsType<TorchEagerRunner>(runner);
        using var store = ProfileStore.Open(_directory.File("p.db"));
        var options = Quick with { Protocol = TestProtocols.Quick with { InstancesPerArchitecture = 3, MinRounds = 3, MaxRounds = 3 } };
        var summary = await new Profiler(runner, store, options).RunAsync(Space, [Space.Parse("333333"), Space.Parse("111111")]);
        Assert.Equal(2, summary.Measured);
        var device = store.Devices.Get("torch-cpu-1t");
        Assert.Equal("torchsharp", device.Fingerprint!.Runtime);
        var latencies = store.Measurements.Latencies(device, Space);
        Assert.True(latencies["333333"] > 2 * latencies["111111"], $"{latencies["333333"]} vs {latencies["111111"]}");
        Assert.All(store.Measurements.ReadVisits(device).GroupBy(v => v.Digits), visits => Assert.Equal([0, 1, 2], visits.Select(v => v.Visit.Instance)));
        Assert.All(store.Measurements.Read(device), m => Assert.Equal("median-of-3-instances-fastest-cold-visit", m.Estimator));
    }

    [Theory]
    [InlineData("ort-cpu-1t", typeof(OrtRunner))]
    [InlineData("edge-emulated", typeof(LatencyNas.Profiling.Remote.RemoteRunner))]
    public async Task The_descriptor_runtime_chooses_the_runner(string device, Type expected)
    {
        await using var runner = DeviceRunnerFactory.Instance.Create(DeviceDescriptorReader.Resolve(device));
        Assert.IsType(expected, runner);
    }
}
