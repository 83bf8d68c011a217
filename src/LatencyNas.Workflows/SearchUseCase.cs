using LatencyNas.Analysis;
using LatencyNas.Analysis.Reports;
using LatencyNas.Analysis.Search;
using LatencyNas.Core;
using LatencyNas.Core.IO;
using LatencyNas.Core.Spaces;
using LatencyNas.Core.Statistics;
using LatencyNas.Core.Tables;
using LatencyNas.Prediction;
using LatencyNas.Profiling;
using LatencyNas.Profiling.Devices;
using LatencyNas.Profiling.Store;
using LatencyNas.Profiling.Timing;
using LatencyNas.Workflows.Runners;

namespace LatencyNas.Workflows;

/// <summary>Without a proxy: whether a search trusts the target's predictor, or its measurements where it has them.</summary>
public enum LatencyMode
{
    /// <summary>The target's saved predictor (trained and saved first when there is none).</summary>
    Predicted,

    /// <summary>The target's measurements, and its predictor for architectures it was never measured on.</summary>
    Measured,
}

/// <summary>Where a search's budget applies and which latency model it trusts.</summary>
/// <param name="Target">The device the budget applies to.</param>
/// <param name="Proxy">Predict with this device's predictor instead: as is, or adapted with <paramref name="TargetSamples"/>.</param>
/// <param name="TargetSamples">Adapt the proxy with this many of the target's measurements (K).</param>
/// <param name="Method">The adaptation (null: the method cross-validation on the K samples chooses).</param>
/// <param name="Mode">Without a proxy: predicted or measured.</param>
/// <param name="Sampling">How the <paramref name="TargetSamples"/> are drawn from the target's measurements (and so how they may be judged).</param>
public sealed record SearchLatency(string Target, string? Proxy = null, int? TargetSamples = null, AdaptationMethod? Method = null, LatencyMode Mode = LatencyMode.Predicted,
    TargetSampling Sampling = TargetSampling.Random);

/// <param name="Objective">What to maximise: an objective in the store, or params, macs, synflow, zico.</param>
/// <param name="MaxLatencyMs">The latency budget on the target.</param>
/// <param name="Evaluations">Most architectures to evaluate (random, evolution).</param>
/// <param name="Verify">Measure the choice on the target (a live device) or look it up (an imported one) and check the budget; walk down the
/// ranked candidates while they measure over it.</param>
/// <param name="Margin">Search under the budget less this share of it (0 ≤ margin &lt; 1), so predictions that read low still fit.</param>
/// <param name="VerifyCandidates">With <paramref name="Verify"/>: most candidates to measure before giving up.</param>
/// <param name="RecordPath">Also write the search's record here (settings, actions, every evaluation, result; JSON), which
/// <see cref="SearchUseCase.ReplayAsync"/> runs again. Written once the search has ended, also when nothing fits.</param>
public sealed record SearchRequest(
    SearchLatency Latency, string Objective, double MaxLatencyMs, SearchSpace Space, StoreLocation Store,
    SearchStrategyKind Strategy = SearchStrategyKind.Auto, int Evaluations = SearchRequest.DefaultEvaluations, int Seed = 0, bool Verify = false,
    double Margin = 0, int VerifyCandidates = SearchRequest.DefaultVerifyCandidates, string? RecordPath = null)
{
    public const int DefaultEvaluations = 1000;

    public const int DefaultVerifyCandidates = 10;
}

