using System.Globalization;
using System.Text;
using LatencyNas.Core;
using LatencyNas.Core.IO;
using LatencyNas.Core.Spaces;
using LatencyNas.Core.Tables;
using LatencyNas.Profiling.Store;

namespace LatencyNas.Workflows;

public sealed record DevicesListRequest(StoreLocation Store);

/// <summary>A device in the store, with its setting (fingerprint) or source and its counts.</summary>
/// <param name="Sessions">Measurement sessions its measurements belong to (a retest is a second session).</param>
/// <param name="LastMeasuredAt">When its newest measurement was stored; null when it has none.</param>
public sealed record DeviceRow(
    string Name, string Kind, int Measured, int Failed, string? Runtime, string? Provider, int? Threads, string? Optimization, int? Batch,
    string Dataset, string Input, string? Cpu, int? Cores, string? Source, int Sessions, string? LastMeasuredAt);

public sealed record DevicesListResult(string Store, IReadOnlyList<DeviceRow> Devices);

/// <summary>The devices in the store: live, remote and imported, with how many measurements each holds.</summary>
public sealed class DevicesListUseCase
{
    public DevicesListResult Run(DevicesListRequest request)
    {
        using var store = request.Store.OpenExisting();
        return new DevicesListResult(store.Location, store.Devices.List().Select(s =>
        {
            var device = s.Device;
            var f = device.Fingerprint;
            return new DeviceRow(device.Name, device.Kind.ToString().ToLowerInvariant(), s.Measured, s.Failed, f?.Runtime, f?.Provider, f?.Threads,
                f?.Optimization, f?.BatchSize, device.InputDataset.Name, device.InputDataset.Input, f?.CpuModel, f?.Cores, device.Source, s.Sessions, s.LastMeasuredAt);
        }).ToList());
    }
}

public sealed record ObjectivesListRequest(SearchSpace Space, StoreLocation Store);

/// <param name="Stored">Objectives imported into the store for the space (higher is better).</param>
/// <param name="Computed">Objectives computed for any architecture (params, macs, and the zero-cost scores where the space's networks can be built).</param>
public sealed record ObjectivesListResult(string Store, string Space, IReadOnlyList<string> Stored, IReadOnlyList<string> Computed);

/// <summary>The objectives a front or a search can use on a space.</summary>
public sealed class ObjectivesListUseCase
{
    public ObjectivesListResult Run(ObjectivesListRequest request)
    {
        using var store = request.Store.OpenExisting();
        var computed = ObjectiveCatalog.Computed.Where(name => name is "params" or "macs" || Torch.Networks.NetworkFactory.Supports(request.Space)).ToList();
        return new ObjectivesListResult(store.Location, request.Space.Name, ObjectiveCatalog.Stored(store, request.Space), computed);
    }
}

/// <param name="Space">Only this space's architectures (null: all).</param>
/// <param name="Visits">Also write every visit of the interleaved measurements here (in the same format), so each estimate can be recomputed.</param>
public sealed record ProfilesExportRequest(string Device, string Out, StoreLocation Store, SearchSpace? Space = null, string? Visits = null, ExportFormat Format = ExportFormat.Csv);

public sealed record ProfilesExportResult(string Device, string Out, int Measurements, int Failed, string? VisitsOut = null, int Visits = 0);

/// <summary>Writes a device's measurements (every statistic, and failures with their reasons) as CSV or Parquet, whole or not at all.</summary>
public sealed class ProfilesExportUseCase
{
    private static readonly ExportTable<StoredMeasurement> Measurements = new(
        ExportColumn<StoredMeasurement>.Text("space", m => m.Space),
        ExportColumn<StoredMeasurement>.Text("arch", m => m.Arch),
        ExportColumn<StoredMeasurement>.Text("ops", m => m.Digits),
        ExportColumn<StoredMeasurement>.Integer("index", IndexOf),
        ExportColumn<StoredMeasurement>.Integer("session", m => m.Session),
        ExportColumn<StoredMeasurement>.Text("status", m => m.Ok ? "ok" : "failed"),
        ExportColumn<StoredMeasurement>.Real("latency_ms", m => m.LatencyMs),
        ExportColumn<StoredMeasurement>.Text("protocol", m => m.Protocol),
        ExportColumn<StoredMeasurement>.Text("estimator", m => m.Estimator),
        ExportColumn<StoredMeasurement>.Integer("visits", m => m.Visits),
        ExportColumn<StoredMeasurement>.Integer("contended_visits", m => m.ContendedVisits),
        ExportColumn<StoredMeasurement>.Real("other_busy", m => m.OtherBusy),
        ExportColumn<StoredMeasurement>.Real("median_ms", m => m.MedianMs),
        ExportColumn<StoredMeasurement>.Real("mean_ms", m => m.MeanMs),
        ExportColumn<StoredMeasurement>.Real("min_ms", m => m.MinMs),
        ExportColumn<StoredMeasurement>.Real("p10_ms", m => m.P10Ms),
        ExportColumn<StoredMeasurement>.Real("p90_ms", m => m.P90Ms),
        ExportColumn<StoredMeasurement>.Real("iqr_ms", m => m.IqrMs),
        ExportColumn<StoredMeasurement>.Real("cv", m => m.Cv),
        ExportColumn<StoredMeasurement>.Integer("runs", m => m.Runs),
        ExportColumn<StoredMeasurement>.Flag("precision_met", m => m.PrecisionMet),
        ExportColumn<StoredMeasurement>.Real("ci_half_width", m => m.CiHalfWidthRelative),
        ExportColumn<StoredMeasurement>.Integer("warmup_runs", m => m.WarmupRuns),
        ExportColumn<StoredMeasurement>.Flag("warmup_settled", m => m.WarmupSettled),
        ExportColumn<StoredMeasurement>.Real("session_ms", m => m.SessionMs),
        ExportColumn<StoredMeasurement>.Text("failure", m => m.Failure),
        ExportColumn<StoredMeasurement>.Text("agent", m => m.Agent),
        ExportColumn<StoredMeasurement>.Text("measured_at", m => m.MeasuredAt.ToString("O", CultureInfo.InvariantCulture)),
        ExportColumn<StoredMeasurement>.Real("raw_latency_ms", m => m.RawLatencyMs),
        ExportColumn<StoredMeasurement>.Real("drift", m => m.Drift),
        ExportColumn<StoredMeasurement>.Real("reference_spread", m => m.ReferenceSpread),
        ExportColumn<StoredMeasurement>.Text("batch_id", m => m.BatchId));

