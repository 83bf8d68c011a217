namespace LatencyNas.Profiling.Timing;

/// <summary>How the runs of the architectures in a batch are arranged in time.</summary>
public enum MeasurementMode
{
    /// <summary>
    /// Shuffled rounds over the whole batch, a few runs per visit; each architecture's latency is its
    /// fastest quiet visit (docs/measurement.md). Contention comes in bursts and only ever adds time,
    /// so spreading the runs and estimating from the fast end recovers the device's own latency.
    /// </summary>
    Interleaved,

    /// <summary>One architecture at a time: warm up until the run times settle, then one block of runs; their median.</summary>
    Burst,
}

/// <summary>
/// How architectures are timed. The default, <see cref="MeasurementMode.Interleaved"/>, visits every
/// architecture of a batch many times in shuffled rounds; <see cref="MeasurementMode.Burst"/> (the
/// protocol before schema 4) times each in one block, after BenchmarkDotNet's engine: warm up until
/// the run times settle, then time runs until the 95% confidence interval of the median is narrow
/// enough or a cap is reached. The defaults suit NB201 networks on a CPU (0.3–7 ms a run).
/// </summary>
public sealed record MeasurementProtocol
{
    /// <summary>Interleaved visits or one burst per architecture. Default interleaved.</summary>
    public MeasurementMode Mode { get; init; } = MeasurementMode.Interleaved;

    /// <summary>Interleaved: architectures measured together (fewer when fewer are left). Default 80: a round then lasts long enough that an architecture's visits sample different moments.</summary>
    public int ArchitecturesPerBatch { get; init; } = 80;

    /// <summary>
    /// Interleaved: reference architectures measured in every batch beside its own (the same ones for a
    /// device and space, drawn with a fixed seed). The first batch that measures them on a device stores their
    /// latencies as the device's reference; every later batch's estimates are divided by how much slower
    /// than that its references ran (the median ratio), which takes out a change of the whole machine between
    /// batches and sessions. Default 8 (four left a batch's correction off by up to 6% under a bursty load); 0 turns
    /// the correction off (docs/measurement.md).
    /// </summary>
    public int ReferenceArchitectures { get; init; } = 8;

    /// <summary>Interleaved: untimed runs of each architecture before the first round. Default 3.</summary>
    public int WarmupRunsPerArchitecture { get; init; } = 3;

    /// <summary>
    /// Interleaved: runs per visit. With more than one, the first is not kept (the other architectures have just evicted this
    /// one from the caches) and the visit is the fastest of the others. Default 1: the visit is its one run, caches and all.
    /// An estimate is the fastest of its quiet visits, and what makes it reproduce is how many separate moments it samples,
    /// not how warm each one is: replayed from the same recorded visits of two retests, the fastest of 50 single runs re-measured
    /// as many architectures within ±5% as the fastest of 50 visits of two runs (92% and 99.5% against 93.5% and 98%) at half the
    /// runs. It reads higher where the caches matter: 1.7–2.1% at the median, about 12% for networks under 2.5 ms, so the store
    /// names the estimate differently (<c>fastest-cold-visit</c>) and a device is not measured both ways (docs/measurement.md).
    /// </summary>
    public int RunsPerVisit { get; init; } = 1;

    /// <summary>
    /// Interleaved: sessions created for each architecture, each on memory of its own; an architecture's visits go to them in turn
    /// (round r, from 1, to session (r − 1) mod n), and its estimate is the median of the sessions' fastest quiet visits. Default 3: where a session's
    /// memory lands moves its fastest visit by several percent on some machines, and a visit estimate cannot average that out of one
    /// session; two sessions of the same architecture measured side by side agreed within ±5% for only 55–98% of 60 NB201 networks, and
    /// with a perfect correction of the whole machine's drift, the median of three sessions of 17–20 visits re-measured 97% within ±5%
    /// against 54–59% for one session of 50–60 visits, at the same number of runs (docs/measurement.md).
    /// </summary>
    public int InstancesPerArchitecture { get; init; } = 3;