/// <summary>The best architecture found within the budget (none when nothing fits), and what finding it cost.</summary>
/// <param name="Objective">The chosen architecture's objective value.</param>
/// <param name="MeasuredMs">The choice's latency measured (or looked up) on the target, with <see cref="SearchRequest.Verify"/>.</param>
/// <param name="WithinBudget">Measured within the budget when verified, else predicted within it; false when nothing fits.</param>
/// <param name="TrainedPredictors">Predictors the search had to train first (saved as <c>latnas train</c> saves them).</param>
/// <param name="Note">Why a requested verification could not be made, when it could not.</param>
/// <param name="Proxy">The proxy whose predictor was used, if any.</param>
/// <param name="TargetSamples">The target measurements the proxy was adapted with (K), if any.</param>
/// <param name="Method">The adaptation method used, named or chosen by cross-validation on the K samples (<paramref name="LatencySource"/> says why); null without adaptation.</param>
/// <param name="SearchedUnderMs">The budget the search used: the budget less the margin.</param>
/// <param name="VerifiedCandidates">Candidates measured (or looked up) before one fitted the budget, or before giving up.</param>
/// <param name="Stopped">A steered search stopped before its strategy finished.</param>
public sealed record SearchResult(
    string Target, string ObjectiveName, double MaxLatencyMs, string LatencySource, string Strategy, int Evaluations, int EvaluationsToBest, double WallSeconds,
    string? Arch, string? Ops, int? Index, double? PredictedMs, double? Objective, double? MeasuredMs, bool Verified, bool WithinBudget,
    IReadOnlyList<string> TrainedPredictors, string? Note = null, string? Proxy = null, int? TargetSamples = null, string? Method = null,
    double SearchedUnderMs = 0, int VerifiedCandidates = 0, bool Stopped = false)
{
    public bool Found => Arch is not null;
}

/// <param name="Out">The CSV of the front; its PNG and SVG plots are written beside it.</param>
/// <param name="MaxLatenciesMs">The budgets (null: the 10th to 90th percentiles of the predicted latency of a sample).</param>
public sealed record SweepRequest(
    SearchLatency Latency, string Objective, string Out, SearchSpace Space, StoreLocation Store, IReadOnlyList<double>? MaxLatenciesMs = null,
    SearchStrategyKind Strategy = SearchStrategyKind.Auto, int Evaluations = SearchRequest.DefaultEvaluations, int Seed = 0);

/// <summary>The best architecture under one budget of a sweep (none when nothing fits).</summary>
public sealed record SweepPoint(double MaxLatencyMs, string? Arch, string? Ops, int? Index, double? PredictedMs, double? Objective, int Evaluations);

public sealed record SweepResult(
    string Target, string ObjectiveName, string LatencySource, string Strategy, IReadOnlyList<SweepPoint> Points, int FrontPoints,
    IReadOnlyList<string> Files, IReadOnlyList<string> TrainedPredictors)
{
    public bool Found => Points.Any(p => p.Arch is not null);
}

/// <summary>
/// Latency-constrained search on predicted (or measured) latency. The objective, budget, strategy and
/// devices are checked before any predictor is trained; a predictor it must train is saved as
/// <c>latnas train</c> saves it.
/// </summary>
public sealed class SearchUseCase(IDeviceRunnerFactory runners)
{
    /// <param name="status">Told of long steps (training a predictor, measuring the choice) before they start.</param>
    /// <param name="control">Steers the search while it runs and logs what it evaluates; completed when the search ends, however it ends.
    /// A budget it moves is searched as given (without the margin) and is the result's budget.</param>
    /// <exception cref="InvalidInputException">A bad budget, objective, strategy, device or sample count (before anything is trained).</exception>
    public async Task<SearchResult> RunAsync(SearchRequest request, IProgress<string>? status = null, CancellationToken cancellation = default, SearchControl? control = null)
    {
        // A record needs the control's log of what was evaluated: a search without a control of its own gets one that steers nothing.
        if (request.RecordPath is not null)
        {
            control ??= new SearchControl(request.Space, request.Seed);
        }
        SearchResult result;
        try
        {
            result = await SearchAsync(request, status, control, cancellation);
        }
        finally
        {
            control?.Complete();
        }
        if (request.RecordPath is { } path)
        {
            SearchRecord.Of(request, control!, result).Write(path);
        }
        return result;
    }

