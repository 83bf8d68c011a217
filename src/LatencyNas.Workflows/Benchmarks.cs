using System.Diagnostics;
using LatencyNas.Agent;
using LatencyNas.Analysis;
using LatencyNas.Analysis.Search;
using LatencyNas.Core;
using LatencyNas.Core.Measurements;
using LatencyNas.Core.Spaces;
using LatencyNas.Core.Statistics;
using LatencyNas.Prediction;
using LatencyNas.Profiling;
using LatencyNas.Profiling.Devices;
using LatencyNas.Profiling.Runners;
using LatencyNas.Profiling.Store;
using LatencyNas.Profiling.Timing;
using LatencyNas.Torch.Networks;
using LatencyNas.Torch.Onnx;
using LatencyNas.Workflows.Runners;
using Microsoft.ML.OnnxRuntime;

namespace LatencyNas.Workflows;

/// <summary>A summary of timings (milliseconds).</summary>
public sealed record TimingSummary(double MedianMs, double MeanMs, double P90Ms)
{
    public static TimingSummary Of(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToArray();
        return new(Descriptive.QuantileOfSorted(sorted, 0.5), values.Average(), Descriptive.QuantileOfSorted(sorted, 0.9));
    }
}

/// <summary>A ratio's median over a sample, with its range.</summary>
public sealed record RatioSummary(double Median, double Min, double Max, int Count)
{
    public static RatioSummary Of(IReadOnlyList<double> ratios) => new(Descriptive.Median(ratios), ratios.Min(), ratios.Max(), ratios.Count);
}

public sealed record BenchExportRequest(SearchSpace Space, Dataset Dataset, int Count = 200, int Seed = 0);

public sealed record BenchExportResult(string Space, string Dataset, int Architectures, int Cores, TimingSummary Build, TimingSummary Export, double MeanModelKiB);

/// <summary>Times building the TorchSharp network and exporting it to ONNX, per architecture.</summary>
public sealed class BenchExportUseCase
{
    public BenchExportResult Run(BenchExportRequest request, CancellationToken cancellation = default)
    {
        ExportUseCase.RequireBuilder(request.Space);
        var architectures = request.Space.SampleDistinct(request.Count, request.Seed);
        var options = NetworkFactory.ExportOptions(request.Dataset);
        // Warm-up: the first build loads libtorch and JITs the exporter.
        using (var warm = NetworkFactory.Create(request.Space, architectures[0], request.Dataset))
        {
            OnnxExporter.Export(warm, options);
        }
        var build = new List<double>();
        var export = new List<double>();
        long bytes = 0;
        foreach (var architecture in architectures)
        {
            cancellation.ThrowIfCancellationRequested();
            long start = Stopwatch.GetTimestamp();
            using var network = NetworkFactory.Create(request.Space, architecture, request.Dataset);
            long built = Stopwatch.GetTimestamp();
            bytes += OnnxExporter.Export(network, options).Length;
            long exported = Stopwatch.GetTimestamp();
            build.Add(Stopwatch.GetElapsedTime(start, built).TotalMilliseconds);
            export.Add(Stopwatch.GetElapsedTime(built, exported).TotalMilliseconds);
        }
        return new BenchExportResult(request.Space.Name, request.Dataset.Name, architectures.Count, Environment.ProcessorCount,
            TimingSummary.Of(build), TimingSummary.Of(export), bytes / (double)architectures.Count / 1024);
    }
}

/// <param name="OverheadCount">Architectures for the harness-overhead comparison.</param>
/// <param name="SkipFixed">Leave out the fixed "3 s warm-up + 50 runs" comparison (about 2 × 3.1 s per architecture).</param>
public sealed record BenchProfileRequest(string Device, int Count = 200, int Seed = 0, int OverheadCount = 20, bool SkipFixed = false);

/// <summary>One protocol profiled twice over the same sample.</summary>
public sealed record TestRetest(double SecondsPerArchitecture, double Srcc, double PrecisionMet, double MeanRuns);