    private static readonly ExportTable<(StoredVisit Visit, int Number)> Visits = new(
        ExportColumn<(StoredVisit Visit, int Number)>.Text("ops", v => v.Visit.Digits),
        ExportColumn<(StoredVisit Visit, int Number)>.Integer("session", v => v.Visit.Session),
        ExportColumn<(StoredVisit Visit, int Number)>.Integer("visit", v => v.Number),
        ExportColumn<(StoredVisit Visit, int Number)>.Integer("round", v => v.Visit.Visit.Round),
        ExportColumn<(StoredVisit Visit, int Number)>.Real("latency_ms", v => v.Visit.Visit.LatencyMs),
        ExportColumn<(StoredVisit Visit, int Number)>.Integer("runs", v => v.Visit.Visit.Runs),
        ExportColumn<(StoredVisit Visit, int Number)>.Real("other_busy", v => v.Visit.Visit.OtherBusy),
        ExportColumn<(StoredVisit Visit, int Number)>.Real("steal", v => v.Visit.Visit.Steal),
        ExportColumn<(StoredVisit Visit, int Number)>.Real("waiting", v => v.Visit.Visit.Waiting),
        ExportColumn<(StoredVisit Visit, int Number)>.Integer("instance", v => v.Visit.Visit.Instance));

    /// <summary>The measurements' columns, in order (the CSV header).</summary>
    public static string Header => Measurements.Header;

    public static string VisitsHeader => Visits.Header;

    public ProfilesExportResult Run(ProfilesExportRequest request)
    {
        using var store = request.Store.OpenExisting();
        var device = store.Devices.Get(request.Device);
        var measurements = store.Measurements.Read(device, request.Space?.Name);
        if (request.Visits is not { } visitsPath)
        {
            Measurements.Write(request.Out, measurements, request.Format);
            return new ProfilesExportResult(device.Name, request.Out, measurements.Count, measurements.Count(m => !m.Ok));
        }
        if (Path.GetFullPath(visitsPath) == Path.GetFullPath(request.Out))
        {
            throw new InvalidInputException($"--out and --visits both name '{request.Out}'; the measurements and their visits are two tables: give two files.");
        }
        // Numbered from 1 within each measurement, in visit order.
        var visits = store.Measurements.ReadVisits(device, request.Space?.Name)
            .GroupBy(v => (v.Digits, v.Session))
            .SelectMany(group => group.Select((v, i) => (v, i + 1)))
            .ToList();
        // Both or neither: a visits file that cannot be written leaves no measurements file behind.
        AtomicFile.WriteTogether([(request.Out, Measurements.Writer(measurements, request.Format)), (visitsPath, Visits.Writer(visits, request.Format))]);
        return new ProfilesExportResult(device.Name, request.Out, measurements.Count, measurements.Count(m => !m.Ok), visitsPath, visits.Count);
    }

    private static int? IndexOf(StoredMeasurement measurement)
    {
        var space = SearchSpaces.Get(measurement.Space);
        return space.IndexOf(space.FromDigits(measurement.Digits));
    }
}

/// <param name="From">The store to copy (it must exist).</param>
/// <param name="To">The store to copy into (created when missing).</param>
public sealed record StoreCopyRequest(StoreLocation From, StoreLocation To);

public sealed record StoreCopyResult(string From, string To, int Devices, int Measurements, int AlreadyThere, int Visits, int Objectives, int Queued);

/// <summary>Copies one store into another (SQLite ⇄ PostgreSQL), a device per transaction: run it again after a stop and it goes on.</summary>
public sealed class StoreCopyUseCase
{
    public StoreCopyResult Run(StoreCopyRequest request, IProgress<string>? progress = null)
    {
        using var from = request.From.OpenExisting();
        using var to = request.To.OpenOrCreate();
        var summary = StoreCopy.Run(from, to, progress);
        return new StoreCopyResult(from.Location, to.Location, summary.Devices, summary.Measurements, summary.AlreadyThere, summary.Visits, summary.Objectives, summary.Queued);
    }
}
