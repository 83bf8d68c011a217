using LatencyNas.Core.Spaces;

namespace LatencyNas.Core.Measurements;

/// <summary>What to build: one architecture of a space, for a dataset and batch size, with weights from a seed.</summary>
public sealed record ModelRequest(SearchSpace Space, Architecture Architecture, Dataset Dataset, int BatchSize, int Seed = 0);

/// <summary>Turns a model request into ONNX bytes (implemented where the networks are built).</summary>
public interface IOnnxModelSource
{
    byte[] Export(ModelRequest request);
}

/// <summary>The outcome of measuring one architecture.</summary>
/// <param name="Statistics">Statistics of the timed runs.</param>
/// <param name="SessionCreationMs">Time to create the inference session (or load the network), timed apart from the runs.</param>
/// <param name="Agent">Which remote agent measured it, for a remote device.</param>
public sealed record Measurement(LatencyStatistics Statistics, double SessionCreationMs, string? Agent = null);
