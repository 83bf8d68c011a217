using LatencyNas.Profiling.Timing;

namespace LatencyNas.Profiling.Tests.Timing;

/// <summary>
/// A machine in virtual time for protocol tests: architecture i takes a fixed time per run, slowed by
/// seeded one-sided noise (|normal| × <see cref="Jitter"/>: interrupts and cache misses only ever add
/// time), plus, during bursts of contention, a seeded 30–100% more.
/// Bursts last longer than one visit and cover a set share of the time. Runs and pauses advance the
/// clock. The extra time of a run in a burst is time the measuring thread waited for a CPU, and its
/// meter says so (or nothing, when blind); a round's window reports the share bursts covered as other work's.
/// </summary>
internal sealed class SyntheticMachine : IContentionMeter
{
    private readonly IReadOnlyList<double> _baseMs;
    private readonly List<(double Start, double End, double Extra)> _bursts = [];
    private readonly List<double> _starts = [];
    private readonly Random _noise;
    private readonly bool _blind;
    private double _windowStart;
    private double _waitedMs;

    /// <param name="busyShare">Share of the time covered by bursts (0 for a quiet machine, 1 for one that never rests).</param>
    /// <param name="blind">The meter knows nothing (like a machine without /proc/stat).</param>
    public SyntheticMachine(IReadOnlyList<double> baseMs, double busyShare, int seed, bool blind = false, double jitter = 0.003)
    {
        _baseMs = baseMs;
        _noise = new Random(seed);
        _blind = blind;
        Jitter = jitter;
        var random = new Random(seed + 1);
        double t = 0, horizon = 3_600_000; // an hour of virtual time
        while (t < horizon && busyShare > 0)
        {
            double length = 200 + random.NextDouble() * 1_800;                // 0.2–2 s: longer than a visit
            double gap = busyShare >= 1 ? 0 : length * (1 - busyShare) / busyShare * (0.5 + random.NextDouble());
            _bursts.Add((t + gap, t + gap + length, 0.3 + 0.7 * random.NextDouble())); // adds 30–100%
            _starts.Add(t + gap);
            t += gap + length;
        }
    }

    public double Jitter { get; }

    public double NowMs { get; private set; }

    public int Runs { get; private set; }

    public Func<double> Architecture(int index) => () =>
    {
        double normal = Math.Sqrt(-2 * Math.Log(1 - _noise.NextDouble())) * Math.Cos(2 * Math.PI * _noise.NextDouble());
        double undisturbed = _baseMs[index] * (1 + Jitter * Math.Abs(normal));
        double duration = undisturbed * (1 + ExtraAt(NowMs));
        NowMs += duration;
        _waitedMs += duration - undisturbed;
        Runs++;
        return duration;
    };

    public void Pause(TimeSpan pause) => NowMs += pause.TotalMilliseconds;

    public InterleavedEngine Engine() => new(this, Pause);

    public void Start() => _windowStart = NowMs;

    public ContentionWindow Stop()
    {
        if (_blind || NowMs <= _windowStart)
        {
            return ContentionWindow.Unknown;
        }
        double covered = _bursts.Where(b => b.End > _windowStart && b.Start < NowMs).Sum(b => Math.Min(b.End, NowMs) - Math.Max(b.Start, _windowStart));
        return new ContentionWindow(covered / (NowMs - _windowStart), 0);
    }

    public ThreadSchedule? ReadThread()
        => _blind ? null : new ThreadSchedule((long)((NowMs - _waitedMs) * 1e6), (long)(_waitedMs * 1e6));

    private double ExtraAt(double t)
    {
        int index = _starts.BinarySearch(t);
        index = index >= 0 ? index : ~index - 1; // the last burst starting at or before t
        return index >= 0 && t < _bursts[index].End ? _bursts[index].Extra : 0;
    }
}
