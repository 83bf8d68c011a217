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
/// <param name="DataDirectory">The folder holding <see cref="DemoStoreUseCase.Tables"/> (null: <see cref="DemoStoreUseCase.DefaultDataDirectory"/>).</param>
public sealed record DemoStoreRequest(string? DataDirectory, StoreLocation Store);

/// <param name="Imported">What was imported now (a table already in the store is not imported again).</param>
/// <param name="Trained">The predictors trained now, as space/device.</param>
public sealed record DemoStoreResult(string Store, IReadOnlyList<string> Imported, IReadOnlyList<string> Trained);

/// <summary>Fills a store from the published tables, each step only once: a second run finds everything in place and does nothing.</summary>
public sealed class DemoStoreUseCase
{
    /// <summary>The published tables the demo needs, by file name.</summary>
    public static IReadOnlyList<string> Tables { get; } = ["nb201_help_latency_ms.csv", "nb201_accuracy.csv", "fbnet_help_latency_ms.csv"];

    /// <summary>The store the demo fills when none is named, apart from the one <c>profile</c> writes.</summary>
    public static readonly string DefaultStore = Path.Combine("profiles", "demo.db");

    /// <summary>The objective the demo's fronts and searches maximise on NAS-Bench-201.</summary>
    public const string Objective = "cifar10_test_acc";

    /// <summary>Where the published tables are looked for when no folder is named: beside the repository, as the tests read them.</summary>
    public const string DataVariable = "LATNAS_SHARED_DATA";

    /// <summary><see cref="DataVariable"/> when set, else <c>../shared/data</c>.</summary>
    public static string DefaultDataDirectory()
        => Environment.GetEnvironmentVariable(DataVariable) is { Length: > 0 } shared ? shared : Path.Combine("..", "shared", "data");

    /// <exception cref="InvalidInputException">A table missing from the data folder, or one that cannot be read.</exception>
    /// <exception cref="OperationCanceledException">Cancelled between two steps (what was done stays done).</exception>
    public DemoStoreResult Run(DemoStoreRequest request, IProgress<string>? steps = null, CancellationToken cancellation = default)
    {
        string data = request.DataDirectory ?? DefaultDataDirectory();
        var missing = Tables.Where(t => !File.Exists(Path.Combine(data, t))).ToList();
        if (missing.Count > 0)
        {
            throw new InvalidInputException(
                $"The published tables are not in '{data}' (missing {string.Join(", ", missing)}); name the folder that holds them.");
        }
        string Table(string name) => Path.Combine(data, name);
        var imported = new List<string>();
        var import = new ImportUseCase();
        foreach (var (space, file, dataset) in new[] { (Nb201Space.Instance as SearchSpace, Tables[0], Dataset.Cifar10), (FbnetSpace.Instance, Tables[2], Dataset.Cifar100) })
        {
            cancellation.ThrowIfCancellationRequested();
            if (!Holds(request.Store, space, Table(file)))
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
                cancellation.ThrowIfCancellationRequested();
                steps?.Report($"training the predictor of {device} on {space.Name}");
                new TrainUseCase().Run(new TrainRequest(device, space, request.Store, PredictorModel.Auto));
                trained.Add($"{space.Name}/{device}");
            }
        }
        return new DemoStoreResult(request.Store.Location, imported, trained);
    }

    /// <summary>Whether every device column of the table is a device measured on the space in the store (a store that holds other devices still gets the table).</summary>
    private static bool Holds(StoreLocation location, SearchSpace space, string table)
    {
        if (!location.IsServer && !File.Exists(location.Path))
        {
            return false;
        }
        string[] columns = (File.ReadLines(table).FirstOrDefault() ?? "").Split(',');
        using var store = location.OpenOrCreate();
        var measured = store.Devices.List().Where(d => store.Measurements.Protocols(d.Device, space).Count > 0).Select(d => d.Device.Name).ToHashSet(StringComparer.Ordinal);
        return columns.Where(c => c is not ("index" or "id" or "arch" or "ops")).All(measured.Contains);
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
