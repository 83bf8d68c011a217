using System.Diagnostics;
using LatencyNas.Core;
using LatencyNas.Core.IO;
using LatencyNas.Core.Spaces;
using LatencyNas.Torch;
using LatencyNas.Torch.Networks;

namespace LatencyNas.Workflows;

public sealed record ExportRequest(SearchSpace Space, Architecture Architecture, Dataset Dataset, string Out, int Batch = 1, int Seed = 0);

public sealed record ExportResult(string Out, string Arch, string Ops, int? Index, string Dataset, int Batch, int Bytes);

/// <summary>Builds an architecture's TorchSharp network and writes it as ONNX (whole or not at all).</summary>
public sealed class ExportUseCase
{
    /// <exception cref="InvalidInputException">No network builder for the space, or the output cannot be written.</exception>
    public ExportResult Run(ExportRequest request)
    {
        RequireBuilder(request.Space);
        byte[] model = NetworkFactory.ExportOnnx(request.Space, request.Architecture, request.Dataset, request.Batch, request.Seed);
        AtomicFile.WriteAllBytes(request.Out, model);
        return new ExportResult(request.Out, request.Space.Format(request.Architecture), request.Architecture.Digits, request.Space.IndexOf(request.Architecture), request.Dataset.Name, request.Batch, model.Length);
    }

    internal static void RequireBuilder(SearchSpace space)
    {
        if (!NetworkFactory.Supports(space))
        {
            throw new InvalidInputException($"No TorchSharp network builder exists for space '{space.Name}'.");
        }
    }
}

/// <param name="Datasets">The datasets to cycle through (null: all of the space's).</param>
public sealed record CheckExportRequest(SearchSpace Space, int Count, int Seed = 0, IReadOnlyList<Dataset>? Datasets = null, int Batch = 1, double Tolerance = ExportParity.Tolerance);

/// <summary>One architecture through TorchSharp and through ONNX Runtime on the exported bytes.</summary>
public sealed record ParityRow(string Ops, string Dataset, double MaxAbsDifference, bool WithinTolerance);

public sealed record CheckExportResult(int Checked, double Tolerance, int OverTolerance, double WorstMaxAbsDifference, string WorstArch, string WorstDataset,
    double Seconds, IReadOnlyList<ParityRow> Rows)
{
    public bool Passed => OverTolerance == 0;
}

/// <summary>The exporter's proof: random architectures agree between TorchSharp and ONNX Runtime within the tolerance.</summary>
public sealed class CheckExportUseCase
{
    public CheckExportResult Run(CheckExportRequest request, IProgress<ParityRow>? rows = null, CancellationToken cancellation = default)
    {
        ExportUseCase.RequireBuilder(request.Space);
        if (!(request.Tolerance >= 0 && double.IsFinite(request.Tolerance)))
        {
            throw new InvalidInputException($"--tolerance must be a number of at least 0 (got {request.Tolerance}).");
        }
        var datasets = request.Datasets is { Count: > 0 } named ? named : request.Space.Datasets;
        var architectures = request.Space.SampleDistinct(request.Count, request.Seed);
        var clock = Stopwatch.StartNew();
        var results = new List<ParityRow>();
        ParityResult? worst = null;
        for (int i = 0; i < architectures.Count; i++)
        {
            cancellation.ThrowIfCancellationRequested();
            var parity = ExportParity.Check(request.Space, architectures[i], datasets[i % datasets.Count], request.Seed + i, request.Batch);
            var row = new ParityRow(parity.Architecture.Digits, parity.Dataset.Name, parity.MaxAbsDifference, parity.MaxAbsDifference <= request.Tolerance);
            results.Add(row);
            rows?.Report(row);
            if (worst is null || parity.MaxAbsDifference > worst.MaxAbsDifference)
            {
                worst = parity;
            }
        }
        return new CheckExportResult(results.Count, request.Tolerance, results.Count(r => !r.WithinTolerance), worst!.MaxAbsDifference,
            request.Space.Format(worst.Architecture), worst.Dataset.Name, clock.Elapsed.TotalSeconds, results);
    }
}
