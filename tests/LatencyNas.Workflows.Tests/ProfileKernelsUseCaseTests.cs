using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using LatencyNas.Core;
using LatencyNas.Core.Measurements;
using LatencyNas.Core.Spaces.Kernels;
using LatencyNas.Onnx;
using LatencyNas.Profiling.Devices;
using LatencyNas.Tests;
using LatencyNas.Workflows.Runners;
using LatencyNas.Workflows.Tests.Runners;

namespace LatencyNas.Workflows.Tests;

/// <summary>Kernel profiling into a real store, the kernel predictors it trains, and the prediction of whole ONNX models from them.</summary>
public sealed class ProfileKernelsUseCaseTests : IDisposable
{
    /// <summary>A run's fixed cost in every single-kernel measurement of the known-times device (ms).</summary>
    private const double Overhead = 0.01;

    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    /// <summary>A device whose kernels take 10 µs plus 1 ms per 10⁸ MACs plus 1 ms per 10⁸ elements read and written.</summary>
    private static double KnownMs(KernelConfig c) => Overhead + c.Macs / 1e8 + (c.InputElements + c.OutputElements) / 1e8;

    /// <summary>The scale profile-kernels names when a kind got too few kernels: the smallest that draws enough of every kind.</summary>
    [Fact]
    public void The_minimum_scale_draws_enough_kernels_of_every_kind_and_a_hundredth_less_does_not()
    {
        Assert.Equal(0.14, ProfileKernelsUseCase.MinimumScale);
        Assert.All(ProfileKernelsUseCase.SampleSizes.Values, n => Assert.True(Math.Round(n * ProfileKernelsUseCase.MinimumScale) >= ProfileKernelsUseCase.MinimumToTrain));
        Assert.Contains(ProfileKernelsUseCase.SampleSizes.Values, n => Math.Round(n * (ProfileKernelsUseCase.MinimumScale - 0.01)) < ProfileKernelsUseCase.MinimumToTrain);
    }

    [Fact]
    public async Task Every_kernel_space_is_profiled_and_trained_and_a_second_run_measures_nothing_new()
    {
        var store = new StoreLocation(_directory.File("k/latnas.db"));
        var runner = new KnownTimesRunner(DeviceDescriptorReader.Resolve("ort-cpu-1t"), r => KnownMs(((KernelSpace)r.Space).Config(r.Architecture)));
        var progress = new List<LatencyNas.Profiling.ProfileProgress>();
        var request = new ProfileKernelsRequest("ort-cpu-1t", store, Scale: 0.5, DeviceName: "known");

        var result = await new ProfileKernelsUseCase(runner).RunAsync(request, new Synchronous<LatencyNas.Profiling.ProfileProgress>(progress.Add));

        Assert.True(result.Succeeded);
        Assert.Equal(KernelSpace.All.Select(s => s.Name), result.Spaces.Select(s => s.Space));
        int total = ProfileKernelsUseCase.SampleSizes.Values.Sum(n => (int)Math.Round(n * 0.5));
        Assert.Equal(total, result.Spaces.Sum(s => s.Profile.Measured));
        Assert.Equal(total, progress[^1].Done);
        Assert.All(progress, p => Assert.Equal(total, p.Total));
        Assert.All(result.Spaces, s => Assert.True(s.Predictor!.Evaluation.Srcc > 0.8, $"{s.Space}: SRCC {s.Predictor.Evaluation.Srcc}"));

        var again = await new ProfileKernelsUseCase(runner).RunAsync(request);
        Assert.Equal((0, total), (again.Spaces.Sum(s => s.Profile.Measured), again.Spaces.Sum(s => s.Profile.AlreadyStored)));
    }

    /// <summary>Where known models' kernels sit on the grid: NB201's 3×3 convolutions on 16 channels at 32×32 among them, so the first round measures that corner.</summary>
    [Fact]
    public void The_kernels_known_models_hold_are_measured_first_nb201_s_corner_among_them()
    {
        var known = ProfileKernelsUseCase.ModelKernels(DeviceDescriptorReader.Resolve("ort-cpu-1t"));

        Assert.Equal(KernelSpace.All.Select(s => s.Kind).Order(), known.Keys.Order());
        Assert.Contains(KernelSpace.Conv.Nearest(new KernelConfig(KernelKind.Conv, 32, 16, 16, 3, 1, 0)), known[KernelKind.Conv]);
        Assert.Contains(KernelSpace.DepthwiseConv.Nearest(new KernelConfig(KernelKind.DepthwiseConv, 56, 144, 144, 3, 1, 1)), known[KernelKind.DepthwiseConv]);
        Assert.All(known, k => Assert.Equal(k.Value.Count, k.Value.Distinct().Count()));
        Assert.True(known[KernelKind.Conv].Count >= 50, $"{known[KernelKind.Conv].Count} convolution members");
    }