    /// <summary>
    /// Runs a recorded search again, with its settings and its actions applied at the steps they were applied at, and
    /// compares what it evaluates with the record.
    /// </summary>
    /// <param name="recordPath">Also write the replay's own record here.</param>
    /// <exception cref="InvalidInputException">A record that cannot be replayed (a space, device or objective this store lacks, an action that cannot apply).</exception>
    public async Task<SearchReplayResult> ReplayAsync(SearchRecord record, StoreLocation store, IProgress<string>? status = null, CancellationToken cancellation = default,
        string? recordPath = null)
    {
        var space = SearchSpaces.TryGet(record.Space) ?? throw new InvalidInputException($"The record's space '{record.Space}' is not one of {string.Join(", ", SearchSpaces.All.Select(s => s.Name))}.");
        var request = record.ToRequest(space, store);
        var control = SearchControl.Replay(space, record.Seed, record.Actions);
        var result = await RunAsync(request, status, cancellation, control);
        var replayed = SearchRecord.Of(request, control, result);
        if (recordPath is not null)
        {
            replayed.Write(recordPath);
        }
        int compared = Math.Min(record.Evaluated.Count, replayed.Evaluated.Count);
        int? differs = Enumerable.Range(0, compared).Cast<int?>().FirstOrDefault(i => record.Evaluated[i!.Value] != replayed.Evaluated[i.Value])
                       ?? (record.Evaluated.Count != replayed.Evaluated.Count ? compared : null);
        return new SearchReplayResult(result, record.Evaluated.Count, replayed.Evaluated.Count, differs,
            differs is { } at && at < record.Evaluated.Count ? record.Evaluated[at] : null,
            differs is { } at2 && at2 < replayed.Evaluated.Count ? replayed.Evaluated[at2] : null) { Record = replayed };
    }

    private async Task<SearchResult> SearchAsync(SearchRequest request, IProgress<string>? status, SearchControl? control, CancellationToken cancellation)
    {
        if (!(request.MaxLatencyMs > 0 && double.IsFinite(request.MaxLatencyMs)))
        {
            throw new InvalidInputException($"--max-latency must be a positive number of milliseconds (got {request.MaxLatencyMs}).");
        }
        if (!(request.Margin >= 0 && request.Margin < 1))
        {
            throw new InvalidInputException($"--margin must be at least 0 and below 1 (got {request.Margin}).");
        }
        if (request.VerifyCandidates < 1)
        {
            throw new InvalidInputException($"--verify-candidates must be at least 1 (got {request.VerifyCandidates}).");
        }
        using var store = request.Store.OpenExisting();
        var setup = SearchSetup.Prepare(store, request.Store, request.Space, request.Latency, request.Objective, request.Strategy, request.Evaluations, request.Seed, status);
        DeviceDescriptor? measuredBy = request.Verify ? VerificationDevice(store, setup.Target.Device) : null;

        var latency = setup.Latency();
        double searchedUnder = request.MaxLatencyMs * (1 - request.Margin);
        var outcome = setup.Strategy.Search(new SearchProblem(request.Space, latency, setup.Objective, searchedUnder, control), request.Evaluations, request.Seed, cancellation);
        double budgetMs = control?.Applied.LastOrDefault(a => a.Action.Kind == SteeringKind.Budget)?.Action.MaxLatencyMs ?? request.MaxLatencyMs;
        var best = outcome.Best;
        double? measured = null;
        string? note = null;
        int verified = 0;
        if (best is not null && request.Verify)
        {
            // Down the ranking until a candidate measures within the budget: the best prediction may read low.
            foreach (var candidate in outcome.Ranked.Take(request.VerifyCandidates))
            {
                var (latencyMs, why) = await VerifyAsync(store, request.Space, setup.Target, measuredBy, candidate.Architecture, status, cancellation);
                verified++;
                if (latencyMs is null)
                {
                    // Cannot be verified (an imported table without it): the first candidate stays, unverified; a later one ends the walk.
                    if (verified == 1)
                    {
                        best = candidate;
                    }
                    note = why;
                    break;
                }
                if (verified == 1 || latencyMs <= budgetMs)
                {
                    (best, measured) = (candidate, latencyMs);
                }
                if (latencyMs <= budgetMs)
                {
                    break;
                }
            }
            if (measured > budgetMs && note is null)
            {
                note = $"the {verified} best candidates all measured over the budget; search under a margin (--margin 0.1) or raise --verify-candidates.";
            }
        }
        return new SearchResult(
            setup.Target.Device, request.Objective, budgetMs, latency.Description, outcome.Strategy, outcome.Evaluations, outcome.EvaluationsToBest,
            outcome.Elapsed.TotalSeconds, best is null ? null : request.Space.Format(best.Architecture), best?.Architecture.Digits,
            best is null ? null : request.Space.IndexOf(best.Architecture), best?.LatencyMs, best?.Objective,
            measured, measured is not null, best is not null && (measured ?? best.LatencyMs) <= budgetMs, setup.Trained, note,
            request.Latency.Proxy, request.Latency.TargetSamples, latency is AdaptedEstimator adapted ? ProxyAdaptation.Name(adapted.Method) : null, outcome.MaxLatencyMs, verified, outcome.Stopped);
    }

