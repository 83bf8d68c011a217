using LatencyNas.Core;
using LatencyNas.Core.Spaces;
using LatencyNas.Profiling.Store;

namespace LatencyNas.Prediction;

/// <summary>Measured latencies of one device over architectures of one space, in a stable order.</summary>
public sealed record LatencyData(string Device, SearchSpace Space, Dataset Dataset, IReadOnlyList<Architecture> Architectures, IReadOnlyList<double> LatenciesMs)
{
    public int Count => Architectures.Count;

    /// <summary>Every successfully measured architecture of <paramref name="space"/> on a stored device.</summary>
    /// <exception cref="ProfileStoreException">No such device.</exception>
    public static LatencyData FromStore(ProfileStore store, string deviceName, SearchSpace space)
    {
        var device = store.GetDevice(deviceName);
        var latencies = store.Latencies(device, space);
        var ordered = latencies.OrderBy(p => p.Key, StringComparer.Ordinal).ToList();
        return new LatencyData(
            device.Name, space, DatasetOf(device),
            ordered.Select(p => space.FromDigits(p.Key)).ToArray(),
            ordered.Select(p => p.Value).ToArray());
    }

    /// <summary>The dataset (and input resolution) a stored device was measured for.</summary>
    public static Dataset DatasetOf(StoredDevice device)
    {
        var dataset = device.Dataset is { } name ? Dataset.Parse(name) : Dataset.Cifar10;
        return device.Resolution is { } resolution && resolution != dataset.Resolution ? dataset with { Resolution = resolution } : dataset;
    }

    /// <summary>
    /// <paramref name="trainSize"/> architectures drawn at random (seeded) for training, the rest for testing.
    /// </summary>
    /// <exception cref="InvalidInputException">Too few measurements to leave anything to test on.</exception>
    public (LatencyData Train, LatencyData Test) Split(int trainSize, int seed)
    {
        if (trainSize < 2)
        {
            throw new InvalidInputException($"At least 2 architectures are needed to train or adapt on (got {trainSize}).");
        }
        if (trainSize >= Count)
        {
            throw new InvalidInputException(
                $"Device '{Device}' has {Count} measured {Space.Name} architectures; setting {trainSize} of them apart leaves none to test on. Profile more, or ask for fewer.");
        }
        var order = Enumerable.Range(0, Count).ToArray();
        new Random(seed).Shuffle(order);
        var train = order.Take(trainSize).Order().ToArray();
        var test = order.Skip(trainSize).Order().ToArray();
        return (Subset(train), Subset(test));
    }

    public LatencyData Subset(IReadOnlyList<int> indices)
        => this with { Architectures = indices.Select(i => Architectures[i]).ToArray(), LatenciesMs = indices.Select(i => LatenciesMs[i]).ToArray() };

    /// <summary>Only the architectures both devices measured, in the same order for both.</summary>
    public static (LatencyData First, LatencyData Second) Intersect(LatencyData first, LatencyData second)
    {
        var index = second.Architectures.Select((a, i) => (a, i)).ToDictionary(p => p.a, p => p.i);
        var firstIndices = new List<int>();
        var secondIndices = new List<int>();
        for (int i = 0; i < first.Count; i++)
        {
            if (index.TryGetValue(first.Architectures[i], out int j))
            {
                firstIndices.Add(i);
                secondIndices.Add(j);
            }
        }
        return (first.Subset(firstIndices), second.Subset(secondIndices));
    }
}
