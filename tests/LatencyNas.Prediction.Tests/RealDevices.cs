using LatencyNas.Core.Spaces.Nb201;
using LatencyNas.Prediction;
using LatencyNas.Profiling.Import;
using LatencyNas.Profiling.Store;
using LatencyNas.Tests;

namespace LatencyNas.Prediction.Tests;

/// <summary>
/// The HELP and EAGLE latency tables imported once into a real SQLite store shared by the tests
/// of this assembly (import is what users do; the store is then only read).
/// </summary>
public sealed class RealDevices : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("latnas-real-").FullName;

    public RealDevices()
    {
        StorePath = Path.Combine(_directory, "profiles", "latnas.db");
        Store = ProfileStore.Open(StorePath);
        LatencyTableImporter.Import(Store, new LatencyTableImport
        {
            CsvPath = SharedData.File("nb201_help_latency_ms.csv"),
            Space = Nb201Space.Instance,
            Columns = ["pixel3", "gold_6226", "raspi4", "eyeriss", "fpga", "titan_rtx_1"],
        });
    }

    public string StorePath { get; }

    public ProfileStore Store { get; }

    public LatencyData Device(string name) => LatencyData.FromStore(Store, name, Nb201Space.Instance);

    public void Dispose()
    {
        Store.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}

[CollectionDefinition(Name)]
public sealed class RealDevicesCollection : ICollectionFixture<RealDevices>
{
    public const string Name = "real devices";
}
