using System.Diagnostics;
using LatencyNas.Core;
using LatencyNas.Core.Measurements;
using LatencyNas.Core.Spaces;
using LatencyNas.Core.Spaces.Kernels;
using LatencyNas.Onnx;
using LatencyNas.Prediction;
using LatencyNas.Profiling;
using LatencyNas.Profiling.Devices;
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
    public bool Succeeded => !Unfinished.Any();

    /// <summary>The spaces whose profile failed somewhere or that got no predictor.</summary>
    public IEnumerable<KernelSpaceProfile> Unfinished => Spaces.Where(s => !s.Profile.Succeeded || s.Predictor is null);

    /// <summary>Unfinished because measurements failed: a re-run retries them.</summary>
    public IEnumerable<KernelSpaceProfile> Failed => Unfinished.Where(s => s.Profile.Failed > 0 || !s.Profile.Succeeded);

    /// <summary>Unfinished only because the scale drew fewer kernels than a predictor needs: a re-run at a larger scale helps.</summary>
    public IEnumerable<KernelSpaceProfile> TooFewKernels => Unfinished.Except(Failed);

    /// <summary>Why the run stopped before the last space (it stops at the first space whose profile stops), or null.</summary>
    public string? StopReason => Spaces.LastOrDefault()?.Profile.StopReason;
}

/// <summary>
/// Profiles a sample of every kernel space on a device (the usual protocol, store, resume and
/// kill-safety: each space is <c>profile</c> runs) and trains each space's predictor on what was
/// measured, so that the latency of any ONNX model can be predicted from its kernels. Half of a
/// space's sample is measured first — a quarter where known models' kernels sit, the rest drawn
/// uniformly — and the other half where two models of what is measured disagree most; a run
/// after a kill measures only what its space still lacks of its target.
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
    /// The share of a space's kernels measured first: where known models' kernels sit (at most
    /// <see cref="ModelKernelShare"/>; see <see cref="ModelKernels"/>), and a uniform draw. The rest
    /// are chosen where the predictor of what is measured is least sure (<see cref="UncertaintySampling"/>),
    /// as nn-Meter samples.
    /// </summary>
    public const double FirstRoundShare = 0.5;

    /// <summary>The most of a space's kernels taken where known models' kernels sit.</summary>
    public const double ModelKernelShare = 0.25;

    /// <summary>Fewer measured kernels than this and a space gets no predictor (there would be nothing to test it on).</summary>
    public const int MinimumToTrain = 10;

    /// <summary>The smallest scale, in hundredths, that draws at least <see cref="MinimumToTrain"/> kernels of every kind.</summary>
    public static double MinimumScale { get; } = Math.Ceiling(100.0 * MinimumToTrain / SampleSizes.Values.Min()) / 100;

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
        var modelKernels = ModelKernels(DeviceDescriptorReader.Resolve(request.Device));
        string device = request.DeviceName ?? request.Device;
        foreach (var space in KernelSpace.All)
        {
            // Progress over all spaces at once: one bar from the first kernel to the last.
            int done = doneBefore, failed = failedBefore;
            IProgress<ProfileProgress>? From(int offset, int failedOffset) => progress is null ? null : new Offset(p => progress.Report(
                p with { Done = done + offset + p.Done, Total = total, Failed = failed + failedOffset + p.Failed, Elapsed = clock.Elapsed }));
            int target = counts[space];
            int half = (int)Math.Ceiling(target * FirstRoundShare);
            // First where known models' kernels sit, then a uniform draw, half of the target together.
            var first = target == space.Size ? space.Enumerate().ToList()
                : modelKernels[space.Kind].Take((int)Math.Ceiling(target * ModelKernelShare)).Union(space.SampleDistinct(half, request.Seed)).Take(half).ToList();
            var profile = await new ProfileUseCase(runners).RunAsync(new ProfileRequest(request.Device, space,
                new ArchitectureSelection(Members: first), request.Store, request.DeviceName), From(0, 0), cancellation);
            device = profile.Device;
            if (profile.StopReason is null && target > first.Count && Uncertain(request.Store, device, space, target, request.Seed) is { Count: > 0 } chosen)
            {
                var adaptive = await new ProfileUseCase(runners).RunAsync(new ProfileRequest(request.Device, space,
                    new ArchitectureSelection(Members: chosen), request.Store, request.DeviceName), From(first.Count, profile.Failed), cancellation);
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
        return new ProfileKernelsResult(device, request.Store.Location, spaces, clock.Elapsed.TotalSeconds);
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

    /// <summary>
    /// The members nearest the kernels of known models, by space, the most frequent first: the 10
    /// reference CNNs at 160 and 224, 20 NB201 architectures on the device's dataset and 5 FBNet
    /// ones on ImageNet, as the device runs them (its optimization level and channel blocks).
    /// nn-Meter samples from its model zoo for the same reason: uniform draws rarely land where
    /// real models' kernels are.
    /// </summary>
    public static IReadOnlyDictionary<KernelKind, IReadOnlyList<Architecture>> ModelKernels(DeviceDescriptor device)
    {
        var level = ModelPredictionUseCase.Level(device.Optimization);
        int block = ModelSource.NchwcBlockSize(device);
        var models = ReferenceModels.Names.SelectMany(name => new[] { 160, 224 }.Select(resolution => ReferenceModels.Build(name, resolution))).ToList();
        var nb201 = SearchSpaces.Get("nb201");
        var nb201Dataset = nb201.Datasets.Contains(device.Dataset) ? device.Dataset : nb201.Datasets[0];
        models.AddRange(nb201.SampleDistinct(20, seed: 0).Select(a => ModelSource.Instance.Export(new ModelRequest(nb201, a, nb201Dataset, 1))));
        var fbnet = SearchSpaces.Get("fbnet");
        models.AddRange(fbnet.SampleDistinct(5, seed: 0).Select(a => ModelSource.Instance.Export(new ModelRequest(fbnet, a, Dataset.ImageNet, 1))));
        var counts = new Dictionary<(KernelKind Kind, Architecture Member), int>();
        var nearest = new Dictionary<KernelConfig, Architecture>();
        foreach (byte[] bytes in models)
        {
            var model = OnnxModelGraph.Read(bytes, "known model");
            foreach (var config in CpuKernels.Detect(model, level, block).SelectMany(k => KernelConfigs.Parts(model, k, block)))
            {
                if (!nearest.TryGetValue(config, out var member))
                {
                    nearest[config] = member = KernelSpace.For(config.Kind).Nearest(config);
                }
                counts[(config.Kind, member)] = counts.GetValueOrDefault((config.Kind, member)) + 1;
            }
        }
        return KernelSpace.All.ToDictionary(space => space.Kind, space => (IReadOnlyList<Architecture>)counts
            .Where(c => c.Key.Kind == space.Kind)
            .OrderByDescending(c => c.Value).ThenBy(c => c.Key.Member.Digits, StringComparer.Ordinal).Select(c => c.Key.Member).ToList());
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
