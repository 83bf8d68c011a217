using System.Globalization;

namespace LatencyNas.Profiling.Timing;

/// <summary>How busy the rest of the machine was during one window of a measurement.</summary>
/// <param name="OtherBusy">Share of the CPU time this process left unused that other work used (0–1); null where unknown.</param>
/// <param name="Steal">Share of all CPU time the hypervisor gave to other guests (0–1); null where unknown.</param>
public sealed record ContentionWindow(double? OtherBusy, double? Steal)
{
    public static ContentionWindow Unknown { get; } = new(null, null);
}

/// <summary>Measures how busy the rest of the machine is between <see cref="Start"/> and <see cref="Stop"/>.</summary>
public interface IContentionMeter
{
    void Start();

    ContentionWindow Stop();
}

/// <summary>Knows nothing: every window is <see cref="ContentionWindow.Unknown"/> (machines without /proc/stat).</summary>
public sealed class NoContentionMeter : IContentionMeter
{
    public static NoContentionMeter Instance { get; } = new();

    public void Start()
    {
    }

    public ContentionWindow Stop() => ContentionWindow.Unknown;
}

/// <summary>
/// Linux: the whole machine's CPU time from <c>/proc/stat</c> against this process's own CPU time.
/// Other work's share is (busy − own) / (all − own): of the CPU time this process did not use, how
/// much something else did. <c>/proc/stat</c> counts in ticks of 10 ms, so a window should last a
/// few of them (a round over a batch does; a visit alone does not).
/// </summary>
public sealed class ProcStatContentionMeter : IContentionMeter
{
    private const string StatPath = "/proc/stat";
    private const double MillisecondsPerTick = 10; // USER_HZ is 100 on every Linux this runs on
    private Reading? _start;

    private ProcStatContentionMeter()
    {
    }

    /// <summary>The meter for this machine: /proc/stat where there is one, else one that knows nothing.</summary>
    public static IContentionMeter ForThisMachine() => File.Exists(StatPath) && Read() is not null ? new ProcStatContentionMeter() : NoContentionMeter.Instance;

    public void Start() => _start = Read();

    public ContentionWindow Stop()
    {
        var end = Read();
        if (_start is not { } start || end is null)
        {
            return ContentionWindow.Unknown;
        }
        double all = end.All - start.All;
        double busy = end.Busy - start.Busy;
        double steal = end.Steal - start.Steal;
        double own = (end.OwnMs - start.OwnMs) / MillisecondsPerTick;
        double free = all - own;
        return new ContentionWindow(
            free >= 1 ? Math.Clamp((busy - own) / free, 0, 1) : null,
            all >= 1 ? Math.Clamp(steal / all, 0, 1) : null);
    }

    private sealed record Reading(double All, double Busy, double Steal, double OwnMs);

    /// <summary>The aggregate "cpu" line: user nice system idle iowait irq softirq steal …, in ticks.</summary>
    private static Reading? Read()
    {
        try
        {
            string? line = File.ReadLines(StatPath).FirstOrDefault(l => l.StartsWith("cpu ", StringComparison.Ordinal));
            if (line is null)
            {
                return null;
            }
            double[] fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8)
                .Select(f => double.Parse(f, CultureInfo.InvariantCulture)).ToArray();
            if (fields.Length < 8)
            {
                return null;
            }
            double user = fields[0], nice = fields[1], system = fields[2], idle = fields[3], iowait = fields[4], irq = fields[5], softirq = fields[6], steal = fields[7];
            return new Reading(user + nice + system + idle + iowait + irq + softirq + steal, user + nice + system + irq + softirq, steal,
                Environment.CpuUsage.TotalTime.TotalMilliseconds);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }
}