    /// <summary>The descriptor that measures a live device again; null for an imported one (its table is looked up).</summary>
    internal static DeviceDescriptor? VerificationDevice(ProfileStore store, string target)
    {
        var device = store.Devices.Get(target);
        if (device.Kind == DeviceKind.Table)
        {
            return null;
        }
        string source = device.Source ?? throw new InvalidInputException($"The store does not say which descriptor measured '{device.Name}'; it cannot be measured again (leave out --verify).");
        const string Embedded = "embedded:";
        return DeviceDescriptorReader.Resolve(source.StartsWith(Embedded, StringComparison.Ordinal) ? source[Embedded.Length..] : source)
            with { Name = device.Name, Dataset = device.InputDataset }; // a device at another task (D@T) is measured at that task
    }

    private async Task<(double? Measured, string? Note)> VerifyAsync(ProfileStore store, SearchSpace space, LatencyData target, DeviceDescriptor? descriptor,
        Architecture chosen, IProgress<string>? status, CancellationToken cancellation)
    {
        if (descriptor is null)
        {
            var measured = new MeasuredLatencies(target);
            return measured.Covers(chosen)
                ? (measured.Predict([chosen])[0], null)
                : (null, $"{chosen.Digits} was never measured on the imported device {target.Device}; it cannot be verified.");
        }
        status?.Report($"measuring {chosen.Digits} on {descriptor.Name} to verify the budget");
        await using var runner = runners.Create(descriptor);
        // Measured as `latnas profile` would (the descriptor's protocol); a stored failure is tried again. Without the
        // drift correction: a verification asks what the device does now, and the correction would put the
        // measurement back on the profile's scale, hiding a device that has become slower since.
        var options = new ProfileOptions
        {
            Protocol = (descriptor.Protocol ?? MeasurementProtocol.Default) with { ReferenceArchitectures = 0 },
            RetryFailed = true,
        };
        var summary = await new Profiler(runner, store, options).RunAsync(space, [chosen], progress: null, cancellation);
        if (summary.Failures.Count > 0 || summary.StopReason is not null)
        {
            throw new RunFailedException($"verification on {descriptor.Name} failed: {summary.Failures.FirstOrDefault()?.Reason ?? summary.StopReason}");
        }
        var device = store.Devices.Get(descriptor.Name);
        return store.Measurements.Latencies(device, space).TryGetValue(chosen.Digits, out double latency)
            ? (latency, null)
            : throw new RunFailedException($"verification on {descriptor.Name} stored no measurement of {chosen.Digits}.");
    }
}

