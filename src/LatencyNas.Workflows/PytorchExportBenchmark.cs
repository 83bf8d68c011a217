using System.Diagnostics;
using LatencyNas.Core;
using LatencyNas.Core.Spaces;
using LatencyNas.Core.Statistics;
using LatencyNas.Profiling;
using LatencyNas.Profiling.Devices;
using LatencyNas.Profiling.Runners;
using LatencyNas.Profiling.Timing;
using LatencyNas.Torch;
using LatencyNas.Torch.Networks;
using LatencyNas.Onnx;
using LatencyNas.Torch.Onnx;

namespace LatencyNas.Workflows;

/// <param name="Device">An onnxruntime device (descriptor file or shipped name): the settings both exports run with, and the dataset and batch they are built for.</param>
/// <param name="Count">Architectures: 121212, 111111 and 333333 first, then distinct ones drawn with <paramref name="Seed"/>.</param>
/// <param name="Repeats">Paired rounds per architecture (<see cref="PairedTiming"/>).</param>
/// <param name="Python">The interpreter that has PyTorch and ONNX (Debian's python3-torch and python3-onnx).</param>
/// <param name="Tolerance">Largest difference between the two exports' outputs on the same input.</param>
public sealed record BenchPytorchExportRequest(
    string Device = "ort-cpu-1t", int Count = 60, int Seed = 0, int Repeats = 40, string Python = BenchPytorchExportRequest.DefaultPython,
    double Tolerance = ExportParity.Tolerance)
{
    public const string DefaultPython = "/usr/bin/python3";
}

/// <summary>One architecture exported both ways and run in ONNX Runtime.</summary>
/// <param name="OurNodes">Nodes in our export.</param>
/// <param name="PytorchNodes">Nodes in PyTorch's export (its BatchNorms are folded into the convolutions).</param>
/// <param name="OursMs">Our export's fastest visit.</param>
/// <param name="PytorchMs">PyTorch's export's fastest visit.</param>
/// <param name="Ratio">Ours over PyTorch's, the median over the paired rounds.</param>
/// <param name="FastestRatio">Ours over PyTorch's from each one's fastest visit.</param>
/// <param name="MaxAbsDifference">Largest difference between the two outputs on the same seeded input.</param>
/// <param name="ControlRatio">PyTorch's export over itself (a second session of the same file), timed the same way: what the ratio of two equal models looks like.</param>
public sealed record ExportComparisonRow(
    string Ops, int OurNodes, int PytorchNodes, double OursMs, double PytorchMs, double Ratio, double FastestRatio, double MaxAbsDifference, double ControlRatio);

/// <param name="Torch">PyTorch's version.</param>
/// <param name="AtMostOne">Architectures whose ratio is at most 1.00.</param>
/// <param name="Noise">How far from 1 the control ratio of two equal models strays: the 90th percentile of |control − 1| over the architectures.</param>
/// <param name="WithinNoise">Architectures whose ratio is at most 1 + <paramref name="Noise"/>.</param>
/// <param name="OverTolerance">Architectures whose two exports disagree by more than the tolerance.</param>
public sealed record BenchPytorchExportResult(
    string Device, string Setting, string Cpu, string Torch, int Repeats, double Tolerance, IReadOnlyList<ExportComparisonRow> Architectures, RatioSummary Ratio,
    double RatioP90, int AtMostOne, RatioSummary Control, double Noise, int WithinNoise, int OverTolerance)
{
    public bool Passed => OverTolerance == 0;
}

/// <summary>
/// Our ONNX export of NB201 networks against PyTorch's export of the same networks: the reference
/// (<c>bench/pytorch_export.py</c>, carried in this assembly) builds each network as the
/// NAS-Bench-201 code does, takes our export's weights, and exports it with <c>torch.onnx.export</c>;
/// both files must compute the same outputs, and are timed in ONNX Runtime by <see cref="PairedTiming"/>,
/// beside a control that times PyTorch's export against itself the same way, to show the noise.
/// </summary>
public sealed class PytorchExportBenchmark
{
    /// <summary>The architectures always compared first: 121212 (the network of the reported gap), all-skip 111111 and all-conv3x3 333333.</summary>
    public static readonly IReadOnlyList<string> Always = ["121212", "111111", "333333"];

    private const string ScriptResource = "LatencyNas.Workflows.pytorch_export.py";

