using System.Collections.Concurrent;
using LatencyNas.Core;
using LatencyNas.Core.Spaces;
using LatencyNas.Workflows;

namespace LatencyNas.Web;

/// <summary>
/// The monotonicity matrices the page asked for, one per question, each valid while the store's measurement counts stay as
/// they were (a running profile adds some). Requests for a matrix being computed wait for it instead of computing it again.
/// </summary>
internal sealed class MonotonicityCache(StoreLocation store)
{
    /// <summary>
    /// The page opens comparing the first this many devices with at least <see cref="MinimumMeasured"/> measurements, in the
    /// order <c>/api/devices</c> lists them (app.js, <c>loadDevices</c>): the question <see cref="WarmDefault"/> answers ahead.
    /// </summary>
    public const int DefaultDevices = 8;

    public const int MinimumMeasured = 3;

    private readonly ConcurrentDictionary<string, (string Counts, Lazy<MonotonicityResult> Result)> _entries = new();

    /// <exception cref="InvalidInputException">A device or space the store lacks.</exception>
    public MonotonicityResult Get(MonotonicityRequest request)
    {
        string question = $"{string.Join(',', request.Devices)}|{request.Space.Name}|{request.Count}";
        string counts = string.Join(',', new DevicesListUseCase().Run(new DevicesListRequest(store)).Devices.Select(d => $"{d.Name}={d.Measured}"));
        (string, Lazy<MonotonicityResult>) Fresh() => (counts, new Lazy<MonotonicityResult>(() => new MonotonicityUseCase().Run(request)));
        var entry = _entries.AddOrUpdate(question, _ => Fresh(), (_, old) => old.Counts == counts ? old : Fresh());
        try
        {
            return entry.Result.Value;
        }
        catch
        {
            _entries.TryRemove(new KeyValuePair<string, (string, Lazy<MonotonicityResult>)>(question, entry)); // a failure is not kept
            throw;
        }
    }

    /// <summary>Computes the matrix the page opens with; a store that cannot answer it is left for the page to report.</summary>
    public void WarmDefault()
    {
        try
        {
            var names = new DevicesListUseCase().Run(new DevicesListRequest(store)).Devices
                .Where(d => d.Measured >= MinimumMeasured).Select(d => d.Name).Take(DefaultDevices).ToList();
            if (names.Count >= 2)
            {
                Get(new MonotonicityRequest(names, SearchSpaces.Default, store));
            }
        }
        catch (LatencyNasException)
        {
        }
    }
}
