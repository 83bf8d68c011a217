using LatencyNas.Analysis.Search;
using LatencyNas.Core;
using LatencyNas.Core.Spaces;
using LatencyNas.Profiling.Store;
using LatencyNas.Torch.Networks;

namespace LatencyNas.Workflows;

/// <summary>
/// What a search can maximise: an objective in the store (e.g. an imported accuracy), the analytic
/// parameter or MAC count, or a training-free proxy computed on the real networks and cached in the store.
/// </summary>
public static class ObjectiveCatalog
{
    /// <summary>The objectives computed rather than read: params and macs (analytic), synflow and zico (zero-cost proxies).</summary>
    public static IReadOnlyList<string> Computed { get; } = ["params", "macs", .. ZeroCostProxies.Names];

    /// <summary>Checks a name before anything expensive happens.</summary>
    /// <exception cref="InvalidInputException">Neither computed nor in the store for the space; the message lists what there is.</exception>
    public static void Check(ProfileStore store, SearchSpace space, string name)
    {
        if (ZeroCostProxies.Names.Contains(name) && !NetworkFactory.Supports(space))
        {
            throw new InvalidInputException($"'{name}' is computed on the real networks, and no network builder exists for space {space.Name}.");
        }
        if (!Computed.Contains(name) && !store.Objectives.Has(name, space))
        {
            var known = Stored(store, space: null);
            throw new InvalidInputException(
                $"Unknown objective '{name}': not in {store.Location} for {space.Name}, and not one of {string.Join(", ", Computed)}." +
                (known.Count > 0 ? $" The store holds: {string.Join(", ", known)}." : " Import one with `latnas import --csv FILE --objectives COLUMN`."));
        }
    }

    /// <summary>The objectives imported into the store (for one space, or any), with how many architectures each has; not the cached zero-cost scores.</summary>
    public static IReadOnlyList<string> Stored(ProfileStore store, SearchSpace? space)
        => store.Objectives.List().Select(o => o.Name)
            .Where(n => !n.StartsWith(CachePrefix, StringComparison.Ordinal) && (space is null || store.Objectives.Has(n, space))).ToList();

    /// <summary>The objective by name; a zero-cost proxy reads and fills its cache in the store.</summary>
    public static IObjective Open(ProfileStore store, SearchSpace space, Dataset dataset, string name, int seed)
    {
        Check(store, space, name);
        if (name is "params" or "macs")
        {
            return ComputedObjective.Analytic(name, space, dataset);
        }
        if (ZeroCostProxies.Names.Contains(name))
        {
            string cacheName = $"{CachePrefix}{name}:{dataset.Name}:{dataset.Height}:seed{seed}";
            var cached = store.Objectives.GetOrEmpty(cacheName, space);
            return new ComputedObjective(name, architectures =>
            {
                var missing = architectures.Where(a => !cached.ContainsKey(a.Digits)).ToList();
                var computed = missing.Select(a => (a, ZeroCostProxies.Compute(name, space, a, dataset, seed))).ToList();
                if (computed.Count > 0)
                {
                    store.Objectives.Save(cacheName, space, dataset, computed, "latnas zerocost");
                }
                var values = computed.ToDictionary(p => p.a.Digits, p => p.Item2);
                return architectures.Select(a => cached.TryGetValue(a.Digits, out double v) ? v : values[a.Digits]).ToArray();
            });
        }
        return new TableObjective(name, store.Objectives.Get(name, space));
    }

    /// <summary>
    /// The members of <paramref name="among"/> that have the objective — all of them for a computed
    /// one, those it was imported for otherwise — with their values.
    /// </summary>
    public static (IReadOnlyList<Architecture> Architectures, double[] Values) ValuesAmong(
        ProfileStore store, SearchSpace space, Dataset dataset, string name, int seed, IEnumerable<Architecture> among)
    {
        Check(store, space, name);
        if (Computed.Contains(name))
        {
            var all = among.ToList();
            return (all, Open(store, space, dataset, name, seed).Evaluate(all));
        }
        var stored = store.Objectives.Get(name, space);
        var having = among.Where(a => stored.ContainsKey(a.Digits)).ToList();
        return (having, having.Select(a => stored[a.Digits]).ToArray());
    }

    private const string CachePrefix = "zerocost:";
}