    /// <summary>Three reference CNNs of very different size on the known-times device: each model's prediction against what the device's formula says it costs.</summary>
    [Fact]
    public async Task A_model_is_predicted_from_its_kernels_near_what_they_cost_on_the_device()
    {
        var store = new StoreLocation(_directory.File("k/latnas.db"));
        var runner = new KnownTimesRunner(DeviceDescriptorReader.Resolve("ort-cpu-1t"), r => KnownMs(((KernelSpace)r.Space).Config(r.Architecture)));
        await new ProfileKernelsUseCase(runner).RunAsync(new ProfileKernelsRequest("ort-cpu-1t", store, DeviceName: "known"));

        foreach (var (name, resolution) in new[] { ("resnet18", 224), ("mobilenetv2", 160), ("squeezenet1.1", 96) })
        {
            string path = _directory.File($"{name}.onnx");
            await File.WriteAllBytesAsync(path, ReferenceModels.Build(name, resolution));
            var model = OnnxModelGraph.Read(path);
            // ort-cpu-1t runs ONNX Runtime's all level: on x64 in channel blocks.
            var kernels = CpuKernels.Detect(model, GraphOptimization.All);
            double known = Overhead + kernels.SelectMany(k => KernelConfigs.Parts(model, k, CpuKernels.LocalNchwcBlockSize)).Sum(c => KnownMs(c) - Overhead);

            var predicted = new ModelPredictionUseCase().Run(new ModelPredictionRequest("known", path, store));

            Assert.Equal(kernels.Count, predicted.Kernels.Count);
            Assert.Equal(1, predicted.Kernels.Sum(k => k.Share) + predicted.OverheadMs / predicted.PredictedMs, 6);
            Assert.True(Math.Abs(predicted.PredictedMs / known - 1) < 0.25, $"{name}: predicted {predicted.PredictedMs:F3} ms, the device's formula {known:F3} ms");
        }
    }

    /// <summary>
    /// Convolutions of up to 20 million MACs measured, then convolutions of 5–12 times that predicted:
    /// trees alone stop at the measured range's edge (a fifth of these latencies at most); on the
    /// work trend, saved and loaded with the trees, they follow what the kernels cost.
    /// </summary>
    [Fact]
    public async Task Convolutions_larger_than_any_measured_are_predicted_near_what_they_cost()
    {
        var store = new StoreLocation(_directory.File("k/latnas.db"));
        var runner = new KnownTimesRunner(DeviceDescriptorReader.Resolve("ort-cpu-1t"), r => KnownMs(((KernelSpace)r.Space).Config(r.Architecture)));
        var small = KernelSpace.Conv.Enumerate().Where(a => KernelSpace.Conv.Config(a).Macs is > 100_000 and <= 20_000_000)
            .OrderBy(a => (uint)HashCode.Combine(a.Digits.GetHashCode(StringComparison.Ordinal), 7)).Take(150).ToList();
        await new ProfileUseCase(runner).RunAsync(new ProfileRequest("ort-cpu-1t", KernelSpace.Conv, new ArchitectureSelection(Members: small), store, "known"));
        var trained = new TrainUseCase().Run(new TrainRequest("known", KernelSpace.Conv, store));
        double largestMeasured = small.Max(a => KnownMs(KernelSpace.Conv.Config(a)));

        var (loaded, _) = PredictorCatalog.TryLoad(store, "known", KernelSpace.Conv)!.Value;
        var predictor = Assert.IsType<LatencyNas.Prediction.MlNetPredictor>(loaded);
        Assert.NotNull(predictor.Trend);
        Assert.Contains("on a work trend", trained.Evaluation.Model);
        var large = new[]
        {
            new KernelConfig(KernelKind.Conv, 56, 64, 64, 3, 1, 1),     // 116 million MACs
            new KernelConfig(KernelKind.Conv, 28, 128, 256, 3, 1, 1),   // 231 million
            new KernelConfig(KernelKind.Conv, 112, 64, 128, 1, 1, 0),   // 103 million, off the grid's channels
        };
        double[] predicted = predictor.PredictFeatures(large.Select(c => predictor.Encoder.Full(KernelSpace.Features(c))).ToList());

        for (int i = 0; i < large.Length; i++)
        {
            double known = KnownMs(large[i]);
            Assert.True(known > 4 * largestMeasured, $"{large[i]} is not beyond the measured range");
            Assert.True(Math.Abs(predicted[i] / known - 1) < 0.25, $"{large[i]}: predicted {predicted[i]:F3} ms, costs {known:F3} ms (largest measured {largestMeasured:F3} ms)");
        }
    }

