using LatencyNas.Core.Spaces;
using LatencyNas.Core.Spaces.Fbnet;
using LatencyNas.Core.Spaces.Nb201;
using LatencyNas.Core.Tables;
using LatencyNas.Prediction;
using LatencyNas.Tests;

namespace LatencyNas.Analysis.Tests;

/// <summary>Every device column of the real HELP (NB201 and FBNet) and EAGLE latency tables and the benchmark accuracies, read once for the tests of this assembly.</summary>
public sealed class RealTables
{
    private readonly ArchitectureTable _help = ArchitectureTable.Read(SharedData.File("nb201_help_latency_ms.csv"), Nb201Space.Instance);
    private readonly ArchitectureTable _eagle = ArchitectureTable.Read(SharedData.File("nb201_eagle_i7_7820x_latency_ms.csv"), Nb201Space.Instance,
        new ArchitectureTableOptions { Columns = ["desktop_cpu_i7_7820x_fp32"] });
    private readonly Dictionary<string, LatencyData> _cache = [];

    /// <summary>Read on first use, so the NB201 tests do not pay for it. HELP's FBNet sample was measured for CIFAR-100.</summary>
    private readonly Lazy<ArchitectureTable> _fbnet = new(() => ArchitectureTable.Read(SharedData.File("fbnet_help_latency_ms.csv"), FbnetSpace.Instance,
        new ArchitectureTableOptions { ArchitectureColumn = "ops" }));

    public RealTables()
    {
        Accuracy = ArchitectureTable.Read(SharedData.File("nb201_accuracy.csv"), Nb201Space.Instance,
            new ArchitectureTableOptions { Columns = ["cifar10_test_acc"], PositiveValues = false }).ValuesByDigits("cifar10_test_acc");
    }

    public IReadOnlyDictionary<string, double> Accuracy { get; }

    public LatencyData Device(string name)
    {
        lock (_cache)
        {
            if (!_cache.TryGetValue(name, out var data))
            {
                var table = _eagle.Columns.Any(c => c.Name == name) ? _eagle : _help;
                data = LatencyData.FromDigits(name, Nb201Space.Instance, Dataset.Cifar10, table.ValuesByDigits(name));
                _cache[name] = data;
            }
            return data;
        }
    }

    /// <summary>A device column of the HELP FBNet table (5,000 architectures).</summary>
    public LatencyData FbnetDevice(string name)
        => LatencyData.FromDigits(name, FbnetSpace.Instance, Dataset.Cifar100, _fbnet.Value.ValuesByDigits(name));
}

[CollectionDefinition(Name)]
public sealed class RealTablesCollection : ICollectionFixture<RealTables>
{
    public const string Name = "real tables";
}
