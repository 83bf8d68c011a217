using LatencyNas.Profiling.Devices;
using LatencyNas.Profiling.Remote;
using LatencyNas.Profiling.Runners;

namespace LatencyNas.Torch.Runners;

/// <summary>Creates the runner a device descriptor asks for, with TorchSharp building the models.</summary>
public static class DeviceRunners
{
    public static IDeviceRunner Create(DeviceDescriptor device) => device.Runtime switch
    {
        DeviceRuntime.OnnxRuntime => new OrtRunner(device, TorchOnnxModelSource.Instance),
        DeviceRuntime.TorchSharp => new TorchEagerRunner(device),
        DeviceRuntime.Remote => new RemoteRunner(device, TorchOnnxModelSource.Instance),
        _ => throw new ArgumentOutOfRangeException(nameof(device), device.Runtime, null),
    };
}
