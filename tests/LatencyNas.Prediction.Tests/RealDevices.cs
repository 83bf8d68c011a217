using LatencyNas.Core.Spaces;
using LatencyNas.Core.Spaces.Nb201;
using LatencyNas.Core.Tables;
using LatencyNas.Tests;

namespace LatencyNas.Prediction.Tests;

/// <summary>Device columns of the real HELP latency table, read once and shared by the tests of this assembly.</summary>
public sealed class RealDevices
{
    private readonly ArchitectureTable _table = ArchitectureTable.Read(SharedData.File("nb201_help_latency_ms.csv"), Nb201Space.Instance,
        new ArchitectureTableOptions { Columns = ["pixel3", "gold_6226", "raspi4", "eyeriss", "fpga", "titan_rtx_1"] });

    public LatencyData Device(string name) => LatencyData.FromDigits(name, Nb201Space.Instance, Dataset.Cifar10, _table.ValuesByDigits(name));
}

[CollectionDefinition(Name)]
public sealed class RealDevicesCollection : ICollectionFixture<RealDevices>
{
    public const string Name = "real devices";
}