/// <param name="Overhead">The interleaved estimate over the median of a bare loop of Run calls on the same session.</param>
/// <param name="OverheadToFastest">The interleaved estimate over the fastest run of the same bare loop: what the harness adds, apart from the choice of estimator.</param>
public sealed record BenchProfileResult(
    string Device, string Setting, string Cpu, int Cores, RatioSummary Overhead, TestRetest Adaptive, TestRetest? Fixed, RatioSummary OverheadToFastest)
{
    public double? CostRatio => Fixed is null ? null : Fixed.SecondsPerArchitecture / Adaptive.SecondsPerArchitecture;
}

/// <summary>
/// The measurement protocol's own figures: harness overhead against a bare Run loop, seconds per
/// architecture and test-retest SRCC, against the fixed "3 s warm-up + 50 runs" recipe.
/// </summary>
public sealed class BenchProfileUseCase(IDeviceRunnerFactory runners)
{
    public async Task<BenchProfileResult> RunAsync(BenchProfileRequest request, IProgress<string>? status = null, CancellationToken cancellation = default)
    {
        var device = DeviceDescriptorReader.Resolve(request.Device);
        if (device.Runtime != DeviceRuntime.OnnxRuntime)
        {
            throw new InvalidInputException("bench profile compares against a bare ONNX Runtime Run loop; give an onnxruntime device.");
        }
        var space = SearchSpaces.Get("nb201");
        var sample = space.SampleDistinct(request.Count, request.Seed);

        // Harness overhead: the interleaved estimate over a batch of sessions against each session's bare loop of Run calls.
        status?.Report($"harness overhead on {Math.Min(request.OverheadCount, sample.Count)} architectures");
        var settings = OrtSettings.From(device);
        var sessions = new List<OrtTimedSession>();
        var ratios = new List<double>();
        var toFastest = new List<double>();
        try
        {
            // Inside the try: a session that fails to be created must not leak the ones before it.
            foreach (var architecture in sample.Take(request.OverheadCount))
            {
                sessions.Add(OrtTimedSession.Create(ModelSource.Instance.Export(device.RequestFor(space, architecture)), settings));
            }
            var estimates = InterleavedEngine.ForThisMachine().Measure(sessions.Select(s => (Func<double>)s.TimeOneRunMs).ToList(), MeasurementProtocol.Default, request.Seed, cancellation);
            for (int i = 0; i < sessions.Count; i++)
            {
                const int BareRuns = 200;
                var bare = new double[BareRuns];
                for (int r = 0; r < 20; r++)
                {
                    sessions[i].Run();
                }
                for (int r = 0; r < BareRuns; r++)
                {
                    long start = Stopwatch.GetTimestamp();
                    sessions[i].Run();
                    bare[r] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                }
                if (estimates[i].Statistics is { } estimate)
                {
                    ratios.Add(estimate.LatencyMs / Descriptive.Median(bare));
                    toFastest.Add(estimate.LatencyMs / bare.Min());
                }
            }
        }
        finally
        {
            foreach (var session in sessions)
            {
                session.Dispose();
            }
        }
        if (ratios.Count == 0)
        {
            throw new RunFailedException("the machine stayed too busy to measure the harness overhead.");
        }

        string directory = Directory.CreateTempSubdirectory("latnas-bench-").FullName;
        try
        {
            using var store = ProfileStore.Open(Path.Combine(directory, "bench.db"));
            await using var runner = runners.Create(device);
            status?.Report($"adaptive protocol: two profiles of {sample.Count} architectures");
            var adaptive = await TestRetestAsync(runner, store, space, sample, MeasurementProtocol.Default, firstSession: 1, cancellation);
            TestRetest? fixedRecipe = null;
            if (!request.SkipFixed)
            {
                status?.Report($"fixed 3 s warm-up + 50 runs: two profiles of {sample.Count} architectures");
                fixedRecipe = await TestRetestAsync(runner, store, space, sample, MeasurementProtocol.Fixed3sWarmup50Runs, firstSession: 3, cancellation);
            }
            return new BenchProfileResult(device.Name, device.Summary, DeviceFingerprint.HostCpuModel(), Environment.ProcessorCount, RatioSummary.Of(ratios), adaptive, fixedRecipe,
                RatioSummary.Of(toFastest));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>Profiles the sample twice (two sessions) with one protocol and compares the two rankings.</summary>
    private static async Task<TestRetest> TestRetestAsync(
        IDeviceRunner runner, ProfileStore store, SearchSpace space, IReadOnlyList<Architecture> sample, MeasurementProtocol protocol, int firstSession,
        CancellationToken cancellation)
    {
        var seconds = new List<double>();
        for (int session = firstSession; session < firstSession + 2; session++)
        {
            var profiler = new Profiler(runner, store, new ProfileOptions { Protocol = protocol, Session = session });
            var summary = await profiler.RunAsync(space, sample, progress: null, cancellation);
            if (!summary.Completed || summary.Failures.Count > 0)
            {
                throw new RunFailedException($"benchmark profile did not complete: {summary.StopReason ?? summary.Failures[0].Reason}");
            }
            seconds.Add(summary.Elapsed.TotalSeconds / sample.Count);
        }
        var measurements = store.Measurements.Read(store.Devices.Get(runner.Device.Name), space.Name);
        var first = measurements.Where(m => m.Session == firstSession).ToDictionary(m => m.Digits);
        var second = measurements.Where(m => m.Session == firstSession + 1).ToDictionary(m => m.Digits);
        var digits = first.Keys.Where(second.ContainsKey).Order().ToList();
        double srcc = RankCorrelation.Spearman(digits.Select(d => first[d].LatencyMs!.Value).ToList(), digits.Select(d => second[d].LatencyMs!.Value).ToList());
        var both = first.Values.Concat(second.Values).ToList();
        return new TestRetest(seconds.Average(), srcc, both.Count(m => m.PrecisionMet == true) / (double)both.Count, both.Average(m => m.Runs ?? 0));
    }
}

/// <param name="Repeats">Timed batch predictions per family.</param>
/// <param name="Count">Architectures in the batch where the space cannot be listed (a listable space predicts all its members).</param>
public sealed record BenchPredictRequest(
    string Device, StoreLocation Store, SearchSpace Space, int TrainSize = PredictorCatalog.DefaultTrainSize, int Repeats = 5, int Count = BenchPredictRequest.DefaultCount)
{
    public const int DefaultCount = 1_000_000;
}

/// <param name="Path">How the predictions were made: "native" (the .NET predictor), or "onnx" (the exported model in ONNX Runtime).</param>
/// <param name="Batch">Architectures per call.</param>
public sealed record PredictThroughput(string Model, string Path, double ArchitecturesPerSecond, int Batch, double BatchMs, int TrainedOn, double TrainSeconds);

public sealed record BenchPredictResult(string Device, string Space, IReadOnlyList<PredictThroughput> Models);

/// <summary>
/// Prediction throughput per predictor family: architectures per second for one large batch — the
/// whole space where it can be listed, else a uniform sample — natively, then through the exported
/// ONNX model in ONNX Runtime for a batch of <see cref="OnnxBatch"/> and for one architecture per
/// call (as natively), the median of the repeats.
/// </summary>
public sealed class BenchPredictUseCase
{
    public const int OnnxBatch = 10_000;

    /// <summary>Calls timed one architecture at a time.</summary>
    private const int SingleCalls = 1_000;

    public BenchPredictResult Run(BenchPredictRequest request, IProgress<PredictThroughput>? rows = null)
    {
        var space = request.Space;
        using var store = request.Store.OpenExisting();
        var data = StoredLatencies.Load(store, request.Device, space);
        var train = data.Split(request.TrainSize, 0).Train;
        var batch = space.CanBeListed ? space.Enumerate().ToList() : space.SampleDistinct(request.Count, 0);
        var onnxBatch = batch.Take(OnnxBatch).ToList();
        var singles = batch.Take(SingleCalls).ToList();
        var results = new List<PredictThroughput>();
        PredictorChoice[] choices =
        [
            .. new[] { ModelKind.Additive, ModelKind.FastTree, ModelKind.LightGbm }.Select(PredictorTrainer.DefaultChoice),
            new(ModelKind.Additive, TargetTransform.Identity, WithFeatures: true),
        ];
        foreach (var choice in choices)
        {
            var trainClock = Stopwatch.StartNew();
            var predictor = PredictorTrainer.Fit(choice, train, 0);
            double trainSeconds = trainClock.Elapsed.TotalSeconds;
            using var session = new InferenceSession(PredictorOnnxExporter.Export(predictor, new Dictionary<string, string>()));
            (string Path, int Batch, double Seconds)[] timings =
            [
                ("native", batch.Count, MedianSeconds(request.Repeats, () => predictor.Predict(batch))),
                ("native", 1, MedianSeconds(request.Repeats, () => singles.ForEach(a => predictor.Predict([a]))) / singles.Count),
                ("onnx", onnxBatch.Count, MedianSeconds(request.Repeats, () => PredictorExportUseCase.Run(session, onnxBatch))),
                ("onnx", 1, MedianSeconds(request.Repeats, () => singles.ForEach(a => PredictorExportUseCase.Run(session, [a]))) / singles.Count),
            ];
            foreach (var (path, size, seconds) in timings)
            {
                var row = new PredictThroughput(predictor.Description, path, size / seconds, size, seconds * 1000, train.Count, trainSeconds);
                results.Add(row);
                rows?.Report(row);
            }
        }
        return new BenchPredictResult(data.Device, space.Name, results);
    }

    /// <summary>The median time of <paramref name="repeats"/> runs after one warm-up run.</summary>
    private static double MedianSeconds(int repeats, Action run)
    {
        run();
        var seconds = new List<double>();
        for (int i = 0; i < repeats; i++)
        {
            var clock = Stopwatch.StartNew();
            run();
            seconds.Add(clock.Elapsed.TotalSeconds);
        }
        return Descriptive.Median(seconds);
    }
}

/// <param name="Targets">Target devices.</param>
/// <param name="TargetSamples">Target measurements for the adapted proxy (K).</param>
/// <param name="TrainSize">Target measurements for the target's own predictor.</param>
/// <param name="Repeats">Evolution runs (one seed each) per budget.</param>
public sealed record BenchSearchRequest(
    string Proxy, IReadOnlyList<string> Targets, string Objective, StoreLocation Store, int TargetSamples = 10, int TrainSize = PredictorCatalog.DefaultTrainSize, int Repeats = 5);

/// <summary>What one latency model's exhaustive choice gives up against the true optimum under one budget.</summary>
/// <param name="Regret">Optimum objective minus the choice's (null when nothing fits).</param>
/// <param name="OverBudget">How far the choice's true latency exceeds the budget (0 when within; null when nothing fits).</param>
public sealed record ChoiceOutcome(double? Regret, double? OverBudget);

/// <summary>One target and budget: the optimum, each latency model's outcome, and evolution's evaluations to the optimum.</summary>
public sealed record BudgetOutcome(
    string Target, int Percentile, double BudgetMs, double Optimum, ChoiceOutcome OwnPredictor, ChoiceOutcome Rescaled, ChoiceOutcome? DeviceMix, ChoiceOutcome RawProxy,
    double? EvolutionEvaluations, int EvolutionReached, int EvolutionRuns);

public sealed record BenchSearchResult(string Proxy, string Objective, int TargetSamples, int TrainSize, IReadOnlyList<BudgetOutcome> Budgets);

/// <summary>
/// Latency-constrained search on real tables: regret and budget violations with the target's own
/// predictor, the rescaled and device-mixed proxy, and the raw proxy; evolution's evaluations against exhaustive search.
/// </summary>
public sealed class BenchSearchUseCase
{
    public static readonly IReadOnlyList<int> Percentiles = [25, 50, 75];

    public BenchSearchResult Run(BenchSearchRequest request, IProgress<BudgetOutcome>? rows = null, CancellationToken cancellation = default)
    {
        var space = SearchSpaces.Get("nb201");
        using var store = request.Store.OpenExisting();
        var objective = new TableObjective(request.Objective, store.Objectives.Get(request.Objective, space));
        var proxy = StoredLatencies.Load(store, request.Proxy, space);
        var targets = request.Targets.Select(t => StoredLatencies.Load(store, t, space)).ToList();
        foreach (var target in targets)
        {
            StoredAdaptation.RequireSamples(target, request.TargetSamples);
            _ = target.Split(request.TrainSize, 0);
        }
        var proxyMeasured = new MeasuredLatencies(proxy);
        var everyDevice = StoredLatencies.LoadAll(store, space);
        var exhaustive = new ExhaustiveSearch();
        var results = new List<BudgetOutcome>();
        foreach (var target in targets)
        {
            var truth = new MeasuredLatencies(target);
            var own = PredictorTrainer.Fit(PredictorTrainer.DefaultChoice(ModelKind.LightGbm), target.Split(request.TrainSize, 0).Train, 0);
            var samples = target.Split(request.TargetSamples, 0).Train;
            // The one-proxy setting: only the proxy and K target samples, no other devices.
            var rescaled = new ProxyAdapter(proxy, [], needed: null,
                () => PredictorTrainer.Fit(PredictorTrainer.DefaultChoice(ModelKind.LightGbm), proxy, 0)).Adapt(AdaptationMethod.Rescale, samples)!;
            var mixed = new ProxyAdapter(proxy, everyDevice, needed: null, () => proxyMeasured).Adapt(AdaptationMethod.DeviceMix, samples);
            var sortedTarget = target.LatenciesMs.Order().ToArray();
            var sortedProxy = proxy.LatenciesMs.Order().ToArray();
            foreach (int percentile in Percentiles)
            {
                cancellation.ThrowIfCancellationRequested();
                double budget = Descriptive.QuantileOfSorted(sortedTarget, percentile / 100.0);
                var optimum = exhaustive.Search(new SearchProblem(space, truth, objective, budget), 0, 0).Best!;
                ChoiceOutcome Outcome(ILatencyEstimator latency, double searchBudget)
                {
                    var best = exhaustive.Search(new SearchProblem(space, latency, objective, searchBudget), 0, 0).Best;
                    if (best is null)
                    {
                        return new ChoiceOutcome(null, null);
                    }
                    double trueLatency = truth.Predict([best.Architecture])[0];
                    return new ChoiceOutcome(optimum.Objective - best.Objective, Math.Max(0, trueLatency / budget - 1));
                }
                var evaluations = new List<int>();
                for (int seed = 0; seed < request.Repeats; seed++)
                {
                    var evolved = new RegularizedEvolution().Search(new SearchProblem(space, truth, objective, budget), 5_000, seed, cancellation);
                    if (evolved.Best?.Objective == optimum.Objective)
                    {
                        evaluations.Add(evolved.EvaluationsToBest);
                    }
                }
                // The raw proxy's milliseconds are its own: its budget is the same percentile of its latencies.
                var row = new BudgetOutcome(target.Device, percentile, budget, optimum.Objective, Outcome(own, budget), Outcome(rescaled, budget),
                    mixed is null ? null : Outcome(mixed, budget), Outcome(proxyMeasured, Descriptive.QuantileOfSorted(sortedProxy, percentile / 100.0)),
                    evaluations.Count > 0 ? evaluations.Average() : null, evaluations.Count, request.Repeats);
                results.Add(row);
                rows?.Report(row);
            }
        }
        return new BenchSearchResult(proxy.Device, request.Objective, request.TargetSamples, request.TrainSize, results);
    }
}

/// <param name="Agent">The agent's address (null: start one in this process on a free loopback port).</param>
/// <param name="TokenFile">The agent's token, when it needs one.</param>
public sealed record BenchRemoteRequest(string? Agent = null, string? TokenFile = null, int Count = 50, int Seed = 0);

/// <param name="LatencyRatio">Remote over local median latency, per architecture.</param>
/// <param name="WallRatio">Remote over local wall time per measurement (upload, session, protocol, answer).</param>
public sealed record BenchRemoteResult(string Agent, RatioSummary LatencyRatio, RatioSummary WallRatio);

/// <summary>The overhead of a measurement through an agent on this machine against a local one.</summary>
public sealed class BenchRemoteUseCase(IDeviceRunnerFactory runners)
{
    public async Task<BenchRemoteResult> RunAsync(BenchRemoteRequest request, CancellationToken cancellation = default)
    {
        if (request.Agent is { Length: > 0 } given && !(Uri.TryCreate(given, UriKind.Absolute, out var agentUri) && agentUri.Scheme is "http" or "https"))
        {
            throw new InvalidInputException($"--agent '{given}' is not an agent's address; give one like http://192.168.1.20:8080.");
        }
        var space = SearchSpaces.Get("nb201");
        var local = DeviceDescriptorReader.Resolve("ort-cpu-1t");
        using var agentStop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        Task? agentTask = null;
        string endpoint = request.Agent ?? "";
        if (endpoint.Length == 0)
        {
            endpoint = $"http://127.0.0.1:{FreePort()}";
            agentTask = AgentHost.RunAsync(new AgentOptions { Urls = [endpoint], Insecure = true, Name = "bench-agent" }, agentStop.Token, log: _ => { });
            await WaitForHealthAsync(endpoint, cancellation);
        }
        try
        {
            var remote = local with
            {
                Name = "bench-remote",
                Runtime = DeviceRuntime.Remote,
                Remote = new RemoteEndpoint([new Uri(endpoint)], null, request.TokenFile, TimeSpan.FromMinutes(2), RemoteEndpoint.DefaultOutageGrace),
            };
            await using var localRunner = runners.Create(local);
            await using var remoteRunner = runners.Create(remote);
            await remoteRunner.ProbeAsync(cancellation);
            remoteRunner.CheckProtocol(MeasurementProtocol.Default);
            var ratios = new List<double>();
            var wallRatios = new List<double>();
            foreach (var architecture in space.SampleDistinct(request.Count, request.Seed))
            {
                var modelRequest = local.RequestFor(space, architecture);
                using var localModel = localRunner.Prepare(modelRequest);
                using var remoteModel = remoteRunner.Prepare(modelRequest);
                var clock = Stopwatch.StartNew();
                var here = (await localRunner.MeasureAsync([localModel], MeasurementProtocol.Default, cancellation))[0].Measurement;
                double localWall = clock.Elapsed.TotalSeconds;
                clock.Restart();
                var there = (await remoteRunner.MeasureAsync([remoteModel], MeasurementProtocol.Default, cancellation))[0].Measurement;
                if (here is null || there is null)
                {
                    continue; // too busy to measure one of them
                }
                ratios.Add(there.Statistics.LatencyMs / here.Statistics.LatencyMs);
                wallRatios.Add(clock.Elapsed.TotalSeconds / localWall);
            }
            return new BenchRemoteResult(endpoint, RatioSummary.Of(ratios), RatioSummary.Of(wallRatios));
        }
        finally
        {
            agentStop.Cancel();
            if (agentTask is not null)
            {
                await agentTask;
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task WaitForHealthAsync(string endpoint, CancellationToken cancellation)
    {
        using var http = new HttpClient();
        for (int attempt = 0; attempt < 100; attempt++)
        {
            try
            {
                if ((await http.GetAsync(endpoint + "/healthz", cancellation)).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(100, cancellation);
        }
        throw new RunFailedException($"the agent at {endpoint} did not start");
    }
}
