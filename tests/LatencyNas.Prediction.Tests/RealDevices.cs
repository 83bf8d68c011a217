using LatencyNas.Core.Spaces;
using LatencyNas.Core.Spaces.Fbnet;
using LatencyNas.Core.Spaces.Nb201;
using LatencyNas.Core.Tables;
using LatencyNas.Tests;

namespace LatencyNas.Prediction.Tests;

/// <summary>Device columns of the real HELP latency tables (NB201 and FBNet), read once and shared by the tests of this assembly.</summary>
public sealed class RealDevices
{
    private readonly ArchitectureTable _table = ArchitectureTable.Read(SharedData.File("nb201_help_latency_ms.csv"), Nb201Space.Instance,
        new ArchitectureTableOptions { Columns = ["pixel3", "gold_6226", "raspi4", "eyeriss", "fpga", "titan_rtx_1"] });

    /// <summary>Read on first use, so the NB201 tests do not pay for it. HELP's FBNet sample was measured for CIFAR-100.</summary>
    private readonly Lazy<ArchitectureTable> _fbnet = new(() => ArchitectureTable.Read(SharedData.File("fbnet_help_latency_ms.csv"), FbnetSpace.Instance,
        new ArchitectureTableOptions { ArchitectureColumn = "ops", Columns = ["raspi4", "gold_6226", "silver_4114"] }));

    public LatencyData Device(string name) => LatencyData.FromDigits(name, Nb201Space.Instance, Dataset.Cifar10, _table.ValuesByDigits(name));

    public LatencyData FbnetDevice(string name) => LatencyData.FromDigits(name, FbnetSpace.Instance, Dataset.Cifar100, _fbnet.Value.ValuesByDigits(name));
}

[CollectionDefinition(Name)]
public sealed class RealDevicesCollection : ICollectionFixture<RealDevices>
{
    public const string Name = "real devices";
}
