using LatencyNas.Core.Spaces;
using LatencyNas.Core.Spaces.Fbnet;
using LatencyNas.Core.Spaces.Nb201;
using LatencyNas.Prediction;
using LatencyNas.Tests;
using LatencyNas.Workflows;

namespace LatencyNas.Web.Tests;

/// <summary>
/// A real SQLite store filled from the shared data through the import use case (five HELP devices on NAS-Bench-201
/// and on FBNet, and the benchmark's CIFAR-10 accuracy), an additive predictor for pixel3 and a tree predictor for
/// raspi4 on NAS-Bench-201 and an additive one for pixel3 on FBNet; the workbench serving it in memory for the API tests
/// (<see cref="Factory"/>), and on a free loopback port for the browser, which cannot reach an in-memory server.
/// </summary>
public sealed class RunningWorkbench : IAsyncLifetime
{
    public static readonly string[] Devices = ["pixel3", "raspi4", "eyeriss", "fpga", "gold_6226"];

    private readonly TempDirectory _directory = new();
    private ServedWorkbench? _served;

    public RunningWorkbench()
    {
        Store = new StoreLocation(_directory.File("profiles/latnas.db"));
        var import = new ImportUseCase();
        import.Run(new ImportRequest(SharedData.File("nb201_help_latency_ms.csv"), Nb201Space.Instance, Dataset.Cifar10, Store, Columns: Devices));
        import.Run(new ImportRequest(SharedData.File("nb201_accuracy.csv"), Nb201Space.Instance, Dataset.Cifar10, Store, Objectives: ["cifar10_test_acc"]));
        // The same devices on FBNet (HELP's 5,000-architecture sample), one store holding both spaces.
        import.Run(new ImportRequest(SharedData.File("fbnet_help_latency_ms.csv"), FbnetSpace.Instance, Dataset.Cifar100, Store, ArchitectureColumn: "ops", Columns: Devices));
        // Saved predictors, one of each kind, for Explain.
        new TrainUseCase().Run(new TrainRequest("pixel3", Nb201Space.Instance, Store, PredictorModel.Additive));
        new TrainUseCase().Run(new TrainRequest("raspi4", Nb201Space.Instance, Store, PredictorModel.LightGbm, TrainSize: 500));
        new TrainUseCase().Run(new TrainRequest("pixel3", FbnetSpace.Instance, Store, PredictorModel.Additive));
        Factory = new WorkbenchFactory(Store);
    }

    public StoreLocation Store { get; }

    /// <summary>The workbench over <see cref="Store"/> in memory (built on the first client it gives).</summary>
    public WorkbenchFactory Factory { get; }

    /// <summary>Where the workbench listens, e.g. http://127.0.0.1:41234.</summary>
    public Uri Address => _served!.Address;

    public async Task InitializeAsync() => _served = await ServedWorkbench.StartAsync(Store);

    public async Task DisposeAsync()
    {
        await Factory.DisposeAsync();
        if (_served is not null)
        {
            await _served.DisposeAsync();
        }
        _directory.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class RunningWorkbenchCollection : ICollectionFixture<RunningWorkbench>
{
    public const string Name = "running workbench";
}
