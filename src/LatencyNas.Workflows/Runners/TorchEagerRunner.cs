using System.Diagnostics;
using LatencyNas.Profiling;
using LatencyNas.Profiling.Devices;
using LatencyNas.Profiling.Runners;
using LatencyNas.Core.Measurements;
using LatencyNas.Profiling.Timing;
using LatencyNas.Torch.Networks;
using TorchSharp;
using static TorchSharp.torch;

namespace LatencyNas.Workflows.Runners;

/// <summary>
/// TorchSharp eager execution in this process, on the CPU or (when <c>torch.cuda.is_available()</c>)
/// a CUDA GPU. Each timed run is one <c>forward</c> under <c>no_grad</c>, synchronised on CUDA.
/// Networks are built on the measuring thread: libtorch's thread count is process-wide, so a
/// concurrent build would disturb the measurement.
/// </summary>
public sealed class TorchEagerRunner : IDeviceRunner
{
    private readonly InterleavedEngine _engine;

    public TorchEagerRunner(DeviceDescriptor device, InterleavedEngine? engine = null)
    {
        _engine = engine ?? InterleavedEngine.ForThisMachine();
        Device = device.Runtime == DeviceRuntime.TorchSharp
            ? device
            : throw new ArgumentException($"Device '{device.Name}' is not a torchsharp device.", nameof(device));
    }

    public DeviceDescriptor Device { get; }

    /// <summary>libtorch's thread count is process-wide: a network built on another thread would disturb the measurement.</summary>
    public bool CanPrepareWhileMeasuring(MeasurementMode mode) => false;

    private Device TorchDevice => Device.Provider == ExecutionProvider.Cuda ? new Device(DeviceType.CUDA, Device.DeviceIndex) : CPU;

    public Task<DeviceFingerprint> ProbeAsync(CancellationToken cancellation)
    {
        if (Device.Provider == ExecutionProvider.Cuda && !torch.cuda.is_available())
        {
            throw new DeviceUnavailableException(
                "CUDA was requested but TorchSharp sees no CUDA device: this build uses the CPU libtorch. " +
                "Install the GPU package: build with -p:Accelerator=cuda (references libtorch-cuda-12.8-linux-x64) on a machine with a CUDA GPU.");
        }
        if (Device.Provider == ExecutionProvider.Cuda && Device.DeviceIndex >= torch.cuda.device_count())
        {
            throw new DeviceUnavailableException($"CUDA device {Device.DeviceIndex} was requested but only {torch.cuda.device_count()} are present.");
        }
        torch.set_num_threads(Device.Threads);
        return Task.FromResult(DeviceFingerprint.ForHost(Device, $"TorchSharp {typeof(torch).Assembly.GetName().Version?.ToString(3)}, libtorch {torch.__version__}"));
    }

    /// <param name="instances">Networks to build, each on memory of its own (the same weights: the same seed).</param>
    public IPreparedModel Prepare(ModelRequest request, int instances = 1)
    {
        long start = Stopwatch.GetTimestamp();
        var networks = new List<nn.Module<Tensor, Tensor>>(instances);
        for (int i = 0; i < Math.Max(1, instances); i++)
        {
            var network = NetworkFactory.Create(request.Space, request.Architecture, request.Dataset, request.Seed);
            network.to(TorchDevice);
            networks.Add(network);
        }
        return new TorchModel(request, networks, Stopwatch.GetElapsedTime(start).TotalMilliseconds / networks.Count);
    }

    public Task<IReadOnlyList<ModelOutcome>> MeasureAsync(IReadOnlyList<IPreparedModel> batch, MeasurementProtocol protocol, CancellationToken cancellation)
    {
        var models = batch.Select(m => m as TorchModel ?? throw new ArgumentException("The TorchSharp runner measures TorchSharp networks.", nameof(batch))).ToList();
        var requests = models.Select(m => m.Request).ToList();
        try
        {
            using var _ = no_grad();
            var measured = BatchMeasurement.Measure(models, model => new TimedNetwork(model, model.NextNetwork(), TorchDevice, Device.Provider == ExecutionProvider.Cuda),
                protocol, _engine, BatchMeasurement.Seed(requests), cancellation);
            return Task.FromResult<IReadOnlyList<ModelOutcome>>(requests.Zip(measured, ModelOutcome.From).ToList());
        }
        catch (System.Runtime.InteropServices.ExternalException error)
        {
            throw new DeviceException($"TorchSharp failed to run the network: {error.Message.Split('\n')[0]}", isTransient: false, error);
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>A request's networks, built when it was prepared; a measurement loading it more times than that measures them again in turn.</summary>
    private sealed class TorchModel(ModelRequest request, IReadOnlyList<nn.Module<Tensor, Tensor>> networks, double buildMs) : IPreparedModel
    {
        private int _taken;

        public ModelRequest Request { get; } = request;

        public double BuildMs { get; } = buildMs;

        public nn.Module<Tensor, Tensor> NextNetwork() => networks[_taken++ % networks.Count];

        public void Dispose()
        {
            foreach (var network in networks)
            {
                network.Dispose();
            }
        }
    }

    /// <summary>A built network and its input, timed one <c>forward</c> at a time (synchronised on CUDA).</summary>
    private sealed class TimedNetwork : ITimedModel
    {
        private readonly TorchModel _model;
        private readonly nn.Module<Tensor, Tensor> _network;
        private readonly Tensor _input;
        private readonly Device _device;
        private readonly bool _cuda;

        public TimedNetwork(TorchModel model, nn.Module<Tensor, Tensor> network, Device device, bool cuda)
        {
            _model = model;
            _network = network;
            _device = device;
            _cuda = cuda;
            var dataset = model.Request.Dataset;
            // A generator of its own: libtorch's global one also seeds the networks NetworkFactory builds.
            using var generator = new Generator((ulong)model.Request.Seed + 1);
            using var onCpu = randn([model.Request.BatchSize, dataset.Channels, dataset.Height, dataset.Width], generator: generator);
            _input = cuda ? onCpu.to(device) : onCpu.alias();
        }

        public double SessionCreationMs => _model.BuildMs;

        public double TimeOneRunMs()
        {
            long before = Stopwatch.GetTimestamp();
            var output = _network.forward(_input);
            if (_cuda)
            {
                torch.cuda.synchronize(_device);
            }
            double elapsed = Stopwatch.GetElapsedTime(before).TotalMilliseconds;
            output.Dispose();
            return elapsed;
        }

        public IDisposable StopRunsOn(CancellationToken cancellation) => cancellation.Register(() => { });

        public void Dispose() => _input.Dispose();
    }
}