    [Fact]
    public void A_device_without_kernel_predictors_is_told_how_to_get_them()
    {
        var store = new StoreLocation(_directory.File("k/latnas.db"));
        new ImportUseCase().Run(new ImportRequest(SharedData.File("nb201_help_latency_ms.csv"), RealStore.Space, Core.Spaces.Dataset.Cifar10, store, Columns: ["raspi4"]));
        string path = _directory.File("m.onnx");
        File.WriteAllBytes(path, ReferenceModels.Build("squeezenet1.1", 64));

        var error = Assert.Throws<InvalidInputException>(() => new ModelPredictionUseCase().Run(new ModelPredictionRequest("raspi4", path, store)));

        Assert.Contains("latnas profile-kernels --device raspi4", error.Message);
    }

    /// <summary>
    /// The real thing, small: kernels profiled on this machine with ONNX Runtime (a short protocol),
    /// then three models an order of magnitude apart predicted in the order ONNX Runtime runs them.
    /// </summary>
    [Fact]
    public async Task On_this_machine_models_an_order_of_magnitude_apart_are_predicted_in_the_order_they_run()
    {
        var store = new StoreLocation(_directory.File("real/latnas.db"));
        string device = _directory.File("quick-cpu.json");
        await File.WriteAllTextAsync(device, """
            { "name": "quick-cpu", "runtime": "onnxruntime", "threads": 1, "optimization": "extended",
              "protocol": { "min_rounds": 3, "max_rounds": 4, "extra_rounds": 0, "min_quiet_visits": 3, "contended_above": 1, "min_round_seconds": 0 } }
            """);
        var profiled = await new ProfileKernelsUseCase(DeviceRunnerFactory.Instance).RunAsync(new ProfileKernelsRequest(device, store, Scale: 0.2));
        Assert.True(profiled.Succeeded, string.Join("; ", profiled.Spaces.Select(s => $"{s.Space}: {s.Profile.StopReason ?? s.Profile.Failures.FirstOrDefault()?.Reason}")));

        var models = new[] { ("resnet18", 224), ("mobilenetv2", 160), ("squeezenet1.1", 64) };
        var predicted = new List<double>();
        var measured = new List<double>();
        var costliest = new List<string>();
        foreach (var (name, resolution) in models)
        {
            string path = _directory.File($"{name}.onnx");
            byte[] bytes = ReferenceModels.Build(name, resolution);
            await File.WriteAllBytesAsync(path, bytes);
            var result = new ModelPredictionUseCase().Run(new ModelPredictionRequest(device, path, store, Measure: true));
            predicted.Add(result.PredictedMs);
            measured.Add(MedianRunMs(bytes, resolution));
            // Seen once in a CI run on a loaded host: resnet18 predicted at 12 ms against 70 measured; what its kernels were predicted at says why.
            costliest.Add(string.Join(", ", result.Kernels.OrderByDescending(k => k.PredictedMs).Take(3).Select(k => $"{k.As} {k.PredictedMs:F2} ms")) +
                $"; overhead {result.OverheadMs:F3} ms");
            // --measure times the file with the device's protocol: the same model, the same order of time.
            Assert.InRange(result.MeasuredMs!.Value / measured[^1], 1 / 3.0, 3.0);
            Assert.Equal(result.PredictedMs / result.MeasuredMs.Value - 1, result.Error!.Value, 12);
        }

        var byPrediction = Enumerable.Range(0, models.Length).OrderBy(i => predicted[i]).ToList();
        var byMeasurement = Enumerable.Range(0, models.Length).OrderBy(i => measured[i]).ToList();
        Assert.True(byPrediction.SequenceEqual(byMeasurement),
            string.Join("; ", models.Select((m, i) => $"{m.Item1}: predicted {predicted[i]:F2} ms, measured {measured[i]:F2} ms (costliest kernels: {costliest[i]})")));
    }

    private static double MedianRunMs(byte[] model, int resolution)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_EXTENDED };
        using var session = new InferenceSession(model, options);
        var input = new DenseTensor<float>(new float[3 * resolution * resolution], [1, 3, resolution, resolution]);
        var inputs = new[] { NamedOnnxValue.CreateFromTensor("input", input) };
        var times = new List<double>();
        for (int i = 0; i < 7; i++)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            using var results = session.Run(inputs);
            times.Add(clock.Elapsed.TotalMilliseconds);
        }
        return times.Order().ElementAt(times.Count / 2);
    }
}
