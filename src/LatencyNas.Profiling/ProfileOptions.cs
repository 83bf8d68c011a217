using LatencyNas.Profiling.Timing;

namespace LatencyNas.Profiling;

/// <summary>How a profile run treats each architecture and failures. Defaults suit a local CPU device.</summary>
public sealed record ProfileOptions
{
    /// <summary>The protocol each architecture is timed with. Default <see cref="MeasurementProtocol.Default"/>.</summary>
    public MeasurementProtocol Protocol { get; init; } = MeasurementProtocol.Default;

    /// <summary>
    /// Profiles of the same device and architectures are told apart by session (1, 2, … — e.g. a
    /// test-retest pair). A run skips what its session already holds. Default 1.
    /// </summary>
    public int Session { get; init; } = 1;

    /// <summary>
    /// Who the run's claims belong to (<see cref="Store.ClaimRecords.Owner"/>). Null (default): a name of its own. A worker
    /// that claimed its chunk from the queue gives its own, so that the run measures what the worker holds.
    /// </summary>
    public string? ClaimOwner { get; init; }

    /// <summary>
    /// Longest one architecture's measurement may take; a batch attempt may take this times the
    /// architectures in it. Default 2 min. A local runner notices it between runs and stops a run in
    /// flight (ONNX Runtime's terminate flag); creating a session is not interruptible, so a local
    /// attempt can overrun by that much.
    /// </summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Retries of a transient fault or a timeout, per batch (per architecture with the burst protocol). Default 2.</summary>
    public int MaxRetries { get; init; } = 2;

    /// <summary>First retry delay; later ones grow exponentially, with jitter. Default 0.5 s.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// The run stops when at least this share of the architectures attempted within
    /// <see cref="BreakerSamplingDuration"/> failed (after retries), once <see cref="BreakerMinimumThroughput"/>
    /// were attempted. Default 0.8. Counted per architecture, whatever the batch size.
    /// </summary>
    public double BreakerFailureRatio { get; init; } = 0.8;

    /// <summary>Default 5 architectures.</summary>
    public int BreakerMinimumThroughput { get; init; } = 5;

    /// <summary>Default 10 min.</summary>
    public TimeSpan BreakerSamplingDuration { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Measure again architectures whose earlier attempt is recorded as failed. Default false.</summary>
    public bool RetryFailed { get; init; }

    /// <summary>
    /// Accept the recorded failures of the architectures asked for: they stay failed and are no longer
    /// reported as outstanding, so the run can succeed without them. Default false.
    /// </summary>
    public bool GiveUpFailed { get; init; }

    /// <summary>Seed of the networks' weights (latency does not depend on it). Default 0.</summary>
    public int WeightSeed { get; init; }

    /// <summary>
    /// Prepare the next models on another core while one is measured, when the runner allows it
    /// (<see cref="Runners.IDeviceRunner.CanPrepareWhileMeasuring"/>). Default true.
    /// </summary>
    public bool OverlapPreparation { get; init; } = true;

    /// <summary>
    /// How many batches, prepared or being prepared, may wait for the measuring thread (at least one per remote agent).
    /// Default 2. Each holds its models' sessions: a 200-architecture FBNet profile peaked at 2.6–3.8 GB.
    /// </summary>
    public int PrepareAhead { get; init; } = 2;

    public IReadOnlyList<string> Problems()
    {
        var problems = Protocol.Problems().ToList();
        if (Session < 1) problems.Add($"session must be ≥ 1 (got {Session})");
        if (AttemptTimeout <= TimeSpan.Zero) problems.Add("the attempt timeout must be positive");
        if (MaxRetries < 0) problems.Add($"retries must be ≥ 0 (got {MaxRetries})");
        if (RetryDelay < TimeSpan.Zero) problems.Add("the retry delay must be ≥ 0");
        if (!(BreakerFailureRatio > 0 && BreakerFailureRatio <= 1)) problems.Add($"the breaker failure ratio must be in (0, 1] (got {BreakerFailureRatio})");
        if (BreakerMinimumThroughput < 2) problems.Add($"the breaker minimum throughput must be ≥ 2 (got {BreakerMinimumThroughput})");
        if (BreakerSamplingDuration < TimeSpan.FromSeconds(1)) problems.Add("the breaker sampling duration must be ≥ 1 s");
        if (PrepareAhead < 1) problems.Add($"prepare-ahead must be ≥ 1 (got {PrepareAhead})");
        if (RetryFailed && GiveUpFailed) problems.Add("retrying the failed architectures and giving up on them exclude each other");
        return problems;
    }
}
