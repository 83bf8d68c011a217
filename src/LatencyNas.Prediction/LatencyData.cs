using LatencyNas.Core;
using LatencyNas.Core.Spaces;

namespace LatencyNas.Prediction;

/// <summary>Measured latencies of one device over architectures of one space, in a stable order.</summary>
public sealed record LatencyData(string Device, SearchSpace Space, Dataset Dataset, IReadOnlyList<Architecture> Architectures, IReadOnlyList<double> LatenciesMs)
{
    public int Count => Architectures.Count;

    /// <summary>A device's latencies keyed by architecture digits (as a store or table holds them), in digit order.</summary>
    public static LatencyData FromDigits(string device, SearchSpace space, Dataset dataset, IReadOnlyDictionary<string, double> latencies)
    {
        var ordered = latencies.OrderBy(p => p.Key, StringComparer.Ordinal).ToList();
        return new LatencyData(device, space, dataset, ordered.Select(p => space.FromDigits(p.Key)).ToArray(), ordered.Select(p => p.Value).ToArray());
    }

    /// <summary>
    /// <paramref name="trainSize"/> architectures drawn at random (seeded) for training, the rest for testing.
    /// </summary>
    /// <exception cref="InvalidInputException">Too few measurements to leave anything to test on.</exception>
    public (LatencyData Train, LatencyData Test) Split(int trainSize, int seed)
    {
        RequireTestLeft(trainSize);
        var order = Enumerable.Range(0, Count).ToArray();
        new Random(seed).Shuffle(order);
        var train = order.Take(trainSize).Order().ToArray();
        var test = order.Skip(trainSize).Order().ToArray();
        return (Subset(train), Subset(test));
    }

    private void RequireTestLeft(int trainSize)
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
    }

    /// <summary>
    /// <paramref name="trainSize"/> architectures spread over a ranking: those with a key are ordered by it and cut
    /// into that many equal strata, and one is drawn at random (seeded) from each; the rest, and those without a key,
    /// are for testing.
    /// </summary>
    /// <exception cref="InvalidInputException">Fewer architectures with a key than strata, or nothing left to test on.</exception>
    public (LatencyData Train, LatencyData Test) SplitAcross(int trainSize, Func<Architecture, double?> key, int seed)
    {
        RequireTestLeft(trainSize);
        var ranked = Enumerable.Range(0, Count).Select(i => (Index: i, Key: key(Architectures[i]))).Where(p => p.Key is not null)
            .OrderBy(p => p.Key).ThenBy(p => p.Index).Select(p => p.Index).ToArray();
        if (ranked.Length < trainSize)
        {
            throw new InvalidInputException($"Only {ranked.Length} of device '{Device}''s architectures can be ranked; {trainSize} strata need as many.");
        }
        var random = new Random(seed);
        int StratumStart(int stratum) => (int)((long)stratum * ranked.Length / trainSize);
        var train = Enumerable.Range(0, trainSize)
            .Select(stratum => ranked[StratumStart(stratum) + random.Next(StratumStart(stratum + 1) - StratumStart(stratum))])
            .Order().ToArray();
        var drawn = train.ToHashSet();
        return (Subset(train), Subset(Enumerable.Range(0, Count).Where(i => !drawn.Contains(i)).ToArray()));
    }

    /// <summary>The architectures at <paramref name="train"/> for training, the rest for testing.</summary>
    public (LatencyData Train, LatencyData Test) SplitAt(IReadOnlyCollection<int> train)
    {
        RequireTestLeft(train.Count);
        var drawn = train.ToHashSet();
        return (Subset(drawn.Order().ToArray()), Subset(Enumerable.Range(0, Count).Where(i => !drawn.Contains(i)).ToArray()));
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