/// <summary>Searches under a series of budgets and writes the predicted Pareto front (CSV, PNG, SVG).</summary>
public sealed class SweepUseCase
{
    /// <param name="points">Told of each budget's outcome as it is found.</param>
    /// <exception cref="InvalidInputException">A bad budget, objective, strategy, device or output path (before anything is trained).</exception>
    public SweepResult Run(SweepRequest request, IProgress<SweepPoint>? points = null, IProgress<string>? status = null, CancellationToken cancellation = default)
    {
        if (request.MaxLatenciesMs is { } given && (given.Count == 0 || given.Any(b => !(b > 0 && double.IsFinite(b)))))
        {
            throw new InvalidInputException("--max-latency must list positive numbers of milliseconds.");
        }
        if (Directory.Exists(request.Out))
        {
            throw new InvalidInputException($"--out '{request.Out}' is a folder; give the CSV file to write.");
        }
        using var store = request.Store.OpenExisting();
        var setup = SearchSetup.Prepare(store, request.Store, request.Space, request.Latency, request.Objective, request.Strategy, request.Evaluations, request.Seed, status);
        var latency = setup.Latency();
        var budgets = request.MaxLatenciesMs ?? DefaultBudgets(request.Space, latency, request.Seed);

        var rows = new List<(SweepPoint Point, Candidate? Best)>();
        Candidate? bestSoFar = null;
        foreach (double budget in budgets.Order())
        {
            var outcome = setup.Strategy.Search(new SearchProblem(request.Space, latency, setup.Objective, budget), request.Evaluations, request.Seed, cancellation);
            // What fits a smaller budget fits this one: a search that found worse here (evolution can) keeps the better, so the front never falls.
            var best = bestSoFar is not null && (outcome.Best is null || bestSoFar.Objective > outcome.Best.Objective) ? bestSoFar : outcome.Best;
            bestSoFar = best;
            var point = new SweepPoint(budget, best is null ? null : request.Space.Format(best.Architecture), best?.Architecture.Digits, best is null ? null : request.Space.IndexOf(best.Architecture), best?.LatencyMs, best?.Objective, outcome.Evaluations);
            rows.Add((point, best));
            points?.Report(point);
        }
        var csv = new System.Text.StringBuilder("budget_ms,arch,ops,index,predicted_ms,objective,evaluations\n");
        foreach (var (p, _) in rows)
        {
            csv.Append(System.Globalization.CultureInfo.InvariantCulture,
                $"{p.MaxLatencyMs:G9},{(p.Arch is null ? "" : CsvTable.Escape(p.Arch))},{p.Ops},{p.Index},{p.PredictedMs:G9},{p.Objective:G9},{p.Evaluations}\n");
        }
        AtomicFile.WriteAllText(request.Out, csv.ToString());
        var front = Pareto.Front(rows.Where(r => r.Best is not null).Select((r, i) => new ParetoPoint(i, r.Best!.LatencyMs, r.Best.Objective)));
        string stem = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(request.Out))!, Path.GetFileNameWithoutExtension(request.Out));
        var plots = ReportWriter.WriteFront(stem, front.Select(p => p.Latency).ToArray(), front.Select(p => p.Objective).ToArray(), latency.Description,
            "predicted latency (ms)", request.Objective, $"Predicted Pareto front ({setup.Strategy.Name}, {budgets.Count} budgets)");
        return new SweepResult(setup.Target.Device, request.Objective, latency.Description, setup.Strategy.Name, rows.Select(r => r.Point).ToList(), front.Count,
            [Path.GetFullPath(request.Out), .. plots], setup.Trained);
    }

    private static IReadOnlyList<double> DefaultBudgets(SearchSpace space, ILatencyEstimator latency, int seed)
    {
        var sample = space.SampleDistinct((int)Math.Min(2_000, (double)space.Size), seed);
        double[] sorted = latency.Predict(sample).Order().ToArray();
        return ParetoReuse.BudgetPercentiles.Select(p => Descriptive.QuantileOfSorted(sorted, p / 100.0)).ToList();
    }
}

/// <summary>
/// What <see cref="SearchUseCase"/> and <see cref="SweepUseCase"/> share: the checked devices, objective and
/// strategy, and the latency model, built (training predictors where needed) only when asked for.
/// </summary>
internal sealed class SearchSetup
{
    private readonly ProfileStore _store;
    private readonly StoreLocation _location;
    private readonly SearchSpace _space;
    private readonly SearchLatency _request;
    private readonly LatencyData? _proxy;
    private readonly int _seed;
    private readonly IProgress<string>? _status;
    private readonly List<string> _trained = [];

    private SearchSetup(ProfileStore store, StoreLocation location, SearchSpace space, SearchLatency request, LatencyData target, LatencyData? proxy,
        IObjective objective, ISearchStrategy strategy, int seed, IProgress<string>? status)
    {
        _store = store;
        _location = location;
        _space = space;
        _request = request;
        Target = target;
        _proxy = proxy;
        Objective = objective;
        Strategy = strategy;
        _seed = seed;
        _status = status;
    }

    public LatencyData Target { get; }

    public IObjective Objective { get; }

