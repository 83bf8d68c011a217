using Microsoft.ML.OnnxRuntime;

using LatencyNas.Tests;

namespace LatencyNas.Cli.Tests;

public sealed class ExportCommandTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("latnas-export-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Export_writes_a_model_onnx_runtime_loads_with_the_requested_batch()
    {
        string path = Path.Combine(_directory, "nested", "model.onnx");
        var result = Latnas.Run("export", "--space", "nb201", "--arch", "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|",
            "--dataset", "cifar100", "--batch", "4", "--out", path);
        Assert.True(result.ExitCode == 0, result.ToString());
        using var session = new InferenceSession(path);
        Assert.Equal(new[] { 4, 3, 32, 32 }, session.InputMetadata["input"].Dimensions);
        using var input = OrtValue.CreateTensorValueFromMemory(new float[4 * 3 * 32 * 32], [4, 3, 32, 32]);
        using var outputs = session.Run(new RunOptions(), ["input"], [input], ["logits"]);
        Assert.Equal(new long[] { 4, 100 }, outputs[0].GetTensorTypeAndShape().Shape);
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!, "*.tmp"));
    }

    /// <summary>The project's own export (batch 4) read back as a model from elsewhere: BatchNorms folded, activations fused at the extended level.</summary>
    [Fact]
    public void Kernels_lists_what_onnx_runtime_runs_for_an_exported_model_and_refuses_a_file_that_is_no_model()
    {
        string path = Path.Combine(_directory, "fbnet.onnx");
        Assert.Equal(0, Latnas.Run("export", "--space", "fbnet", "--arch", "0123456780123456780123", "--batch", "4", "--out", path).ExitCode);

        var disabled = Latnas.Run("kernels", "--onnx", path, "--optimization", "disabled", "--json");
        var extended = Latnas.Run("kernels", "--onnx", path, "--json");

        Assert.True(extended.ExitCode == 0, extended.ToString());
        using var all = System.Text.Json.JsonDocument.Parse(disabled.Stdout);
        using var fused = System.Text.Json.JsonDocument.Parse(extended.Stdout);
        int nodes = fused.RootElement.GetProperty("nodes").GetInt32();
        Assert.Equal(nodes, all.RootElement.GetProperty("kernels").GetArrayLength());
        var kernels = fused.RootElement.GetProperty("kernels").EnumerateArray().ToList();
        Assert.InRange(kernels.Count, 1, nodes - 1);
        Assert.DoesNotContain(kernels, k => k.GetProperty("operator").GetString() == "BatchNormalization");
        Assert.Contains(kernels, k => k.GetProperty("operator").GetString() == "com.microsoft:FusedConv" && k.GetProperty("activation").GetString() == "Relu");
        Assert.All(kernels, k => Assert.Equal(4, k.GetProperty("output")[0].GetInt64()));
        Assert.Equal(kernels.Count, fused.RootElement.GetProperty("operators").EnumerateObject().Sum(o => o.Value.GetInt32()));

        string notes = Path.Combine(_directory, "notes.onnx");
        File.WriteAllText(notes, "not a model");
        var bad = Latnas.Run("kernels", "--onnx", notes);
        Assert.True(bad.ExitCode == 2, bad.ToString());
        Assert.Contains("is not an ONNX model", bad.Stderr);
        Assert.DoesNotContain("   at ", bad.Stderr);
        Assert.Equal(2, Latnas.Run("kernels", "--onnx", Path.Combine(_directory, "missing.onnx")).ExitCode);
    }

    /// <summary>A model exported at batch 4 runs at batch 4: kernels and predict --onnx say so, and refuse another --batch rather than compute at 4 and label it 8.</summary>
    [Fact]
    public void A_model_of_a_fixed_batch_is_read_at_its_batch_and_another_batch_asked_for_is_refused()
    {
        string path = Path.Combine(_directory, "m4.onnx");
        Assert.Equal(0, Latnas.Run("export", "--arch", "333133", "--batch", "4", "--out", path).ExitCode);

        var listed = Latnas.Run("kernels", "--onnx", path, "--json");
        Assert.True(listed.ExitCode == 0, listed.ToString());
        using var json = System.Text.Json.JsonDocument.Parse(listed.Stdout);
        Assert.Equal(4, json.RootElement.GetProperty("batch").GetInt64());
        Assert.Equal(json.RootElement.GetProperty("kernels").EnumerateArray().Sum(k => k.GetProperty("operations").GetInt64()), json.RootElement.GetProperty("operations").GetInt64());
        var text = Latnas.Run("kernels", "--onnx", path, "--batch", "4");
        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.Contains("batch 4, optimization all", text.Stdout);

        string store = Path.Combine(_directory, "none", "latnas.db");
        foreach (var refused in new[] { Latnas.Run("kernels", "--onnx", path, "--batch", "8"), Latnas.Run("predict", "--device", "any", "--onnx", path, "--batch", "8", "--store", store) })
        {
            Assert.True(refused.ExitCode == 2, refused.ToString());
            Assert.Contains("input 'input' has a fixed batch dimension of 4, so it cannot run at batch 8", refused.Stderr);
            Assert.Single(refused.Stderr.Trim().Split('\n'));
        }
    }

    /// <summary>A convolution whose weights take 5 channels from an input of 3: ONNX Runtime refuses it, so kernels and predict --onnx do too.</summary>
    [Fact]
    public void A_model_whose_weights_disagree_with_its_input_is_refused_naming_the_node()
    {
        var graph = new LatencyNas.Onnx.OnnxGraph("mismatch");
        graph.Input("x", LatencyNas.Onnx.Proto.TensorProto.Types.DataType.Float, 1, 3, 8, 8);
        graph.Rename(graph.Node("Conv", ["x", graph.Initializer("w", new float[8 * 5 * 3 * 3], 8, 5, 3, 3)], "conv"), "y");
        graph.UnshapedOutput("y", LatencyNas.Onnx.Proto.TensorProto.Types.DataType.Float);
        string path = Path.Combine(_directory, "mismatch.onnx");
        File.WriteAllBytes(path, graph.ToModel(8, new Dictionary<string, int> { [""] = 17 }, "test"));

        string store = Path.Combine(_directory, "none", "latnas.db");
        foreach (var refused in new[] { Latnas.Run("kernels", "--onnx", path), Latnas.Run("predict", "--device", "any", "--onnx", path, "--store", store) })
        {
            Assert.True(refused.ExitCode == 2, refused.ToString());
            Assert.Contains("node 'conv/Conv' (Conv) does not fit its inputs, and ONNX Runtime refuses such a model: the input has 3 channels where the weights [8, 5, 3, 3] take 5", refused.Stderr);
            Assert.Single(refused.Stderr.Trim().Split('\n'));
            Assert.Empty(refused.Stdout);
        }
    }

    [Fact]
    public void Predicting_a_model_on_a_device_without_kernel_predictors_says_how_to_get_them()
    {
        string store = Path.Combine(_directory, "p", "latnas.db");
        Assert.Equal(0, Latnas.Run("import", "--csv", LatencyNas.Tests.SharedData.File("nb201_help_latency_ms.csv"), "--columns", "raspi4", "--store", store).ExitCode);
        string model = Path.Combine(_directory, "m.onnx");
        Assert.Equal(0, Latnas.Run("export", "--arch", "123401", "--out", model).ExitCode);

        var result = Latnas.Run("predict", "--device", "raspi4", "--onnx", model, "--store", store);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("latnas profile-kernels --device raspi4", result.Stderr);
        Assert.Equal(2, Latnas.Run("predict", "--device", "raspi4", "--onnx", model, "--arch", "123401", "--store", store).ExitCode);
    }

    [Fact]
    public void Unwritable_output_exits_2_and_leaves_nothing()
    {
        string readOnly = Path.Combine(_directory, "readonly");
        Directory.CreateDirectory(readOnly);
        var result = Latnas.Run("export", "--arch", "111111", "--out", readOnly); // a directory, not a file
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("cannot write", result.Stderr);

        var intoProc = Latnas.Run("export", "--arch", "111111", "--out", "/proc/latnas-model.onnx");
        Assert.True(intoProc.ExitCode == 2, intoProc.ToString());
        Assert.DoesNotContain("   at ", intoProc.Stderr);
    }

    [Fact]
    public void Malformed_arch_exits_2_before_writing()
    {
        string path = Path.Combine(_directory, "never.onnx");
        var result = Latnas.Run("export", "--arch", "3x3333", "--out", path);
        Assert.Equal(2, result.ExitCode);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Check_export_passes_and_reports_the_worst_difference()
    {
        var result = Latnas.Run("check-export", "--space", "nb201", "--count", "6", "--seed", "3");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("checked 6 architectures", result.Stdout);
        Assert.Contains("worst max|Δ|", result.Stdout);
        Assert.Equal(6, result.Stdout.Split('\n').Count(l => l.StartsWith('[')));
    }

    [Fact]
    public void Check_export_fails_with_exit_1_when_the_tolerance_cannot_be_met()
    {
        // A tolerance of exactly zero cannot be met by two float32 runtimes on a network with convolutions.
        var result = Latnas.Run("check-export", "--count", "2", "--seed", "1", "--dataset", "cifar10", "--tolerance", "0");
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("FAIL", result.Stdout);
    }
}
