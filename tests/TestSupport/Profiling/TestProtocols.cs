using LatencyNas.Profiling.Timing;

namespace LatencyNas.Tests;

/// <summary>Measurement protocols for tests of projects that measure real models.</summary>
public static class TestProtocols
{
    /// <summary>
    /// The interleaved protocol, short enough for tests; the statistics are still those of real runs. No
    /// visit counts as contended: these tests check bookkeeping while other test processes keep the
    /// machine busy; contention is tested on a synthetic machine (InterleavedEngineTests). No reference
    /// architectures: they would add eight models to every small batch; one instance per architecture: three
    /// would triple the sessions every test creates. Their own tests turn them on.
    /// </summary>
    public static readonly MeasurementProtocol Quick = MeasurementProtocol.Default with
    {
        MinRounds = 3,
        MaxRounds = 4,
        ExtraRounds = 0,
        MinQuietVisits = 3,
        ContendedAbove = 1,
        MinRoundTime = TimeSpan.Zero,
        ReferenceArchitectures = 0,
        InstancesPerArchitecture = 1,
    };
}