    public ISearchStrategy Strategy { get; }

    /// <summary>Paths of the predictors trained so far.</summary>
    public IReadOnlyList<string> Trained => _trained;

    /// <exception cref="InvalidInputException">Anything the search cannot use, found before anything expensive happens.</exception>
    public static SearchSetup Prepare(ProfileStore store, StoreLocation location, SearchSpace space, SearchLatency request, string objective,
        SearchStrategyKind strategy, int evaluations, int seed, IProgress<string>? status)
    {
        if (evaluations < 1)
        {
            throw new InvalidInputException($"--evaluations must be at least 1 (got {evaluations}).");
        }
        strategy = SearchStrategies.For(strategy, space);
        if (strategy == SearchStrategyKind.Exhaustive && space.Size > 10_000_000)
        {
            throw new InvalidInputException($"The {space.Name} space has {space.Size:N0} members: too many for an exhaustive search; use --strategy evolution or random.");
        }
        if (request.Proxy is null && (request.TargetSamples is not null || request.Method is not null))
        {
            throw new InvalidInputException("--target-samples and --method adapt a proxy; give --proxy too.");
        }
        if (request.Method is not null && request.TargetSamples is null)
        {
            throw new InvalidInputException("--method says how to adapt the proxy with target samples; give --target-samples K too.");
        }
        if (request.Proxy is { } raw && request.TargetSamples is null && raw != request.Target)
        {
            // The budget is on the target; a proxy's own milliseconds are on another scale, and nothing would say so.
            throw new InvalidInputException(
                $"--proxy {raw} without --target-samples would compare a budget on {request.Target} with {raw}'s milliseconds; " +
                $"add --target-samples K to adapt {raw} to {request.Target} with K of its measurements, or search on {raw}'s scale with --target {raw}.");
        }
        var target = StoredLatencies.Load(store, request.Target, space);
        var proxy = request.Proxy is { } proxyName ? StoredLatencies.Load(store, proxyName, space) : null;
        // A search tests nothing on the target: all of a barely measured target's measurements may adapt the proxy.
        if (request.TargetSamples is { } k && (k < 3 || k > target.Count))
        {
            throw new InvalidInputException(k < 3
                ? $"--target-samples must be at least 3 (got {k})."
                : $"Device '{target.Device}' has {target.Count:N0} measured {space.Name} architectures; --target-samples {k} asks for more. Ask for at most {target.Count:N0}.");
        }
        var objectiveFunction = ObjectiveCatalog.Open(store, space, target.Dataset, objective, seed);
        return new SearchSetup(store, location, space, request, target, proxy, objectiveFunction, SearchStrategies.Create(strategy), seed, status);
    }

    /// <summary>The latency model the request asks for; may train and save predictors.</summary>
    public ILatencyEstimator Latency()
    {
        if (_proxy is null)
        {
            return _request.Mode == LatencyMode.Measured
                ? new MeasuredOrPredicted(Target, () => SavedOrTrained(Target))
                : SavedOrTrained(Target);
        }
        if (_request.TargetSamples is not { } k)
        {
            return SavedOrTrained(_proxy);
        }
        return StoredAdaptation.Adapt(_store, _space, _proxy, Target, k, _seed, _request.Sampling, _request.Method, needed: null, () => SavedOrTrained(_proxy));
    }

    /// <summary>The device's saved predictor, or one trained, tested and saved now exactly as <c>latnas train</c> would.</summary>
    private ILatencyEstimator SavedOrTrained(LatencyData device)
    {
        if (PredictorCatalog.TryLoad(_location, device.Device, _space) is { } saved)
        {
            return saved.Predictor;
        }
        int trainSize = PredictorCatalog.TrainSizeFor(null, device.Count);
        _status?.Report($"no saved predictor for {device.Device}; training one on {trainSize:N0} of its {device.Count:N0} measurements (saved as `latnas train` saves it)");
        var defaults = new TrainRequest(device.Device, _space, _location);
        var (_, path, trained) = PredictorCatalog.TrainAndSave(_location, device, defaults.Model, trainSize, defaults.Seed);
        _trained.Add(path);
        return trained.Predictor;
    }
}
