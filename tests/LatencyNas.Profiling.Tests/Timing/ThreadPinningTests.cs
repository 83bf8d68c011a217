using LatencyNas.Profiling.Runners;
using LatencyNas.Profiling.Timing;

namespace LatencyNas.Profiling.Tests.Timing;

public sealed class ThreadPinningTests
{
    [SkippableFact]
    public void A_rotation_moves_the_thread_from_cpu_to_cpu_and_gives_its_mask_back()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "threads are placed on Linux only");
        var allowed = ThreadPinning.AllowedCpus();
        Assert.NotEmpty(allowed);

        var rotation = ThreadPinning.RotateCurrentThread();
        try
        {
            Assert.NotNull(rotation);
            Assert.Equal(allowed, rotation.Cpus);
            for (int turn = 1; turn <= 2 * allowed.Count; turn++)
            {
                Assert.True(rotation.Place(turn));
                int expected = allowed[(turn - 1) % allowed.Count];
                Assert.Equal([expected], ThreadPinning.AllowedCpus());
                for (int i = 0; i < 200; i++)
                {
                    Thread.Yield(); // a chance for the scheduler to move it, which it may not
                    Assert.Equal(expected, ThreadPinning.CurrentCpu());
                }
            }
        }
        finally
        {
            rotation?.Dispose();
        }
        Assert.Equal(allowed, ThreadPinning.AllowedCpus());
    }

    [SkippableFact]
    public void Every_instance_of_an_interleaved_batch_is_visited_on_every_cpu_unless_the_protocol_says_not_to()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "threads are placed on Linux only");
        var allowed = ThreadPinning.AllowedCpus();
        var protocol = MeasurementProtocol.Default with
        {
            MinRounds = 6 * allowed.Count, MaxRounds = 6 * allowed.Count, MinQuietVisits = 2, WarmupRunsPerArchitecture = 0, ContendedAbove = 1,
            MinRoundTime = TimeSpan.Zero,
        };
        List<Run> RunsOf(MeasurementProtocol p)
        {
            var runs = new List<Run>();
            BatchMeasurement.Measure([1, 2], architecture => new RecordingModel(architecture, runs), p, InterleavedEngine.ForThisMachine(), seed: 1, CancellationToken.None);
            return runs;
        }

        var rotated = RunsOf(protocol);
        Assert.Equal(2 * 6 * allowed.Count, rotated.Count);
        Assert.All(rotated, run => Assert.Equal(1, run.Allowed)); // on one CPU at a time
        foreach (var architecture in rotated.GroupBy(r => r.Architecture))
        {
            var instances = architecture.GroupBy(r => r.Instance).ToList();
            Assert.Equal(3, instances.Count);
            Assert.All(instances, instance => Assert.Equal(allowed, instance.Select(r => r.Cpu!.Value).Distinct().Order()));
        }
        Assert.Equal(allowed, ThreadPinning.AllowedCpus()); // given back after the batch
        Assert.All(RunsOf(protocol with { RotateCpus = false }), run => Assert.Equal(allowed.Count, run.Allowed));
        Assert.All(RunsOf(protocol with { Mode = MeasurementMode.Burst, MinRuns = 3, MaxRuns = 3, WarmupMinRuns = 2, WarmupMaxRuns = 2 }),
            run => Assert.Equal(allowed.Count, run.Allowed)); // the burst protocol measures as it always did
    }

    private sealed record Run(int Architecture, int Instance, int? Cpu, int Allowed);

    /// <summary>A model whose runs record which instance ran, on which CPU, and how many the thread was allowed.</summary>
    private sealed class RecordingModel : ITimedModel
    {
        private static int _created;
        private readonly int _architecture;
        private readonly int _instance;
        private readonly List<Run> _runs;

        public RecordingModel(int architecture, List<Run> runs)
        {
            _architecture = architecture;
            _instance = Interlocked.Increment(ref _created);
            _runs = runs;
        }

        public double SessionCreationMs => 0;

        public double TimeOneRunMs()
        {
            _runs.Add(new Run(_architecture, _instance, ThreadPinning.CurrentCpu(), ThreadPinning.AllowedCpus().Count));
            return 1.0;
        }

        public IDisposable StopRunsOn(CancellationToken cancellation) => new CancellationTokenRegistration();

        public void Dispose()
        {
        }
    }
}
