using LatencyNas.Profiling.Devices;
using LatencyNas.Profiling.Remote;
using LatencyNas.Profiling.Runners;
using LatencyNas.Torch.Networks;

namespace LatencyNas.Workflows.Runners;

/// <summary>Creates the runner a device descriptor asks for. Use cases that measure take one, so tests can give them a runner of their own.</summary>
public interface IDeviceRunnerFactory
{
    IDeviceRunner Create(DeviceDescriptor device);
}

/// <summary>The real runners, with <see cref="ModelSource"/> writing every model an ONNX Runtime or remote runner measures.</summary>
public sealed class DeviceRunnerFactory : IDeviceRunnerFactory
{
    public static DeviceRunnerFactory Instance { get; } = new();

    public IDeviceRunner Create(DeviceDescriptor device) => device.Runtime switch
    {
        DeviceRuntime.OnnxRuntime => new OrtRunner(device, ModelSource.For(device)),
        DeviceRuntime.TorchSharp => new TorchEagerRunner(device),
        DeviceRuntime.Remote => new RemoteRunner(device, ModelSource.Instance),
        DeviceRuntime.Sleep => new SleepRunner(device),
        _ => throw new ArgumentOutOfRangeException(nameof(device), device.Runtime, null),
    };
}
