using LatencyNas.Core.Spaces.Nb201;
using LatencyNas.Prediction;
using LatencyNas.Profiling.Import;
using LatencyNas.Profiling.Store;
using LatencyNas.Tests;

namespace LatencyNas.Analysis.Tests;

/// <summary>Every device column of the shared HELP and EAGLE tables and the benchmark accuracies, imported once into a real SQLite store.</summary>
public sealed class SharedStore : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("latnas-analysis-").FullName;
    private readonly Dictionary<string, LatencyData> _cache = [];

    public SharedStore()
    {
        Store = ProfileStore.Open(Path.Combine(_directory, "latnas.db"));
        LatencyTableImporter.Import(Store, new LatencyTableImport { CsvPath = SharedData.File("nb201_help_latency_ms.csv"), Space = Nb201Space.Instance });
        LatencyTableImporter.Import(Store, new LatencyTableImport
        {
            CsvPath = SharedData.File("nb201_eagle_i7_7820x_latency_ms.csv"),
            Space = Nb201Space.Instance,
            Columns = ["desktop_cpu_i7_7820x_fp32"],
        });
        LatencyTableImporter.Import(Store, new LatencyTableImport
        {
            CsvPath = SharedData.File("nb201_accuracy.csv"),
            Space = Nb201Space.Instance,
            Columns = ["cifar10_test_acc"],
            AsObjectives = true,
        });
    }

    public ProfileStore Store { get; }

    public LatencyData Device(string name)
    {
        lock (_cache)
        {
            if (!_cache.TryGetValue(name, out var data))
            {
                data = LatencyData.FromStore(Store, name, Nb201Space.Instance);
                _cache[name] = data;
            }
            return data;
        }
    }

    public IReadOnlyDictionary<string, double> Accuracy => Store.Objective("cifar10_test_acc", Nb201Space.Instance);

    public void Dispose()
    {
        Store.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}

[CollectionDefinition(Name)]
public sealed class SharedStoreCollection : ICollectionFixture<SharedStore>
{
    public const string Name = "shared store";
}
