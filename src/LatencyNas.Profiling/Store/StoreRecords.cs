using LatencyNas.Profiling.Devices;

namespace LatencyNas.Profiling.Store;

/// <summary>How a device's measurements came into the store.</summary>
public enum DeviceKind
{
    /// <summary>Measured here by a local runner.</summary>
    Live,

    /// <summary>Measured through remote agents.</summary>
    Remote,

    /// <summary>Imported from a latency table (one column of a CSV).</summary>
    Table,
}

/// <summary>A device as the store knows it.</summary>
public sealed record StoredDevice(
    long Id,
    string Name,
    DeviceKind Kind,
    DeviceFingerprint? Fingerprint,
    string? Source,
    string? Dataset,
    int? Resolution,
    int? BatchSize,
    DateTimeOffset CreatedAt)
{
    /// <summary>
    /// What the device's measurements were made with, in one string: its fingerprint's hash when it
    /// was measured (locally or through an agent), else the table it was imported from.
    /// </summary>
    public string Setting => Fingerprint is { } fingerprint ? $"fingerprint {fingerprint.Hash}" : $"table {Source}";

    /// <summary>
    /// The task (at the input resolution) the device was measured for; CIFAR-10 when the store does not
    /// say. The store keeps the task's name and input height: a non-square task's name fixes its shape.
    /// </summary>
    public Core.Spaces.Dataset InputDataset
    {
        get
        {
            var dataset = Dataset is { } name ? Core.Spaces.Dataset.Parse(name) : Core.Spaces.Dataset.Cifar10;
            return Resolution is { } resolution ? dataset.AtResolution(resolution) : dataset;
        }
    }
}

/// <summary>A device with how much the store holds for it.</summary>
/// <param name="Sessions">Measurement sessions holding the device's measurements (a retest is a second session; none when unmeasured).</param>
/// <param name="LastMeasuredAt">When the newest measurement was stored (round-trip time text), null when none.</param>
public sealed record DeviceSummary(StoredDevice Device, int Measured, int Failed, int Sessions = 0, string? LastMeasuredAt = null);

/// <summary>One stored measurement (milliseconds). Imported tables carry only the latency.</summary>
public sealed record StoredMeasurement(
    string Space,
    string Digits,
    string Arch,
    int Session,
    bool Ok,
    double? MedianMs,
    double? MeanMs,
    double? MinMs,
    double? P10Ms,
    double? P90Ms,
    double? IqrMs,
    double? Cv,
    int? Runs,
    bool? PrecisionMet,
    double? SessionMs,
    string? Failure,
    string? Agent,
    DateTimeOffset MeasuredAt,
    double? CiHalfWidthRelative,
    int? WarmupRuns,
    bool? WarmupSettled)
{
    /// <summary>The estimate the analyses use (the median for the burst protocol and imported tables).</summary>
    public double? LatencyMs { get; init; }

    /// <summary>interleaved, burst or table (see <see cref="Core.Measurements.MeasurementProtocols"/>).</summary>
    public string? Protocol { get; init; }

    /// <summary>How <see cref="LatencyMs"/> was estimated.</summary>
    public string? Estimator { get; init; }

    public int? Visits { get; init; }

    public int? ContendedVisits { get; init; }

    public double? OtherBusy { get; init; }

    /// <summary>The estimate as measured, before the batch's drift correction (equal to <see cref="LatencyMs"/> when none was made).</summary>
    public double? RawLatencyMs { get; init; }

    /// <summary>How much slower than the device's reference the measurement's batch ran; <see cref="LatencyMs"/> is the raw estimate divided by it. Null: not corrected.</summary>
    public double? Drift { get; init; }

    /// <summary>How far the batch's reference architectures disagreed about <see cref="Drift"/> (largest ratio ÷ smallest − 1); above half the precision asked for, the batch's estimates claim none. Null: not corrected, or measured before schema 9.</summary>
    public double? ReferenceSpread { get; init; }

    /// <summary>The batch it was recorded with (from schema 11): its measurements share it, and <see cref="MeasurementRecords.BatchReferences"/> gives what the batch measured for the device's references. Null: recorded alone, or before schema 11.</summary>
    public string? BatchId { get; init; }
}
