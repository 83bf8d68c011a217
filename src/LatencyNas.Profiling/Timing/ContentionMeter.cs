using System.Globalization;

namespace LatencyNas.Profiling.Timing;

/// <summary>How busy the rest of the machine was during one window of a measurement (a round).</summary>
/// <param name="OtherBusy">Share of the CPU time this process left unused that other work used (0–1); null where unknown.</param>
/// <param name="Steal">Share of all CPU time the hypervisor gave to other guests (0–1); null where unknown.</param>
public sealed record ContentionWindow(double? OtherBusy, double? Steal)
{
    public static ContentionWindow Unknown { get; } = new(null, null);
}

/// <summary>A reading of the measuring thread's scheduler clocks: time it ran on a CPU and time it waited, ready, for one.</summary>
public readonly record struct ThreadSchedule(long RunNs, long WaitNs)
{
    /// <summary>
    /// Of the time the thread was ready to run since <paramref name="earlier"/>, the share it spent waiting
    /// for a CPU (0–1); null when it was never ready. Work on another core leaves this at zero: only what
    /// took the measuring thread's own CPU away from it slows a run.
    /// </summary>
    public double? WaitingSince(ThreadSchedule earlier)
    {
        double waited = WaitNs - earlier.WaitNs;
        double ready = RunNs - earlier.RunNs + waited;
        return ready > 0 ? Math.Clamp(waited / ready, 0, 1) : null;
    }
}

/// <summary>
/// Measures how busy the machine is: the rest of it between <see cref="Start"/> and <see cref="Stop"/>
/// (a round), and the measuring thread's own waiting for a CPU at any moment (<see cref="ReadThread"/>,
/// called on the measuring thread around each visit).
/// </summary>
public interface IContentionMeter
{
    void Start();

    ContentionWindow Stop();

    /// <summary>The calling thread's scheduler clocks now; null where unknown.</summary>
    ThreadSchedule? ReadThread();
}

/// <summary>Knows nothing: every window is <see cref="ContentionWindow.Unknown"/> (machines without /proc).</summary>
public sealed class NoContentionMeter : IContentionMeter
{
    public static NoContentionMeter Instance { get; } = new();

    public void Start()
    {
    }

    public ContentionWindow Stop() => ContentionWindow.Unknown;

    public ThreadSchedule? ReadThread() => null;
}

/// <summary>
/// Linux. The calling thread's scheduler statistics (<c>/proc/thread-self/schedstat</c>: nanoseconds run
/// and nanoseconds waited on a run queue) give <see cref="ThreadSchedule"/>, read around every visit
/// (about 15 µs a read). The whole machine's CPU time from <c>/proc/stat</c>, against this process's own,
/// gives the load beside the measurement per round: of the CPU time this process did not use, how much
/// something else did ((busy − own) / (all − own)), and the hypervisor's steal. <c>/proc/stat</c> counts
/// in ticks of 10 ms, so its window should last a few of them (a round over a batch does; a visit does not).
/// </summary>
public sealed class ProcContentionMeter : IContentionMeter
{
    private const string StatPath = "/proc/stat";
    private const string ThreadSchedulerPath = "/proc/thread-self/schedstat";
    private const double MillisecondsPerTick = 10; // USER_HZ is 100 on every Linux this runs on
    private Reading? _start;

    private ProcContentionMeter()
    {
    }

    /// <summary>The meter for this machine: /proc where there is one, else one that knows nothing.</summary>
    public static IContentionMeter ForThisMachine() => File.Exists(StatPath) && Read() is not null ? new ProcContentionMeter() : NoContentionMeter.Instance;

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

    /// <summary>The first two fields of the calling thread's schedstat: time on a CPU and time waiting on a run queue, in ns.</summary>
    public ThreadSchedule? ReadThread()
    {
        Span<byte> text = stackalloc byte[96];
        int length;
        try
        {
            using var file = new FileStream(ThreadSchedulerPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 1);
            length = file.Read(text);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        int position = 0;
        return NextNumber(text[..length], ref position) is { } run && NextNumber(text[..length], ref position) is { } wait ? new ThreadSchedule(run, wait) : null;
    }

    private static long? NextNumber(ReadOnlySpan<byte> text, ref int position)
    {
        while (position < text.Length && text[position] == (byte)' ')
        {
            position++;
        }
        long value = 0;
        int start = position;
        for (; position < text.Length && text[position] is >= (byte)'0' and <= (byte)'9'; position++)
        {
            value = value * 10 + (text[position] - '0');
        }
        return position > start ? value : null;
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
