using System.Diagnostics;
using LatencyNas.Core;
using LatencyNas.Core.Spaces;
using LatencyNas.Core.Spaces.Kernels;
using LatencyNas.Prediction;
using LatencyNas.Profiling;
using LatencyNas.Workflows.Runners;

namespace LatencyNas.Workflows;

/// <param name="Scale">Multiplies every kernel space's sample size (<see cref="ProfileKernelsUseCase.SampleSizes"/>).</param>
/// <param name="DeviceName">Store the measurements under this name instead of the descriptor's.</param>
public sealed record ProfileKernelsRequest(string Device, StoreLocation Store, double Scale = 1, int Seed = 0, string? DeviceName = null);

/// <summary>One kernel space: how its profile went and the predictor trained on it (null when too few kernels were measured).</summary>
public sealed record KernelSpaceProfile(string Space, ProfileResult Profile, TrainResult? Predictor)
{
    /// <summary>Kernels of the sample in the store: measured now or before.</summary>
    public int Kernels => Profile.Measured + Profile.AlreadyStored;
}

public sealed record ProfileKernelsResult(string Device, string Store, IReadOnlyList<KernelSpaceProfile> Spaces, double ElapsedSeconds)
{
    public bool Succeeded => Spaces.All(s => s.Profile.Succeeded && s.Predictor is not null);

    /// <summary>Why the run stopped before the last space (it stops at the first space whose profile stops), or null.</summary>
    public string? StopReason => Spaces.LastOrDefault()?.Profile.StopReason;
}

/// <summary>
/// Profiles a sample of every kernel space on a device (the usual protocol, store, resume and
/// kill-safety: each space is <c>profile</c> runs) and trains each space's predictor on what was
/// measured, so that the latency of any ONNX model can be predicted from its kernels. Half of a
/// space's sample is drawn uniformly, the other half where two models of the first half disagree
/// most; a run after a kill measures only what its space still lacks of its target.
/// </summary>
public sealed class ProfileKernelsUseCase(IDeviceRunnerFactory runners)
{
    /// <summary>Kernels drawn per space at scale 1: the most where latency depends on the most numbers.</summary>
    public static IReadOnlyDictionary<KernelKind, int> SampleSizes { get; } = new Dictionary<KernelKind, int>
    {
        [KernelKind.Conv] = 600,
        [KernelKind.DepthwiseConv] = 240,
        [KernelKind.Elementwise] = 200,
        [KernelKind.Pool] = 160,
        [KernelKind.Gemm] = 72,
    };

    /// <summary>
    /// The share of a space's kernels drawn uniformly; the rest are chosen where the predictor of
    /// what is measured is least sure (<see cref="UncertaintySampling"/>), as nn-Meter samples.
    /// </summary>
    public const double UniformShare = 0.5;

    /// <summary>Fewer measured kernels than this and a space gets no predictor (there would be nothing to test it on).</summary>
    public const int MinimumToTrain = 10;

    /// <exception cref="InvalidInputException">A bad device, store or scale.</exception>
    public async Task<ProfileKernelsResult> RunAsync(ProfileKernelsRequest request, IProgress<ProfileProgress>? progress = null, CancellationToken cancellation = default)
    {
        if (!(request.Scale > 0) || request.Scale > 100)
        {
            throw new InvalidInputException($"--scale {request.Scale}: give a multiplier of the sample sizes above 0 and at most 100.");
        }
        var clock = Stopwatch.StartNew();
        var counts = KernelSpace.All.ToDictionary(s => s, s => (int)Math.Min(Math.Max(1, Math.Round(SampleSizes[s.Kind] * request.Scale)), (double)s.Size));
        int total = counts.Values.Sum(), doneBefore = 0, failedBefore = 0;
        var spaces = new List<KernelSpaceProfile>();
        string device = request.DeviceName ?? request.Device;
        foreach (var space in KernelSpace.All)
        {
            // Progress over all spaces at once: one bar from the first kernel to the last.
            int done = doneBefore, failed = failedBefore;
            IProgress<ProfileProgress>? From(int offset, int failedOffset) => progress is null ? null : new Offset(p => progress.Report(
                p with { Done = done + offset + p.Done, Total = total, Failed = failed + failedOffset + p.Failed, Elapsed = clock.Elapsed }));
            int target = counts[space];
            int uniform = target == space.Size ? target : (int)Math.Ceiling(target * UniformShare);
            var profile = await new ProfileUseCase(runners).RunAsync(new ProfileRequest(request.Device, space,
                new ArchitectureSelection(uniform, request.Seed), request.Store, request.DeviceName), From(0, 0), cancellation);
            device = profile.Device;
            if (profile.StopReason is null && target > uniform && Uncertain(request.Store, device, space, target, request.Seed) is { Count: > 0 } chosen)
            {
                var adaptive = await new ProfileUseCase(runners).RunAsync(new ProfileRequest(request.Device, space,
                    new ArchitectureSelection(Members: chosen), request.Store, request.DeviceName), From(uniform, profile.Failed), cancellation);
                profile = Combined(profile, adaptive);
            }
            // What the target holds beyond what was measured now, failed, or left was stored before.
            profile = profile with { Requested = target, AlreadyStored = Math.Max(0, target - profile.Measured - profile.Failed - profile.Remaining) };
            doneBefore += target;
            failedBefore += profile.Failed;
            var kernels = new KernelSpaceProfile(space.Name, profile, null);
            if (profile.StopReason is null && kernels.Kernels >= MinimumToTrain)
            {
                kernels = kernels with { Predictor = new TrainUseCase().Run(new TrainRequest(profile.Device, space, request.Store, PredictorModel.Auto)) };
            }
            spaces.Add(kernels);
            if (profile.StopReason is not null)
            {
                break;
            }
        }
        return new ProfileKernelsResult(device, request.Store.Path, spaces, clock.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// The kernels to measure after the uniform sample, up to the space's target: those not yet
    /// measured where two half-models of what is measured disagree most (<see cref="UncertaintySampling"/>).
    /// </summary>
    private static IReadOnlyList<Architecture> Uncertain(StoreLocation location, string device, KernelSpace space, int target, int seed)
    {
        using var store = location.OpenExisting();
        var measured = StoredLatencies.Load(store, device, space);
        int need = target - measured.Count;
        if (need <= 0)
        {
            return [];
        }
        var known = measured.Architectures.Select(a => a.Digits).ToHashSet(StringComparer.Ordinal);
        var candidates = space.Enumerate().Where(a => !known.Contains(a.Digits)).ToList();
        return UncertaintySampling.MostUncertain(measured, candidates, need, seed);
    }

    private static ProfileResult Combined(ProfileResult uniform, ProfileResult adaptive) => adaptive with
    {
        Measured = uniform.Measured + adaptive.Measured,
        Failed = uniform.Failed + adaptive.Failed,
        Remaining = uniform.Remaining + adaptive.Remaining,
        ElapsedSeconds = uniform.ElapsedSeconds + adaptive.ElapsedSeconds,
        PrecisionMet = uniform.PrecisionMet + adaptive.PrecisionMet,
        Failures = [.. uniform.Failures, .. adaptive.Failures],
        GivenUp = uniform.GivenUp + adaptive.GivenUp,
    };

    private sealed class Offset(Action<ProfileProgress> report) : IProgress<ProfileProgress>
    {
        public void Report(ProfileProgress value) => report(value);
    }
}
