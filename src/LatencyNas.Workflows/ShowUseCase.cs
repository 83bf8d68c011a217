using LatencyNas.Core.Measurements;
using LatencyNas.Core.Spaces;
using LatencyNas.Profiling.Store;
using LatencyNas.Prediction;

namespace LatencyNas.Workflows;

/// <summary>An architecture's forms and analytic features, as <c>space describe</c> and <c>show</c> print them.</summary>
/// <param name="Index">The space's published index (NB201's topology index), where it has one.</param>
public sealed record ArchitectureDescription(
    string Space, string Arch, string Ops, int? Index, string Dataset, string Input, int Classes, long Params, long Macs,
    IReadOnlyDictionary<string, int> OpCounts, bool Disconnected, IReadOnlyDictionary<string, double> Extra)
{
    public static ArchitectureDescription Of(SearchSpace space, Architecture architecture, Dataset dataset)
    {
        var features = space.Features(architecture, dataset);
        return new ArchitectureDescription(space.Name, space.Format(architecture), architecture.Digits, space.IndexOf(architecture), dataset.Name, dataset.Input, dataset.Classes,
            features.Parameters, features.Macs, features.OpCounts.ToDictionary(), features.Disconnected, features.Extra.ToDictionary());
    }
}

/// <param name="Dataset">The dataset the features are computed for (null: the space's first).</param>
public sealed record ShowRequest(Architecture Architecture, SearchSpace Space, StoreLocation Store, Dataset? Dataset = null);

/// <summary>What the store knows of one architecture on one device.</summary>
/// <param name="MeasuredMs">The latency the predictors and analyses use (the mean over sessions of one protocol), if measured.</param>
/// <param name="Measurements">Successful measurements stored (one per session).</param>
/// <param name="Failures">Failed attempts stored, <paramref name="LastFailure"/> the latest one's reason.</param>
/// <param name="PredictedMs">The saved predictor's prediction, if the device has one for the space.</param>
/// <param name="Predictor">Which saved predictor made it (its family).</param>
public sealed record DeviceView(
    string Device, string Kind, double? MeasuredMs, int Measurements, int Failures, string? LastFailure, double? PredictedMs, string? Predictor);

public sealed record ObjectiveValue(string Name, double Value);

public sealed record ShowResult(string Store, ArchitectureDescription Architecture, IReadOnlyList<DeviceView> Devices, IReadOnlyList<ObjectiveValue> Objectives);

/// <summary>Everything the store knows of one architecture: its features, each device's measured and predicted latency, its objectives.</summary>
public sealed class ShowUseCase
{
    public ShowResult Run(ShowRequest request)
    {
        var space = request.Space;
        var architecture = request.Architecture;
        var description = ArchitectureDescription.Of(space, architecture, request.Dataset ?? space.Datasets[0]);
        using var store = request.Store.OpenExisting();
        var devices = new List<DeviceView>();
        foreach (var summary in store.Devices.List())
        {
            var device = summary.Device;
            var rows = store.Measurements.Read(device, space.Name, architecture.Digits);
            var failures = rows.Where(m => !m.Ok).ToList();
            (double? predicted, string? family) = (null, null);
            if (PredictorCatalog.TryLoad(request.Store, device.Name, space) is { } saved)
            {
                (predicted, family) = (saved.Predictor.Predict(architecture), saved.Predictor.Description);
            }
            devices.Add(new DeviceView(device.Name, device.Kind.ToString().ToLowerInvariant(), MeasuredMean(store, device, space, rows),
                rows.Count(m => m.Ok), failures.Count, failures.MaxBy(m => m.MeasuredAt)?.Failure, predicted, family));
        }
        var objectives = store.Objectives.List()
            .Select(o => (o.Name, Values: store.Objectives.GetOrEmpty(o.Name, space)))
            .Where(o => o.Values.ContainsKey(architecture.Digits))
            .Select(o => new ObjectiveValue(o.Name, o.Values[architecture.Digits]))
            .ToList();
        return new ShowResult(store.Location, description, devices, objectives);
    }

    /// <summary>The mean of the architecture's measurements (<paramref name="rows"/>) made with the protocol the device's latencies use.</summary>
    internal static double? MeasuredMean(ProfileStore store, StoredDevice device, SearchSpace space, IReadOnlyList<StoredMeasurement> rows)
    {
        string? protocol = StoredLatencies.ProtocolToUse(store, device, space, mixProtocols: false);
        var used = rows.Where(m => m.Ok && m.LatencyMs is not null && (protocol is null || (m.Protocol ?? MeasurementProtocols.Burst) == protocol)).ToList();
        return used.Count > 0 ? used.Average(m => m.LatencyMs!.Value) : null;
    }
}
