using LatencyNas.Core;
using LatencyNas.Core.Spaces;

namespace LatencyNas.Analysis.Search;

/// <summary>What a search maximises (accuracy, or a training-free proxy of it). Evaluates many architectures per call.</summary>
public interface IObjective
{
    string Name { get; }

    double[] Evaluate(IReadOnlyList<Architecture> architectures);
}

/// <summary>An objective from a table (e.g. the benchmark's test accuracy), by architecture digits.</summary>
public sealed class TableObjective(string name, IReadOnlyDictionary<string, double> values) : IObjective
{
    public string Name { get; } = name;

    public IReadOnlyDictionary<string, double> Values { get; } = values;

    /// <exception cref="InvalidInputException">The table has no value for an architecture.</exception>
    public double[] Evaluate(IReadOnlyList<Architecture> architectures)
        => architectures.Select(a => Values.TryGetValue(a.Digits, out double value)
            ? value
            : throw new InvalidInputException($"Objective '{Name}' has no value for {a.Digits}.")).ToArray();
}

/// <summary>An objective computed by a function, with a cache so no architecture is computed twice.</summary>
public sealed class ComputedObjective(string name, Func<IReadOnlyList<Architecture>, double[]> compute) : IObjective
{
    private readonly Dictionary<Architecture, double> _cache = [];
    private readonly Lock _lock = new();

    public string Name { get; } = name;

    public double[] Evaluate(IReadOnlyList<Architecture> architectures)
    {
        lock (_lock)
        {
            var missing = architectures.Where(a => !_cache.ContainsKey(a)).Distinct().ToList();
            if (missing.Count > 0)
            {
                double[] values = compute(missing);
                for (int i = 0; i < missing.Count; i++)
                {
                    _cache[missing[i]] = values[i];
                }
            }
            return architectures.Select(a => _cache[a]).ToArray();
        }
    }

    /// <summary>Parameters or MACs from the space's analytic features: cheap accuracy proxies (bigger is usually more accurate).</summary>
    public static ComputedObjective Analytic(string name, SearchSpace space, Dataset dataset) => name switch
    {
        "params" => new(name, archs => archs.Select(a => (double)space.Features(a, dataset).Parameters).ToArray()),
        "macs" => new(name, archs => archs.Select(a => (double)space.Features(a, dataset).Macs).ToArray()),
        _ => throw new InvalidInputException($"'{name}' is not an analytic objective (params, macs)."),
    };
}
