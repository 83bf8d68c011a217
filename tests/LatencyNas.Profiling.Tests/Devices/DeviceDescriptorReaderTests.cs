using LatencyNas.Core;
using LatencyNas.Core.Spaces;
using LatencyNas.Profiling.Devices;
using LatencyNas.Profiling.Timing;
using LatencyNas.Tests;

namespace LatencyNas.Profiling.Tests.Devices;

public class DeviceDescriptorReaderTests
{
    [Fact]
    public void Every_shipped_descriptor_is_valid_and_embedded()
    {
        var files = Directory.GetFiles(Path.Combine(SharedData.RepositoryRoot, "devices"), "*.json");
        Assert.NotEmpty(files);
        foreach (string file in files)
        {
            var descriptor = DeviceDescriptorReader.ReadFile(file);
            Assert.Equal(Path.GetFileNameWithoutExtension(file), descriptor.Name);
            Assert.Contains(descriptor.Name, DeviceDescriptorReader.EmbeddedNames);
        }
        foreach (string required in new[] { "ort-cpu-1t", "ort-cpu-2t", "ort-cpu-1t-noopt", "torch-cpu-1t", "ort-cuda0" })
        {
            Assert.Contains(required, DeviceDescriptorReader.EmbeddedNames);
        }
    }

    [Fact]
    public void Shipped_descriptors_say_what_they_are()
    {
        var noopt = DeviceDescriptorReader.Resolve("ort-cpu-1t-noopt");
        Assert.Equal(DeviceRuntime.OnnxRuntime, noopt.Runtime);
        Assert.Equal("disabled", noopt.Optimization);
        Assert.Equal(1, noopt.Threads);
        var torch = DeviceDescriptorReader.Resolve("torch-cpu-1t");
        Assert.Equal(DeviceRuntime.TorchSharp, torch.Runtime);
        Assert.Equal(ExecutionProvider.Cuda, DeviceDescriptorReader.Resolve("ort-cuda0").Provider);
        Assert.Equal(2, DeviceDescriptorReader.Resolve("ort-cpu-2t").Threads);
    }

    [Fact]
    public void Every_invalid_field_is_named_in_one_message()
    {
        const string json = """
            { "name": "Bad Name", "runtime": "tensorflow", "threads": 0, "batch": -1, "optimization": "max",
              "resolution": 2, "dataset": "mnist", "thread": 2, "spinning": "yes",
              "protocol": { "min_runs": 0, "target_precision": 2 } }
            """;
        var error = Assert.Throws<DeviceDescriptorException>(() => DeviceDescriptorReader.Parse(json, "bad.json"));
        Assert.StartsWith("bad.json is not a valid device descriptor", error.Message);
        foreach (string field in new[] { "name", "runtime", "threads", "batch", "resolution", "mnist", "'thread'", "spinning", "protocol.min_runs", "protocol.target_precision" })
        {
            Assert.Contains(field, error.Message);
        }
        Assert.True(error.Problems.Count >= 10, string.Join(" | ", error.Problems));
        Assert.IsAssignableFrom<InvalidInputException>(error);
    }

    [Fact]
    public void A_protocol_block_reads_both_modes_with_their_own_precision()
    {
        var interleaved = DeviceDescriptorReader.Parse("""
            { "name": "i", "runtime": "onnxruntime",
              "protocol": { "architectures_per_batch": 40, "runs_per_visit": 4, "min_rounds": 6, "max_rounds": 12, "extra_rounds": 0,
                            "min_quiet_visits": 3, "contended_above": 0.8, "min_round_seconds": 0, "reference_architectures": 2,
                            "instances_per_architecture": 2 } }
            """, "i.json").Protocol!;
        Assert.Equal((MeasurementMode.Interleaved, 40, 4, 6, 12, 0, 3, 0.8, TimeSpan.Zero, 0.10, 2, 2),
            (interleaved.Mode, interleaved.ArchitecturesPerBatch, interleaved.RunsPerVisit, interleaved.MinRounds, interleaved.MaxRounds,
             interleaved.ExtraRounds, interleaved.MinQuietVisits, interleaved.ContendedAbove, interleaved.MinRoundTime, interleaved.TargetRelativePrecision,
             interleaved.ReferenceArchitectures, interleaved.InstancesPerArchitecture));
        Assert.Equal("median-of-2-instances-fastest-visit", interleaved.Estimator);
        var burst = DeviceDescriptorReader.Parse("""{ "name": "b", "runtime": "onnxruntime", "protocol": { "mode": "burst", "max_runs": 40 } }""", "b.json").Protocol!;
        Assert.Equal((MeasurementMode.Burst, 40, 0.02), (burst.Mode, burst.MaxRuns, burst.TargetRelativePrecision));

        var error = Assert.Throws<DeviceDescriptorException>(() => DeviceDescriptorReader.Parse(
            """{ "name": "x", "runtime": "onnxruntime", "protocol": { "mode": "sometimes", "runs_per_visit": 0, "min_rounds": 9, "max_rounds": 5, "instances_per_architecture": 9 } }""", "x.json"));
        foreach (string field in new[] { "protocol.mode", "protocol.runs_per_visit", "max_rounds", "protocol.instances_per_architecture" })
        {
            Assert.Contains(field, error.Message);
        }
    }

