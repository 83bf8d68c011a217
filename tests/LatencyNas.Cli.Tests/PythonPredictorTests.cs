using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using LatencyNas.Tests;

namespace LatencyNas.Cli.Tests;

/// <summary>The two ways a Python search reaches a predictor (docs/python.md): the exported ONNX model and the streaming process.</summary>
public sealed class PythonPredictorTests(AnalysisStore fixture) : IClassFixture<AnalysisStore>
{
    private const string Python = "/usr/bin/python3";

    private string Store => fixture.Store;

    [Fact]
    public void Predictors_export_writes_a_checked_model_and_refuses_what_it_cannot_export()
    {
        var train = Latnas.Run("train", "--device", "pixel3", "--model", "lightgbm", "--train-size", "300", "--store", Store);
        Assert.True(train.ExitCode == 0, train.ToString());
        string model = Path.Combine(fixture.Directory, "pixel3.onnx");

        var export = Latnas.Run("predictors", "export", "--device", "pixel3", "--model", "lightgbm", "--check", "2000", "--out", model, "--json", "--store", Store);

        Assert.True(export.ExitCode == 0, export.ToString());
        using var result = JsonDocument.Parse(export.Stdout);
        Assert.Equal(2000, result.RootElement.GetProperty("checked").GetInt32());
        Assert.InRange(result.RootElement.GetProperty("max_relative_error").GetDouble(), 0, 1e-5);
        Assert.Equal("pixel3", result.RootElement.GetProperty("metadata").GetProperty("device").GetString());
        Assert.Equal(result.RootElement.GetProperty("bytes").GetInt64(), new FileInfo(model).Length);

        string never = Path.Combine(fixture.Directory, "never.onnx");
        var untrained = Latnas.Run("predictors", "export", "--device", "fpga", "--model", "fasttree", "--out", never, "--store", Store);
        Assert.Equal(2, untrained.ExitCode);
        Assert.Contains("latnas train --device fpga", untrained.Stderr);
        var unknown = Latnas.Run("predictors", "export", "--device", "pixel9", "--out", never, "--store", Store);
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("No device 'pixel9'", unknown.Stderr);
        Assert.Equal(2, Latnas.Run("predictors", "export", "--device", "pixel3", "--check", "0", "--out", never, "--store", Store).ExitCode);
        Assert.False(File.Exists(never));
    }

    /// <summary>The example search's streaming half, run by Debian's Python against the real process, predicts what `predict --json` does.</summary>
    [SkippableFact]
    public void The_python_example_streams_through_latnas_and_gets_the_batch_predictions()
    {
        Skip.IfNot(File.Exists(Python), "needs /usr/bin/python3");
        var train = Latnas.Run("train", "--device", "gold_6226", "--model", "fasttree", "--train-size", "300", "--store", Store);
        Assert.True(train.ExitCode == 0, train.ToString());
        string latnas = string.Join(' ', Latnas.StartInfo("predict", "--device", "gold_6226", "--model", "fasttree", "--stdin", "--store", Store)
            .ArgumentList.Prepend(Latnas.StartInfo().FileName).Select(a => $"'{a}'"));

        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in new[]
                 {
                     Path.Combine(SharedData.RepositoryRoot, "docs", "examples", "latency_search.py"),
                     "--latnas", latnas, "--budget-ms", "8", "--candidates", "150", "--seed", "3",
                 })
        {
            start.ArgumentList.Add(argument);
        }
        using var python = Process.Start(start)!;
        var stdout = python.StandardOutput.ReadToEndAsync();
        var stderr = python.StandardError.ReadToEndAsync();
        Assert.True(python.WaitForExit(TimeSpan.FromMinutes(5)), "the example did not finish");
        Assert.True(python.ExitCode == 0, $"exit {python.ExitCode}: {stderr.Result}");
        var streamed = stdout.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' '))
            .Select(parts => (Digits: parts[0], Ms: double.Parse(parts[1], CultureInfo.InvariantCulture)))
            .ToList();
        Assert.Equal(150, streamed.Count);
        Assert.Contains("best under 8.0 ms", stderr.Result);

        string archs = Path.Combine(fixture.Directory, "python-archs.txt");
        File.WriteAllLines(archs, streamed.Select(s => s.Digits));
        var batch = Latnas.Run("predict", "--device", "gold_6226", "--model", "fasttree", "--archs", archs, "--json", "--store", Store);
        Assert.True(batch.ExitCode == 0, batch.ToString());
        using var reference = JsonDocument.Parse(batch.Stdout);
        var expected = reference.RootElement.GetProperty("predictions").EnumerateArray()
            .Select(p => (Digits: p.GetProperty("ops").GetString()!, Ms: p.GetProperty("predicted_ms").GetDouble()))
            .ToList();
        Assert.Equal(expected.Select(e => e.Digits), streamed.Select(s => s.Digits));
        Assert.All(expected.Zip(streamed), pair => Assert.Equal(pair.First.Ms, pair.Second.Ms, 12));
        Assert.True(expected.Select(e => e.Ms).Distinct().Count() > 50, "the predictions are too flat to tell the two paths apart");
    }
}
