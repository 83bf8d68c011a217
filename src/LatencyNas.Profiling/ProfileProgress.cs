using LatencyNas.Core.Spaces;

namespace LatencyNas.Profiling;

/// <summary>Where a profile run stands, reported after every architecture.</summary>
public sealed record ProfileProgress(int Done, int Total, int Failed, TimeSpan Elapsed, Architecture? Last, double? LastLatencyMs)
{
    public double RatePerSecond => Elapsed.TotalSeconds > 0 ? Done / Elapsed.TotalSeconds : 0;

    public TimeSpan? Remaining => Done > 0 ? TimeSpan.FromSeconds((Total - Done) / RatePerSecond) : null;
}

/// <summary>One architecture that could not be measured, and why.</summary>
public sealed record ProfileFailure(Architecture Architecture, string Reason);

/// <summary>What a profile run did.</summary>
/// <param name="Requested">Architectures asked for.</param>
/// <param name="AlreadyStored">Of those, already settled in the store for this session (skipped).</param>
/// <param name="Measured">Measured and committed by this run.</param>
/// <param name="Failures">Recorded as failed by this run.</param>
/// <param name="StopReason">Why the run stopped early (breaker open, cancelled), or null when it finished.</param>
/// <param name="EarlierFailures">Asked for, recorded as failed by an earlier run, and neither measured since nor given up.</param>
/// <param name="GivenUp">Recorded failures this run gave up on (<see cref="ProfileOptions.GiveUpFailed"/>).</param>
/// <param name="LeftToOthers">Pending when the run started, then claimed or measured by another profile of the same device.</param>
/// <param name="PrecisionMet">Of the measured, those whose interval was within the precision asked for.</param>
/// <param name="Visits">Interleaved: visits made to the measured architectures.</param>
/// <param name="ContendedVisits">Of those, made while other work kept the machine busy.</param>
/// <param name="Batches">The batches this run stored, in the order they were stored.</param>
/// <param name="Measuring">
/// How long batches were being measured, added over the batches (with several agents at once, more than <paramref name="Elapsed"/>);
/// the rest of a local run's time went to building, exporting and loading models, and to storing.
/// </param>
public sealed record ProfileSummary(
    string Device,
    int Requested,
    int AlreadyStored,
    int Measured,
    IReadOnlyList<ProfileFailure> Failures,
    string? StopReason,
    TimeSpan Elapsed,
    double? MedianLatencyMs,
    int PrecisionMet = 0,
    int Visits = 0,
    int ContendedVisits = 0,
    IReadOnlyList<ProfileFailure>? EarlierFailures = null,
    int GivenUp = 0,
    int LeftToOthers = 0,
    IReadOnlyList<StoredBatch>? Batches = null,
    TimeSpan Measuring = default)
{
    /// <summary>Neither stored, measured, failed, nor left to another profile: for the next run.</summary>
    public int Remaining => Requested - AlreadyStored - Measured - Failures.Count - LeftToOthers;

    public bool Completed => StopReason is null;

    /// <summary>Finished, and every architecture asked for is measured (or its failure given up).</summary>
    public bool Succeeded => Completed && Failures.Count == 0 && (EarlierFailures?.Count ?? 0) == 0;
}

/// <summary>One batch as it was stored: the architectures measured in it, and the drift its references corrected it by.</summary>
/// <param name="Digits">The architectures stored with a measurement (failures left out).</param>
/// <param name="Drift">Null when the batch had no references to correct by, or stored them as the device's reference.</param>
/// <param name="StoredTheReference">Whether its references became the device's reference (its estimates then claim no precision).</param>
public sealed record StoredBatch(IReadOnlyList<string> Digits, Timing.ReferenceDrift? Drift, bool StoredTheReference = false);
