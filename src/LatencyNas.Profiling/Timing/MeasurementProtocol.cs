namespace LatencyNas.Profiling.Timing;

/// <summary>
/// How one architecture is timed, after BenchmarkDotNet's engine: warm up until the run times
/// settle, then time runs until the 95% confidence interval of the median is narrow enough or a
/// cap is reached. The defaults suit NB201 networks on a CPU (0.3–7 ms a run).
/// </summary>
public sealed record MeasurementProtocol
{
    /// <summary>Warm-up runs at least this many times. Default 3.</summary>
    public int WarmupMinRuns { get; init; } = 3;

    /// <summary>Warm-up runs at least this long, even once settled. Default 0 s.</summary>
    public TimeSpan WarmupMinTime { get; init; } = TimeSpan.Zero;

    /// <summary>Warm-up ends after this many runs, settled or not. Default 100.</summary>
    public int WarmupMaxRuns { get; init; } = 100;

    /// <summary>Warm-up ends after this long, settled or not. Default 1 s.</summary>
    public TimeSpan WarmupMaxTime { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Warm-up compares the medians of the last two windows of this many runs. Default 5.</summary>
    public int WarmupWindow { get; init; } = 5;

    /// <summary>Times have settled when the two window medians differ by at most this fraction. Default 0.05.</summary>
    public double WarmupSettleTolerance { get; init; } = 0.05;

    /// <summary>Timed runs at least, even past <see cref="MaxTime"/>. Default 15.</summary>
    public int MinRuns { get; init; } = 15;

    /// <summary>Timed runs at most. Default 1,000.</summary>
    public int MaxRuns { get; init; } = 1_000;

    /// <summary>Timed phase at most this long (sum of run times), once <see cref="MinRuns"/> are done. Default 5 s.</summary>
    public TimeSpan MaxTime { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Stop once the 95% confidence interval of the median has a half-width of at most this
    /// fraction of the median. Default 0.02. <c>null</c> runs exactly <see cref="MaxRuns"/> (within <see cref="MaxTime"/>).
    /// </summary>
    public double? TargetRelativePrecision { get; init; } = 0.02;

    public static MeasurementProtocol Default { get; } = new();

    /// <summary>The common fixed recipe to compare against: 3 s of warm-up, then exactly 50 timed runs.</summary>
    public static MeasurementProtocol Fixed3sWarmup50Runs { get; } = new()
    {
        WarmupMinRuns = 1,
        WarmupMinTime = TimeSpan.FromSeconds(3),
        WarmupMaxTime = TimeSpan.FromSeconds(3),
        WarmupMaxRuns = int.MaxValue,
        MinRuns = 50,
        MaxRuns = 50,
        MaxTime = TimeSpan.FromHours(1),
        TargetRelativePrecision = null,
    };

    /// <summary>Every invalid setting, each described in a short phrase; empty when valid.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (WarmupMinRuns < 0) problems.Add($"warmup_min_runs must be ≥ 0 (got {WarmupMinRuns})");
        if (WarmupMaxRuns < WarmupMinRuns) problems.Add($"warmup_max_runs must be ≥ warmup_min_runs (got {WarmupMaxRuns} < {WarmupMinRuns})");
        if (WarmupMinTime < TimeSpan.Zero) problems.Add("warmup_min_seconds must be ≥ 0");
        if (WarmupMaxTime < WarmupMinTime) problems.Add("warmup_max_seconds must be ≥ warmup_min_seconds");
        if (WarmupWindow < 1) problems.Add($"warmup_window must be ≥ 1 (got {WarmupWindow})");
        if (!(WarmupSettleTolerance > 0)) problems.Add($"warmup_settle must be > 0 (got {WarmupSettleTolerance})");
        if (MinRuns < 1) problems.Add($"min_runs must be ≥ 1 (got {MinRuns})");
        if (MaxRuns < MinRuns) problems.Add($"max_runs must be ≥ min_runs (got {MaxRuns} < {MinRuns})");
        if (MaxTime <= TimeSpan.Zero) problems.Add("max_seconds must be > 0");
        if (TargetRelativePrecision is { } target && !(target > 0 && target < 1))
        {
            problems.Add($"target_precision must be between 0 and 1 (got {target})");
        }
        return problems;
    }

    /// <exception cref="Core.InvalidInputException">Some setting is invalid; the message lists them all.</exception>
    public MeasurementProtocol Validated()
    {
        var problems = Problems();
        return problems.Count == 0 ? this : throw new Core.InvalidInputException($"Invalid measurement protocol: {string.Join("; ", problems)}.");
    }
}