    public async Task<BenchPytorchExportResult> RunAsync(
        BenchPytorchExportRequest request, IProgress<string>? status = null, IProgress<ExportComparisonRow>? rows = null, CancellationToken cancellation = default)
    {
        var device = DeviceDescriptorReader.Resolve(request.Device);
        if (device.Runtime != DeviceRuntime.OnnxRuntime)
        {
            throw new InvalidInputException("bench export-vs-pytorch runs both exports in ONNX Runtime here; give an onnxruntime device.");
        }
        if (request.Count < 1 || request.Repeats < 1)
        {
            throw new InvalidInputException("bench export-vs-pytorch needs at least one architecture and one round.");
        }
        string torchVersion = await RequirePytorchAsync(request.Python, cancellation);
        var space = SearchSpaces.Get("nb201");
        var architectures = Always.Select(space.Parse)
            .Concat(space.SampleDistinct(request.Count, request.Seed).Where(a => !Always.Contains(a.Digits)))
            .Take(request.Count)
            .ToList();
        var settings = OrtSettings.From(device);

        string directory = Directory.CreateTempSubdirectory("latnas-vs-pytorch-").FullName;
        string ModelFile(Architecture architecture, string exporter) => Path.Combine(directory, $"{architecture.Digits}.{exporter}.onnx");
        try
        {
            status?.Report($"exporting {architectures.Count} architectures ourselves");
            var jobs = new List<string>();
            foreach (var architecture in architectures)
            {
                cancellation.ThrowIfCancellationRequested();
                File.WriteAllBytes(ModelFile(architecture, "ours"), TorchOnnxModelSource.Instance.Export(device.RequestFor(space, architecture)));
                jobs.Add($"{architecture.Digits}\t{ModelFile(architecture, "ours")}\t{ModelFile(architecture, "pytorch")}");
            }
            string jobsFile = Path.Combine(directory, "jobs.tsv");
            File.WriteAllLines(jobsFile, jobs);
            string script = Path.Combine(directory, "pytorch_export.py");
            await using (var resource = typeof(PytorchExportBenchmark).Assembly.GetManifestResourceStream(ScriptResource)!)
            await using (var file = File.Create(script))
            {
                await resource.CopyToAsync(file, cancellation);
            }
            status?.Report($"exporting them with PyTorch {torchVersion}");
            var (exit, _, error) = await RunPythonAsync(request.Python, [script, jobsFile], cancellation);
            if (exit != 0)
            {
                throw new RunFailedException($"PyTorch's export failed: {LastLine(error)}");
            }

            status?.Report($"timing both exports of each in ONNX Runtime ({device.Summary}), {request.Repeats} paired rounds each");
            var results = new List<ExportComparisonRow>();
            foreach (var architecture in architectures)
            {
                var row = Compare(architecture.Digits, ModelFile(architecture, "ours"), ModelFile(architecture, "pytorch"), settings, request.Repeats, cancellation);
                results.Add(row);
                rows?.Report(row);
            }
            var ratios = results.Select(r => r.Ratio).ToList();
            var controls = results.Select(r => r.ControlRatio).ToList();
            double noise = Descriptive.QuantileOfSorted(controls.Select(c => Math.Abs(c - 1)).Order().ToArray(), 0.9);
            return new BenchPytorchExportResult(device.Name, device.Summary, DeviceFingerprint.HostCpuModel(), torchVersion, request.Repeats, request.Tolerance, results,
                RatioSummary.Of(ratios), Descriptive.QuantileOfSorted(ratios.Order().ToArray(), 0.9), ratios.Count(r => r <= 1.0),
                RatioSummary.Of(controls), noise, ratios.Count(r => r <= 1 + noise), results.Count(r => !(r.MaxAbsDifference <= request.Tolerance)));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static ExportComparisonRow Compare(string ops, string oursFile, string pytorchFile, OrtSettings settings, int rounds, CancellationToken cancellation)
    {
        byte[] ours = File.ReadAllBytes(oursFile), pytorch = File.ReadAllBytes(pytorchFile);
        try
        {
            using var oursSession = OrtTimedSession.Create(ours, settings);
            using var pytorchSession = OrtTimedSession.Create(pytorch, settings);
            using var pytorchAgain = OrtTimedSession.Create(pytorch, settings);
            oursSession.Run();
            pytorchSession.Run();
            double difference = oursSession.FirstOutput().Zip(pytorchSession.FirstOutput(), (a, b) => Math.Abs((double)a - b)).Max();
            var control = PairedTiming.Compare(pytorchAgain.TimeOneRunMs, pytorchSession.TimeOneRunMs, rounds, cancellation);
            var comparison = PairedTiming.Compare(oursSession.TimeOneRunMs, pytorchSession.TimeOneRunMs, rounds, cancellation);
            return new ExportComparisonRow(ops, OnnxModelInspection.OperatorCounts(ours).Values.Sum(), OnnxModelInspection.OperatorCounts(pytorch).Values.Sum(),
                comparison.FirstMs, comparison.SecondMs, comparison.Ratio, comparison.FastestRatio, difference, control.Ratio);
        }
        catch (DeviceException error)
        {
            throw new RunFailedException($"{ops}: {error.Message}");
        }
    }

    /// <returns>PyTorch's version.</returns>
    /// <exception cref="InvalidInputException">The interpreter is missing, or lacks PyTorch or ONNX.</exception>
    private static async Task<string> RequirePytorchAsync(string python, CancellationToken cancellation)
    {
        const string Install = "apt-get install -y python3-torch python3-onnx";
        if (!File.Exists(python))
        {
            throw new InvalidInputException($"bench export-vs-pytorch needs PyTorch's exporter, and {python} does not exist: {Install}");
        }
        var (exit, output, error) = await RunPythonAsync(python, ["-c", "import onnx, torch, torch.onnx; print(torch.__version__)"], cancellation);
        if (exit != 0)
        {
            throw new InvalidInputException($"bench export-vs-pytorch needs PyTorch and ONNX for {python} ({LastLine(error)}): {Install}");
        }
        return output.Trim();
    }

    private static async Task<(int Exit, string Output, string Error)> RunPythonAsync(string python, IReadOnlyList<string> arguments, CancellationToken cancellation)
    {
        var start = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start) ?? throw new InvalidInputException($"{python} could not be started.");
        var output = process.StandardOutput.ReadToEndAsync(cancellation);
        var error = process.StandardError.ReadToEndAsync(cancellation);
        try
        {
            await process.WaitForExitAsync(cancellation);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        return (process.ExitCode, await output, await error);
    }

    private static string LastLine(string text)
        => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "no message";
}
