using LatencyNas.Core;
using LatencyNas.Core.Spaces;
using LatencyNas.Core.Spaces.Fbnet;
using LatencyNas.Core.Spaces.Nb201;
using LatencyNas.Prediction;
using LatencyNas.Profiling.Store;

namespace LatencyNas.Workflows;

/// <summary>
/// A store filled from the published measurements so that the workbench answers every question at once: the HELP latency
/// tables of NAS-Bench-201 (27 devices × 15,625) and FBNet (27 devices × 5,000), NAS-Bench-201's CIFAR-10 accuracy, and
/// predictors for the devices each space's comparison opens with (<see cref="OpeningComparison"/>).
/// </summary>
/// <param name="DataDirectory">The folder holding <see cref="DemoStoreUseCase.Tables"/> (the repository's <c>../shared/data</c>).</param>
public sealed record DemoStoreRequest(string DataDirectory, StoreLocation Store);

/// <param name="Imported">What was imported now (a table already in the store is not imported again).</param>
/// <param name="Trained">The predictors trained now, as space/device.</param>
public sealed record DemoStoreResult(string Store, IReadOnlyList<string> Imported, IReadOnlyList<string> Trained);

/// <summary>Fills a store from the published tables, each step only once: a second run finds everything in place and does nothing.</summary>
public sealed class DemoStoreUseCase
{
    /// <summary>The published tables the demo needs, by file name.</summary>
    public static IReadOnlyList<string> Tables { get; } = ["nb201_help_latency_ms.csv", "nb201_accuracy.csv", "fbnet_help_latency_ms.csv"];

    /// <summary>The objective the demo's fronts and searches maximise on NAS-Bench-201.</summary>
    public const string Objective = "cifar10_test_acc";

    /// <exception cref="InvalidInputException">A table missing from <see cref="DemoStoreRequest.DataDirectory"/>, or one that cannot be read.</exception>
    public DemoStoreResult Run(DemoStoreRequest request, IProgress<string>? steps = null)
    {
        var missing = Tables.Where(t => !File.Exists(Path.Combine(request.DataDirectory, t))).ToList();
        if (missing.Count > 0)
        {
            throw new InvalidInputException(
                $"The published tables are not in '{request.DataDirectory}' (missing {string.Join(", ", missing)}); give the folder that holds them with --data.");
        }
        string Table(string name) => Path.Combine(request.DataDirectory, name);
        var imported = new List<string>();
        var import = new ImportUseCase();
        foreach (var (space, file, dataset) in new[] { (Nb201Space.Instance as SearchSpace, Tables[0], Dataset.Cifar10), (FbnetSpace.Instance, Tables[2], Dataset.Cifar100) })
        {
            if (!MeasuredOn(request.Store, space))
            {
                steps?.Report($"importing {file}");
                import.Run(new ImportRequest(Table(file), space, dataset, request.Store, ArchitectureColumn: space is FbnetSpace ? "ops" : "arch"));
                imported.Add(file);
            }
        }
        if (!new ObjectivesListUseCase().Run(new ObjectivesListRequest(Nb201Space.Instance, request.Store)).Stored.Contains(Objective))
        {
            steps?.Report($"importing {Tables[1]} ({Objective})");
            import.Run(new ImportRequest(Table(Tables[1]), Nb201Space.Instance, Dataset.Cifar10, request.Store, Objectives: [Objective]));
            imported.Add(Tables[1]);
        }

        var saved = PredictorCatalog.List(request.Store).Select(p => $"{p.Space}/{p.Device}").ToHashSet(StringComparer.Ordinal);
        var trained = new List<string>();
        foreach (var space in new SearchSpace[] { Nb201Space.Instance, FbnetSpace.Instance })
        {
            IReadOnlyList<string> opening;
            using (var store = request.Store.OpenExisting())
            {
                opening = OpeningComparison.Devices(store, space);
            }
            foreach (string device in opening.Where(d => !saved.Contains($"{space.Name}/{d}")))
            {
                steps?.Report($"training the predictor of {device} on {space.Name}");
                new TrainUseCase().Run(new TrainRequest(device, space, request.Store, PredictorModel.Auto));
                trained.Add($"{space.Name}/{device}");
            }
        }
        return new DemoStoreResult(request.Store.Location, imported, trained);
    }

    private static bool MeasuredOn(StoreLocation location, SearchSpace space)
    {
        if (!location.IsServer && !File.Exists(location.Path))
        {
            return false;
        }
        using var store = location.OpenOrCreate();
        return store.Devices.List().Any(d => store.Measurements.Protocols(d.Device, space).Count > 0);
    }
}

/// <summary>
/// The devices a comparison opens with when none are named: the first <see cref="Count"/> devices, in the order the store
/// lists them, with at least <see cref="MinimumMeasured"/> measurements on the space (one store holds several spaces, and
/// not every device is measured on each). Fewer than two: nothing to compare.
/// </summary>
public static class OpeningComparison
{
    public const int Count = 8;

    public const int MinimumMeasured = 3;

    /// <param name="listed">The store's devices and their measurement counts in its order, when the caller holds them (counting them costs a query over every measurement).</param>
    public static IReadOnlyList<string> Devices(ProfileStore store, SearchSpace space, IReadOnlyList<(string Name, int Measured)>? listed = null)
        => (listed ?? store.Devices.List().Select(d => (d.Device.Name, d.Measured)).ToList())
            .Where(d => d.Measured >= MinimumMeasured)
            .Where(d => store.Measurements.Protocols(store.Devices.Get(d.Name), space).Values.Sum() >= MinimumMeasured)
            .Select(d => d.Name).Take(Count).ToList();
}