    [Theory]
    [InlineData("not json at all")]
    [InlineData("[1, 2, 3]")]
    [InlineData("{ \"runtime\": \"onnxruntime\" }")]
    [InlineData("{ \"name\": \"x\", \"runtime\": \"torchsharp\", \"optimization\": \"all\" }")]
    [InlineData("{ \"name\": \"x\", \"runtime\": \"remote\" }")]
    [InlineData("{ \"name\": \"x\", \"runtime\": \"remote\", \"remote\": { \"endpoints\": [\"ftp://a\"] } }")]
    [InlineData("{ \"name\": \"x13\", \"name\": \"x14\", \"runtime\": \"onnxruntime\" }")]
    public void Rejects_malformed_descriptors(string json)
        => Assert.Throws<DeviceDescriptorException>(() => DeviceDescriptorReader.Parse(json, "x.json"));

    [Fact]
    public void The_sleep_device_reads_its_sleep_and_rejects_a_sleep_elsewhere()
    {
        var sleep = DeviceDescriptorReader.Resolve("sleep");
        Assert.Equal((DeviceRuntime.Sleep, 20.0, 1.0, null, 0), (sleep.Runtime, sleep.Sleep!.Milliseconds, sleep.Sleep.MillisecondsPerChoice, sleep.Sleep.CallLog,
            sleep.Protocol!.ReferenceArchitectures));
        Assert.False(sleep.ComputesOnThisMachine);
        Assert.Contains("load generator", sleep.Summary);

        foreach (var (json, problem) in new[]
        {
            ("""{ "name": "s", "runtime": "sleep" }""", "needs a 'sleep' object"),
            ("""{ "name": "s", "runtime": "sleep", "sleep": { "ms_per_choice": 1 } }""", "sleep.ms is required"),
            ("""{ "name": "s", "runtime": "sleep", "sleep": { "ms": -1, "pause": 2 } }""", "sleep.ms must be between"),
            ("""{ "name": "s", "runtime": "sleep", "sleep": { "ms": 1, "pause": 2 } }""", "unknown field 'sleep.pause'"),
            ("""{ "name": "s", "runtime": "onnxruntime", "sleep": { "ms": 1 } }""", "'sleep' applies only to runtime sleep"),
        })
        {
            var error = Assert.Throws<DeviceDescriptorException>(() => DeviceDescriptorReader.Parse(json, "s.json"));
            Assert.Contains(problem, error.Message);
        }
    }

    [Fact]
    public void Defaults_fill_what_a_minimal_descriptor_leaves_out()
    {
        var device = DeviceDescriptorReader.Parse("""{ "name": "mini", "runtime": "onnxruntime", "dataset": "imagenet16-120" }""", "mini.json");
        Assert.Equal(ExecutionProvider.Cpu, device.Provider);
        Assert.Equal(1, device.Threads);
        Assert.Equal("all", device.Optimization);
        Assert.Equal(1, device.BatchSize);
        Assert.Equal(Dataset.ImageNet16_120, device.Dataset);
        Assert.Null(device.Protocol);
    }

    [Fact]
    public void A_resolution_override_changes_the_input_dataset_only_in_size()
    {
        var device = DeviceDescriptorReader.Parse("""{ "name": "big", "runtime": "onnxruntime", "resolution": 64 }""", "big.json");
        Assert.Equal((64, 64), (device.Dataset.Height, device.Dataset.Width));
        Assert.Equal(10, device.Dataset.Classes);
    }

    [Fact]
    public void A_task_is_a_dataset_and_a_non_square_one_refuses_a_resolution_override()
    {
        var device = DeviceDescriptorReader.Parse("""{ "name": "emg", "runtime": "onnxruntime", "dataset": "1x16x52-18cls" }""", "emg.json");
        Assert.Equal((1, 16, 52, 18), (device.Dataset.Channels, device.Dataset.Height, device.Dataset.Width, device.Dataset.Classes));
        var error = Assert.Throws<DeviceDescriptorException>(() =>
            DeviceDescriptorReader.Parse("""{ "name": "emg", "runtime": "onnxruntime", "dataset": "ninapro", "resolution": 32 }""", "emg.json"));
        Assert.Contains("not square", error.Message);
    }

    [Fact]
    public void Unknown_device_name_lists_the_shipped_ones()
    {
        var error = Assert.Throws<InvalidInputException>(() => DeviceDescriptorReader.Resolve("no-such-device"));
        Assert.Contains("ort-cpu-1t", error.Message);
    }
}
