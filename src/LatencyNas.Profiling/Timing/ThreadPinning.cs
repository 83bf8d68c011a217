using System.Runtime.InteropServices;

namespace LatencyNas.Profiling.Timing;

/// <summary>
/// Places the measuring thread on the CPUs the process may use, one at a time, round by round (Linux
/// <c>sched_setaffinity</c>; elsewhere nothing is changed). The CPUs of a virtual machine need not be alike, nor stay
/// so: on this project's two-core VM (2026-12-05) 40 NB201 networks ran 16–31% faster on CPU 1 than on CPU 0 at the
/// median of each minute, each network by its own amount (0.56–1.0×), and an hour later 6–16% slower. A measuring
/// thread the scheduler left on either measured whole batches about 1.2× slower than others, their references spread
/// by 12–54% — what the retests had recorded as slow spells of the host. Visited in turn, every architecture is timed
/// on each CPU, and the fast end of its visits is the faster CPU's, whichever that is at the time.
/// </summary>
public static class ThreadPinning
{
    private const int MaskBytes = 128; // cpu_set_t: 1,024 CPUs

    /// <summary>
    /// Takes over the calling thread's placement until the result is disposed, which gives the thread its mask back;
    /// dispose it on the same thread. Null where the mask cannot be read or set (not Linux, a restricted container).
    /// </summary>
    public static CpuRotation? RotateCurrentThread()
        => ReadMask() is { } before && Cpus(before) is { Count: > 0 } cpus ? new CpuRotation(before, cpus) : null;

    /// <summary>The CPUs the calling thread may run on (Linux; empty elsewhere or when unreadable).</summary>
    public static IReadOnlyList<int> AllowedCpus() => ReadMask() is { } mask ? Cpus(mask) : [];

    /// <summary>The CPU the calling thread runs on now; null where unknown.</summary>
    public static int? CurrentCpu() => OperatingSystem.IsLinux() && GetCpu() is var cpu and >= 0 ? cpu : null;

    /// <summary>The calling thread's affinity mask; null where it cannot be read.</summary>
    private static byte[]? ReadMask()
    {
        var mask = new byte[MaskBytes];
        return OperatingSystem.IsLinux() && GetAffinity(0, MaskBytes, mask) == 0 ? mask : null;
    }

    private static List<int> Cpus(byte[] mask) => [.. Enumerable.Range(0, mask.Length * 8).Where(cpu => (mask[cpu / 8] & (1 << (cpu % 8))) != 0)];

    /// <summary>The calling thread's CPUs, visited in turn (<see cref="Place"/>).</summary>
    public sealed class CpuRotation : IDisposable
    {
        private readonly byte[] _before;
        private bool _disposed;

        internal CpuRotation(byte[] before, IReadOnlyList<int> cpus)
        {
            _before = before;
            Cpus = cpus;
        }

        /// <summary>The CPUs it rotates over: those the thread was allowed when it was taken over.</summary>
        public IReadOnlyList<int> Cpus { get; }

        /// <summary>Moves the thread to CPU (turn − 1) mod n of <see cref="Cpus"/> (turn from 1); false if the system refused.</summary>
        public bool Place(int turn)
        {
            int cpu = Cpus[(turn - 1) % Cpus.Count];
            var only = new byte[MaskBytes];
            only[cpu / 8] = (byte)(1 << (cpu % 8));
            return SetAffinity(0, MaskBytes, only) == 0;
        }

        public void Dispose()
        {
            if (!_disposed)
            {
                _disposed = true;
                SetAffinity(0, MaskBytes, _before);
            }
        }
    }

    [DllImport("libc", EntryPoint = "sched_getaffinity", SetLastError = true)]
    private static extern int GetAffinity(int thread, nint size, byte[] mask);

    [DllImport("libc", EntryPoint = "sched_setaffinity", SetLastError = true)]
    private static extern int SetAffinity(int thread, nint size, byte[] mask);

    [DllImport("libc", EntryPoint = "sched_getcpu")]
    private static extern int GetCpu();
}