    /// <summary>The runs of a visit that count: all of one, all but the first of more.</summary>
    public int KeptRunsPerVisit => RunsPerVisit == 1 ? 1 : RunsPerVisit - 1;

    /// <summary>The name of the estimate this protocol stores; a device's measurements of one protocol share it.</summary>
    public string Estimator => Mode == MeasurementMode.Burst ? Core.Measurements.LatencyStatistics.MedianOfRuns
        : Core.Measurements.LatencyStatistics.OfInstances(InstancesPerArchitecture,
            RunsPerVisit == 1 ? Core.Measurements.LatencyStatistics.FastestColdVisit : Core.Measurements.LatencyStatistics.FastestVisit);

    /// <summary>Sessions this protocol measures each architecture on: <see cref="InstancesPerArchitecture"/> interleaved, one in a burst.</summary>
    public int Instances => Mode == MeasurementMode.Interleaved ? InstancesPerArchitecture : 1;

    /// <summary>
    /// Interleaved: quiet visits before an architecture may stop because its estimate is precise; fewer never claim precision.
    /// Default 30, ten on each of three instances. With one session per architecture, more visits made every recorded retest
    /// reproduce better (50 from 2026-12-04); with three, replaying five retests of 50–60 visits from their first 30 rounds
    /// re-measured within 3 points as many architectures within ±5% as all of them did, at 40% fewer runs (docs/measurement.md).
    /// </summary>
    public int MinRounds { get; init; } = 30;

    /// <summary>Interleaved: rounds at most for an architecture with enough quiet visits. Default 36, twelve per instance.</summary>
    public int MaxRounds { get; init; } = 36;

    /// <summary>Interleaved: further rounds, at most, for an architecture short of quiet visits (re-measuring contended ones). Default 12.</summary>
    public int ExtraRounds { get; init; } = 12;

    /// <summary>Interleaved: quiet visits an estimate needs; with fewer after every round, the architecture fails as "too busy to measure". Default 10.</summary>
    public int MinQuietVisits { get; init; } = 10;

    /// <summary>
    /// Interleaved: a visit is contended when, during its runs, the measuring thread spent more than this share
    /// of the time it was ready to run waiting for a CPU. Default 0.1: alone on its core it waits under 1%;
    /// sharing the core with one busy process, 25–40%. Work on another core does not count: it does not slow the runs.
    /// </summary>
    public double ContendedAbove { get; init; } = 0.1;

