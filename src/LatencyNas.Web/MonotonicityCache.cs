using System.Collections.Concurrent;
using LatencyNas.Core;
using LatencyNas.Core.Spaces;
using LatencyNas.Workflows;

namespace LatencyNas.Web;

/// <summary>
/// The monotonicity matrices the page asked for, one per question, each valid while the store's measurement counts stay as
/// they were (a running profile adds some). Requests for a matrix being computed wait for it instead of computing it again.
/// </summary>
internal sealed class MonotonicityCache(StoreLocation store, DevicesCache devices)
{
    private readonly KeptAnswers<MonotonicityResult> _matrices = new();
    private readonly ConcurrentDictionary<string, (string Counts, IReadOnlyList<string> Names)> _openings = new();

    /// <exception cref="InvalidInputException">A device or space the store lacks.</exception>
    public MonotonicityResult Get(MonotonicityRequest request) => Get(request, Counts(ListDevices()));

    /// <summary>The matrix of the comparison the page opens with (<see cref="DefaultComparison"/>); null when there is none.</summary>
    /// <exception cref="InvalidInputException">A space the store lacks.</exception>
    public MonotonicityResult? GetDefault(SearchSpace space, int? count)
    {
        var listed = ListDevices();
        string counts = Counts(listed);
        var names = DefaultComparison(space, listed, counts);
        return names.Count < 2 ? null : Get(new MonotonicityRequest(names, space, store, Count: count), counts);
    }

    /// <summary>The store's measurement counts per device: a cached answer stands while they stay as they were.</summary>
    private static string Counts(IReadOnlyList<DeviceRow> devices) => string.Join(',', devices.Select(d => $"{d.Name}={d.Measured}"));

    private IReadOnlyList<DeviceRow> ListDevices() => devices.List().Devices;

    private MonotonicityResult Get(MonotonicityRequest request, string counts)
        => _matrices.Get($"{string.Join(',', request.Devices)}|{request.Space.Name}|{request.Count}", counts, () => new MonotonicityUseCase().Run(request));

    /// <summary>
    /// The devices the page opens comparing on <paramref name="space"/> (<see cref="OpeningComparison"/>); fewer than two when
    /// there is nothing to compare. Kept while the store's counts stay as they were: <see cref="WarmDefault"/> answers the
    /// default space's question before the server listens.
    /// </summary>
    private IReadOnlyList<string> DefaultComparison(SearchSpace space, IReadOnlyList<DeviceRow> listed, string counts)
    {
        if (_openings.TryGetValue(space.Name, out var kept) && kept.Counts == counts)
        {
            return kept.Names;
        }
        using var opened = store.OpenExisting();
        var names = OpeningComparison.Devices(opened, space, listed.Select(d => (d.Name, d.Measured)).ToList());
        _openings[space.Name] = (counts, names);
        return names;
    }

    /// <summary>Computes the matrix the page opens with; a store that cannot answer it is left for the page to report.</summary>
    public void WarmDefault()
    {
        try
        {
            GetDefault(SearchSpaces.Default, count: null);
        }
        catch (LatencyNasException)
        {
        }
    }
}
