using LatencyNas.Core.Spaces;
using LatencyNas.Core.Spaces.Nb201;
using LatencyNas.Tests;

namespace LatencyNas.Workflows.Tests;

/// <summary>
/// A real SQLite store filled the way a user fills one, through the import use case: five devices of
/// the real HELP table, the benchmark's CIFAR-10 accuracy, and "tiny", a device with 20 measurements.
/// Tests that train or save predictors work on their own copy (<see cref="Copy"/>).
/// </summary>
public sealed class RealStore : IDisposable
{
    private readonly TempDirectory _directory = new();

    public RealStore()
    {
        Location = new StoreLocation(_directory.File("profiles/latnas.db"));
        var import = new ImportUseCase();
        import.Run(new ImportRequest(SharedData.File("nb201_help_latency_ms.csv"), Space, Dataset.Cifar10, Location,
            Columns: ["pixel3", "raspi4", "eyeriss", "fpga", "gold_6226"]));
        import.Run(new ImportRequest(SharedData.File("nb201_accuracy.csv"), Space, Dataset.Cifar10, Location, Objectives: ["cifar10_test_acc"]));
        string tiny = _directory.File("tiny.csv");
        File.WriteAllLines(tiny, ["arch,tiny", .. Space.SampleDistinct(20, seed: 99).Select((a, i) => $"{a.Digits},{1 + 0.1 * i}")]);
        import.Run(new ImportRequest(tiny, Space, Dataset.Cifar10, Location));
        Help = SharedData.ReadCsv("nb201_help_latency_ms.csv").ToDictionary(r => r["ops"]);
        Accuracy = SharedData.ReadCsv("nb201_accuracy.csv").ToDictionary(r => r["ops"], r => SharedData.Number(r["cifar10_test_acc"]));
    }

    public static Nb201Space Space => Nb201Space.Instance;

    /// <summary>The store (read-only use: copy it to train or save).</summary>
    public StoreLocation Location { get; }

    /// <summary>The HELP table's rows by ops digits, read independently of the product.</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Help { get; }

    public IReadOnlyDictionary<string, double> Accuracy { get; }

    public double Latency(string device, string ops) => SharedData.Number(Help[ops][device]);

    /// <summary>A copy of the store in a folder of the test's own, so predictors it saves stay its own.</summary>
    public StoreLocation Copy(TempDirectory into)
    {
        var copy = new StoreLocation(into.File("profiles/latnas.db"));
        Directory.CreateDirectory(Path.GetDirectoryName(copy.Path)!);
        File.Copy(Location.Path, copy.Path);
        return copy;
    }

    public void Dispose() => _directory.Dispose();
}

[CollectionDefinition(Name)]
public sealed class RealStoreCollection : ICollectionFixture<RealStore>
{
    public const string Name = "real store";
}