    /// <summary>
    /// Interleaved: in a batch whose first round took less than this, every round is followed by a pause for the rest,
    /// so that even a small batch's visits sample moments spread over seconds: this machine's slow spells last that long.
    /// A batch whose first round took longer never pauses, not even when few of its architectures are left.
    /// Default 0.05 s (0.1 s until 2026-12-05): on a fast host a round over 75 NB201 networks on one thread takes about 60 ms,
    /// and 0.1 s spent 40% of its measuring time pausing.
    /// </summary>
    public TimeSpan MinRoundTime { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Interleaved: the rounds run on the CPUs the process may use in turn, <see cref="Instances"/> rounds on each (<see cref="ThreadPinning"/>;
    /// Linux), so every instance of every architecture is timed on each CPU and the fast end of its visits is the faster CPU's. Default true: on a two-core VM
    /// the CPUs ran NB201 networks 16–31% apart, each network by its own amount, which one was faster changed within the hour,
    /// and a thread left where the scheduler put it measured whole batches about 1.2× slower than others (docs/measurement.md).
    /// </summary>
    public bool RotateCpus { get; init; } = true;

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
    /// Stop once the 95% interval of the estimate has a half-width of at most this fraction of it
    /// (interleaved: the retest interval of the visits; burst: the confidence interval of the median of
    /// the runs). Default 0.10: on the development machine, of the architectures stored as precise at
    /// 10%, 89–98% re-measured within ±10% a minute later; at 5% only 72–82% did (docs/measurement.md).
    /// <c>null</c> runs every round (burst: exactly <see cref="MaxRuns"/> within <see cref="MaxTime"/>).
    /// </summary>
    public double? TargetRelativePrecision { get; init; } = 0.10;

    public static MeasurementProtocol Default { get; } = new();

    /// <summary>The burst protocol as it was before schema 4: one block per architecture, 2% on the median of its runs.</summary>
    public static MeasurementProtocol Burst { get; } = new() { Mode = MeasurementMode.Burst, TargetRelativePrecision = 0.02 };

    /// <summary>The common fixed recipe to compare against: 3 s of warm-up, then exactly 50 timed runs.</summary>
    public static MeasurementProtocol Fixed3sWarmup50Runs { get; } = new()
    {
        Mode = MeasurementMode.Burst,
        WarmupMinRuns = 1,
        WarmupMinTime = TimeSpan.FromSeconds(3),
        WarmupMaxTime = TimeSpan.FromSeconds(3),
        WarmupMaxRuns = int.MaxValue,
        MinRuns = 50,
        MaxRuns = 50,
        MaxTime = TimeSpan.FromHours(1),
        TargetRelativePrecision = null,
    };

    /// <summary>The most runs of one model this protocol may make, warm-up included: what an agent's <c>--max-runs</c> bounds.</summary>
    public long RunsPerModel() => Mode == MeasurementMode.Burst
        ? (long)WarmupMaxRuns + MaxRuns
        : WarmupRunsPerArchitecture + (long)(MaxRounds + ExtraRounds) * RunsPerVisit;

    /// <summary>How <see cref="RunsPerModel"/> is made of the settings, with their values, as a device descriptor names them.</summary>
    public string RunsPerModelTerms() => Mode == MeasurementMode.Burst
        ? $"warmup_max_runs {WarmupMaxRuns:N0} + max_runs {MaxRuns:N0}"
        : $"warmup_runs_per_architecture {WarmupRunsPerArchitecture} + (max_rounds {MaxRounds} + extra_rounds {ExtraRounds}) × runs_per_visit {RunsPerVisit}";

    /// <summary>The longest this protocol may ask to spend on one model: what an agent's <c>--max-seconds</c> bounds.</summary>
    public TimeSpan TimePerModel() => Mode == MeasurementMode.Burst ? WarmupMaxTime + MaxTime : MinRoundTime * (MaxRounds + ExtraRounds);

    /// <summary>How <see cref="TimePerModel"/> is made of the settings, with their values, as a device descriptor names them.</summary>
    public string TimePerModelTerms() => Mode == MeasurementMode.Burst
        ? $"warmup_max_seconds {WarmupMaxTime.TotalSeconds:0.###} + max_seconds {MaxTime.TotalSeconds:0.###}"
        : $"min_round_seconds {MinRoundTime.TotalSeconds:0.###} × (max_rounds {MaxRounds} + extra_rounds {ExtraRounds})";

    /// <summary>The settings a device descriptor names otherwise than the agent contract's JSON (<c>max_seconds</c>, sent as <c>max_time</c>).</summary>
    private static readonly Dictionary<string, string> JsonNames = new(StringComparer.Ordinal)
    {
        ["warmup_min_seconds"] = "warmup_min_time",
        ["warmup_max_seconds"] = "warmup_max_time",
        ["warmup_settle"] = "warmup_settle_tolerance",
        ["max_seconds"] = "max_time",
        ["min_round_seconds"] = "min_round_time",
        ["target_precision"] = "target_relative_precision",
    };

    /// <summary>Every invalid setting, each described in a short phrase; empty when valid.</summary>
    /// <param name="asJson">Name the settings as the agent contract's JSON does (<c>max_time</c>), not as a device descriptor (<c>max_seconds</c>).</param>
    public IReadOnlyList<string> Problems(bool asJson = false)
    {
        var problems = new List<string>();
        if (WarmupMinRuns < 0) problems.Add($"warmup_min_runs must be ≥ 0 (got {WarmupMinRuns})");
        if (WarmupMaxRuns < WarmupMinRuns) problems.Add($"warmup_max_runs must be ≥ warmup_min_runs (got {WarmupMaxRuns} < {WarmupMinRuns})");
        if (WarmupMinTime < TimeSpan.Zero) problems.Add($"warmup_min_seconds must be ≥ 0 (got {WarmupMinTime.TotalSeconds:0.###} s)");
        if (WarmupMaxTime < WarmupMinTime) problems.Add($"warmup_max_seconds must be ≥ warmup_min_seconds (got {WarmupMaxTime.TotalSeconds:0.###} s < {WarmupMinTime.TotalSeconds:0.###} s)");
        if (WarmupWindow < 1) problems.Add($"warmup_window must be ≥ 1 (got {WarmupWindow})");
        if (!(WarmupSettleTolerance > 0)) problems.Add($"warmup_settle must be > 0 (got {WarmupSettleTolerance})");
        if (MinRuns < 1) problems.Add($"min_runs must be ≥ 1 (got {MinRuns})");
        if (MaxRuns < MinRuns) problems.Add($"max_runs must be ≥ min_runs (got {MaxRuns} < {MinRuns})");
        if (MaxTime <= TimeSpan.Zero) problems.Add($"max_seconds must be > 0 (got {MaxTime.TotalSeconds:0.###} s)");
        if (ArchitecturesPerBatch < 1) problems.Add($"architectures_per_batch must be ≥ 1 (got {ArchitecturesPerBatch})");
        if (ReferenceArchitectures is < 0 or > 32) problems.Add($"reference_architectures must be between 0 and 32 (got {ReferenceArchitectures})");
        if (WarmupRunsPerArchitecture < 0) problems.Add($"warmup_runs_per_architecture must be ≥ 0 (got {WarmupRunsPerArchitecture})");
        if (RunsPerVisit < 1) problems.Add($"runs_per_visit must be ≥ 1 (got {RunsPerVisit})");
        if (InstancesPerArchitecture is < 1 or > 8) problems.Add($"instances_per_architecture must be between 1 and 8 (got {InstancesPerArchitecture})");
        if (MinRounds < 2) problems.Add($"min_rounds must be ≥ 2 (got {MinRounds})");
        if (MaxRounds < MinRounds) problems.Add($"max_rounds must be ≥ min_rounds (got {MaxRounds} < {MinRounds})");
        if (ExtraRounds < 0) problems.Add($"extra_rounds must be ≥ 0 (got {ExtraRounds})");
        if (MinQuietVisits < 2 || MinQuietVisits > MaxRounds) problems.Add($"min_quiet_visits must be between 2 and max_rounds (got {MinQuietVisits})");
        if (!(ContendedAbove > 0 && ContendedAbove <= 1)) problems.Add($"contended_above must be in (0, 1] (got {ContendedAbove})");
        if (MinRoundTime < TimeSpan.Zero || MinRoundTime > TimeSpan.FromMinutes(10)) problems.Add($"min_round_seconds must be between 0 and 600 (got {MinRoundTime.TotalSeconds:0.###} s)");
        if (TargetRelativePrecision is { } target && !(target > 0 && target < 1))
        {
            problems.Add($"target_precision must be between 0 and 1 (got {target})");
        }
        return asJson
            ? problems.Select(p => System.Text.RegularExpressions.Regex.Replace(p, @"\b[a-z_]+\b", m => JsonNames.GetValueOrDefault(m.Value, m.Value))).ToList()
            : problems;
    }

    /// <exception cref="Core.InvalidInputException">Some setting is invalid; the message lists them all.</exception>
    public MeasurementProtocol Validated()
    {
        var problems = Problems();
        return problems.Count == 0 ? this : throw new Core.InvalidInputException($"Invalid measurement protocol: {string.Join("; ", problems)}.");
    }
}
