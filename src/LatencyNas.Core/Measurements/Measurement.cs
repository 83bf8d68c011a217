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
/// <param name="Statistics">Statistics of the timed runs and the latency estimate.</param>
/// <param name="SessionCreationMs">Time to create the inference session (or load the network), timed apart from the runs.</param>
/// <param name="Agent">Which remote agent measured it, for a remote device.</param>
/// <param name="Visits">Each visit of an interleaved measurement, so the estimate can be recomputed and audited; empty for a burst.</param>
/// <param name="Drift">
/// How much slower than the device's reference the batch ran; the estimate in <paramref name="Statistics"/> has been
/// divided by it (the run statistics and visits are as measured). Null when no correction was made.
/// </param>
/// <param name="ReferenceSpread">
/// How far the batch's reference architectures disagreed about <paramref name="Drift"/> (largest ratio ÷ smallest − 1),
/// which decides whether the estimate may claim its precision. Null when no correction was made.
/// </param>
public sealed record Measurement(LatencyStatistics Statistics, double SessionCreationMs, string? Agent = null, IReadOnlyList<Visit>? Visits = null,
    double? Drift = null, double? ReferenceSpread = null)
{
    /// <summary>The protocol that made it: <see cref="MeasurementProtocols.Interleaved"/> when it has visits, else <see cref="MeasurementProtocols.Burst"/>.</summary>
    public string Protocol => Visits is { Count: > 0 } ? MeasurementProtocols.Interleaved : MeasurementProtocols.Burst;

    /// <summary>This measurement, its estimate claiming no precision.</summary>
    public Measurement WithoutPrecisionClaim() => this with { Statistics = Statistics with { PrecisionMet = false } };

    /// <summary>This measurement with its estimate divided by a batch's drift factor, and the spread of the references that gave it.</summary>
    public Measurement CorrectedFor(double drift, double referenceSpread) => this with
    {
        Statistics = Statistics with { LatencyMs = Statistics.LatencyMs / drift },
        Drift = drift,
        ReferenceSpread = referenceSpread,
    };
}

/// <summary>The names of the ways a latency is obtained, as the store records them.</summary>
public static class MeasurementProtocols
{
    /// <summary>Many short visits per architecture, interleaved over a batch; the fastest of the quiet visits.</summary>
    public const string Interleaved = "interleaved";

    /// <summary>One block of consecutive runs per architecture after a warm-up; their median (the protocol before schema 4).</summary>
    public const string Burst = "burst";

    /// <summary>A value imported from a latency table.</summary>
    public const string Table = "table";
}
