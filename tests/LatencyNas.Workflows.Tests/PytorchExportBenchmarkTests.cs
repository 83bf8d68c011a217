using System.Diagnostics;
using LatencyNas.Core;

namespace LatencyNas.Workflows.Tests;

/// <summary>The comparison with PyTorch's export, on real exports of both exporters (never its timings).</summary>
public class PytorchExportBenchmarkTests
{
    private static bool PytorchInstalled()
    {
        if (!File.Exists(BenchPytorchExportRequest.DefaultPython))
        {
            return false;
        }
        var start = new ProcessStartInfo(BenchPytorchExportRequest.DefaultPython, ["-c", "import onnx, torch"]) { RedirectStandardError = true };
        using var process = Process.Start(start)!;
        process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0;
    }

    [SkippableFact]
    public async Task Pytorchs_export_of_the_same_weights_computes_the_same_outputs()
    {
        Skip.IfNot(PytorchInstalled(), "needs Debian's python3-torch and python3-onnx");

        var result = await new PytorchExportBenchmark().RunAsync(new BenchPytorchExportRequest(Count: 5, Seed: 3, Repeats: 2));

        Assert.Equal(["121212", "111111", "333333"], result.Architectures.Take(3).Select(r => r.Ops));
        Assert.Equal(5, result.Architectures.Select(r => r.Ops).Distinct().Count());
        Assert.All(result.Architectures, r => Assert.True(r.MaxAbsDifference <= result.Tolerance, $"{r.Ops}: max |Δ| {r.MaxAbsDifference}"));
        Assert.True(result.Passed);
        Assert.All(result.Architectures, r => Assert.True(r.OursMs > 0 && r.PytorchMs > 0 && r.Ratio > 0 && r.ControlRatio > 0));
    }

    [Fact]
    public async Task A_missing_interpreter_is_bad_input_that_says_how_to_install_it()
    {
        var error = await Assert.ThrowsAsync<InvalidInputException>(() =>
            new PytorchExportBenchmark().RunAsync(new BenchPytorchExportRequest(Count: 1, Python: "/nonexistent/python3")));
        Assert.Contains("apt-get install -y python3-torch", error.Message);
    }
}
