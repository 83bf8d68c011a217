using System.Globalization;
using System.Text;
using LatencyNas.Core.IO;
using LatencyNas.Core.Spaces;
using LatencyNas.Core.Tables;
using LatencyNas.Profiling.Store;

namespace LatencyNas.Workflows;

public sealed record DevicesListRequest(StoreLocation Store);

/// <summary>A device in the store, with its setting (fingerprint) or source and its counts.</summary>
public sealed record DeviceRow(
    string Name, string Kind, int Measured, int Failed, string? Runtime, string? Provider, int? Threads, string? Optimization, int? Batch,
    string Dataset, string Input, string? Cpu, int? Cores, string? Source);

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
                f?.Optimization, f?.BatchSize, device.InputDataset.Name, device.InputDataset.Input, f?.CpuModel, f?.Cores, device.Source);
        }).ToList());
    }
}

/// <param name="Space">Only this space's architectures (null: all).</param>
/// <param name="Visits">Also write every visit of the interleaved measurements here (a CSV), so each estimate can be recomputed.</param>
public sealed record ProfilesExportRequest(string Device, string Out, StoreLocation Store, SearchSpace? Space = null, string? Visits = null);

public sealed record ProfilesExportResult(string Device, string Out, int Measurements, int Failed, string? VisitsOut = null, int Visits = 0);

/// <summary>Writes a device's measurements (every statistic, and failures with their reasons) as CSV, whole or not at all.</summary>
public sealed class ProfilesExportUseCase
{
    public const string Header = "space,arch,ops,index,session,status,latency_ms,protocol,estimator,visits,contended_visits,other_busy,median_ms,mean_ms,min_ms,p10_ms,p90_ms," +
                                 "iqr_ms,cv,runs,precision_met,ci_half_width,warmup_runs,warmup_settled,session_ms,failure,agent,measured_at,raw_latency_ms,drift";

    public const string VisitsHeader = "ops,session,visit,round,latency_ms,runs,other_busy,steal,waiting";

    public ProfilesExportResult Run(ProfilesExportRequest request)
    {
        using var store = request.Store.OpenExisting();
        var device = store.Devices.Get(request.Device);
        var measurements = store.Measurements.Read(device, request.Space?.Name);
        var csv = new StringBuilder(Header).Append('\n');
        foreach (var m in measurements)
        {
            csv.AppendJoin(',',
                m.Space, CsvTable.Escape(m.Arch), m.Digits, Text(IndexOf(m)), Text(m.Session), m.Ok ? "ok" : "failed",
                Text(m.LatencyMs), m.Protocol ?? "", m.Estimator ?? "", Text(m.Visits), Text(m.ContendedVisits), Text(m.OtherBusy),
                Text(m.MedianMs), Text(m.MeanMs), Text(m.MinMs), Text(m.P10Ms), Text(m.P90Ms), Text(m.IqrMs), Text(m.Cv), Text(m.Runs),
                Text(m.PrecisionMet), Text(m.CiHalfWidthRelative), Text(m.WarmupRuns), Text(m.WarmupSettled), Text(m.SessionMs),
                CsvTable.Escape(m.Failure ?? ""), CsvTable.Escape(m.Agent ?? ""), m.MeasuredAt.ToString("O", CultureInfo.InvariantCulture),
                Text(m.RawLatencyMs), Text(m.Drift)).Append('\n');
        }
        AtomicFile.WriteAllText(request.Out, csv.ToString());
        if (request.Visits is not { } visitsPath)
        {
            return new ProfilesExportResult(device.Name, request.Out, measurements.Count, measurements.Count(m => !m.Ok));
        }
        var visits = store.Measurements.ReadVisits(device, request.Space?.Name);
        var lines = new StringBuilder(VisitsHeader).Append('\n');
        foreach (var group in visits.GroupBy(v => (v.Digits, v.Session)))
        {
            int number = 0;
            foreach (var v in group)
            {
                lines.AppendJoin(',', v.Digits, Text(v.Session), Text(++number), Text(v.Visit.Round), Text(v.Visit.LatencyMs), Text(v.Visit.Runs),
                    Text(v.Visit.OtherBusy), Text(v.Visit.Steal), Text(v.Visit.Waiting)).Append('\n');
            }
        }
        AtomicFile.WriteAllText(visitsPath, lines.ToString());
        return new ProfilesExportResult(device.Name, request.Out, measurements.Count, measurements.Count(m => !m.Ok), visitsPath, visits.Count);
    }

    private static int? IndexOf(StoredMeasurement measurement)
    {
        var space = SearchSpaces.Get(measurement.Space);
        return space.IndexOf(space.FromDigits(measurement.Digits));
    }

    private static string Text(double? value) => value?.ToString("G9", CultureInfo.InvariantCulture) ?? "";

    private static string Text(int? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "";

    private static string Text(bool? value) => value is null ? "" : value.Value ? "true" : "false";
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
