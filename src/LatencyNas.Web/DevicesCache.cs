using LatencyNas.Core;
using LatencyNas.Profiling.Store;
using LatencyNas.Workflows;

namespace LatencyNas.Web;

/// <summary>
/// The store's devices with their counts (<see cref="DevicesListUseCase"/>), read again only when the store has changed since:
/// counting every measurement costs 40–100 ms on a large store, and the page asks on opening, every few seconds after, and
/// before each cached monotonicity answer. The store is watched on a connection of its own (<see cref="ProfileStore.DataVersion"/>);
/// where it cannot be watched (PostgreSQL), every call reads again. Calls at the same moment share one reading.
/// </summary>
internal sealed class DevicesCache(StoreLocation store) : IDisposable
{
    private readonly Lock _gate = new();
    private ProfileStore? _watch;
    private (long Version, DevicesListResult Devices)? _kept;

    /// <exception cref="LatencyNasException">The store cannot be read.</exception>
    public DevicesListResult List()
    {
        lock (_gate)
        {
            _watch ??= store.OpenExisting();
            long? version = _watch.DataVersion(); // read before the devices: a commit while they are read makes the next call read again
            if (version is { } now && _kept is { } kept && kept.Version == now)
            {
                return kept.Devices;
            }
            var devices = new DevicesListUseCase().Run(new DevicesListRequest(store));
            _kept = version is { } read ? (read, devices) : null;
            return devices;
        }
    }

    /// <summary>The store's data version (it changes with every commit by another connection); null where it cannot be watched.</summary>
    /// <exception cref="LatencyNasException">The store cannot be read.</exception>
    public long? DataVersion()
    {
        lock (_gate)
        {
            _watch ??= store.OpenExisting();
            return _watch.DataVersion();
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _watch?.Dispose();
            _watch = null;
        }
    }
}
