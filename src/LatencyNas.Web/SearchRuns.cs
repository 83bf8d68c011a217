using LatencyNas.Analysis;
using LatencyNas.Analysis.Search;
using LatencyNas.Core;
using LatencyNas.Core.Spaces;
using LatencyNas.Workflows;
using LatencyNas.Workflows.Runners;

namespace LatencyNas.Web;

/// <summary>A search the page asks to start: <see cref="SearchRequest"/>'s settings, and how the run is paced.</summary>
/// <param name="Mode">Without a proxy: the target's predictor, or its measurements where it has them.</param>
/// <param name="StartPaused">Wait for a resume before the first evaluation (so the page can steer from the start).</param>
/// <param name="EvaluationsPerSecond">Pace the search so a person can follow it; null: as fast as it goes.</param>
public sealed record SearchStart(
    string? Target, string? Objective, double? MaxLatencyMs, string? Space = null, string? Proxy = null, int? TargetSamples = null, AdaptationMethod? Method = null,
    SearchStrategyKind Strategy = SearchStrategyKind.Evolution, int Evaluations = SearchRequest.DefaultEvaluations, int Seed = 0,
    LatencyMode Mode = LatencyMode.Predicted, bool StartPaused = false, double? EvaluationsPerSecond = SearchStart.DefaultPace)
{
    /// <summary>The page's default pace: fast enough to finish 1,000 evaluations in 20 s, slow enough to steer.</summary>
    public const double DefaultPace = 50;
}

/// <summary>Where a run stands.</summary>
public enum SearchRunStatus
{
    /// <summary>Preparing (checking the settings, training a predictor it lacks) or evaluating.</summary>
    Running,
    Paused,
    Finished,

    /// <summary>Ended by a stop, with what it had found.</summary>
    Stopped,
    Failed,
}

/// <summary>A run as the page sees it: its settings, where it stands, what steered it, and its result once it has one.</summary>
/// <param name="Evaluated">Evaluations so far (the events stream them).</param>
/// <param name="Messages">What the run said about long steps (a predictor being trained).</param>
public sealed record SearchRunState(
    int Id, SearchRunStatus Status, string Space, SearchLatency Latency, string Objective, double MaxLatencyMs, SearchStrategyKind Strategy, int Evaluations, int Seed,
    IReadOnlyList<Decision> Decisions, int Evaluated, IReadOnlyList<AppliedAction> Actions, IReadOnlyList<string> Messages, SearchResult? Result, string? Error);

/// <summary>
/// The workbench's searches: one runs at a time — a second start while one runs is refused, so a page that posts twice
/// does not run the search twice. The last run stays readable (state, events, record) until the next starts. A run still
/// going (or paused) when the server stops is cancelled by <paramref name="stopping"/>.
/// </summary>
internal sealed class SearchRuns(StoreLocation store, CancellationToken stopping)
{
    private readonly object _gate = new();
    private Run? _current;
    private int _lastId;

    public Run? Current
    {
        get
        {
            lock (_gate)
            {
                return _current;
            }
        }
    }

    /// <summary>Starts a search and returns once it evaluates, waits paused, reports a long step or fails its checks.</summary>
    /// <exception cref="InvalidInputException">Settings the search cannot use (its checks run before anything is trained).</exception>
    /// <exception cref="InvalidOperationException">A search is running.</exception>
    public async Task<Run> StartAsync(SearchStart start, SearchSpace space)
    {
        var request = new SearchRequest(
            new SearchLatency(Required(start.Target, "target"), start.Proxy, start.TargetSamples, start.Method, start.Mode),
            Required(start.Objective, "objective"), start.MaxLatencyMs ?? throw new InvalidInputException("The field 'max_latency_ms' is required."),
            space, store, start.Strategy, start.Evaluations, start.Seed);
        var control = new SearchControl(space, start.Seed, new SearchControlOptions { StartPaused = start.StartPaused, EvaluationsPerSecond = start.EvaluationsPerSecond });
        Run run;
        Run? previous;
        lock (_gate)
        {
            previous = _current;
            if (_current is { Done: false } running)
            {
                throw new InvalidOperationException($"Search {running.Id} is still running; stop it (or let it finish) before starting another.");
            }
            run = _current = new Run(++_lastId, request, control);
        }
        run.Start(stopping);
        await Task.WhenAny(run.Completion, run.Control.Started, run.FirstMessage);
        if (run.Completion.IsFaulted && run.Control.EvaluationCount == 0 && run.Completion.Exception!.InnerException is InvalidInputException bad)
        {
            lock (_gate)
            {
                _current = _current == run ? previous : _current; // a start refused for its settings leaves the last run to read
            }
            throw bad;
        }
        return run;
    }

    private static string Required(string? value, string field)
        => string.IsNullOrWhiteSpace(value) ? throw new InvalidInputException($"The field '{field}' is required.") : value;

    internal sealed class Run(int id, SearchRequest request, SearchControl control)
    {
        private readonly List<string> _messages = [];
        private readonly TaskCompletionSource _firstMessage = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private Task<SearchResult>? _completion;

        public int Id { get; } = id;

        public SearchRequest Request { get; } = request;

        public SearchControl Control { get; } = control;

        public Task<SearchResult> Completion => _completion ?? throw new InvalidOperationException("Not started.");

        public Task FirstMessage => _firstMessage.Task;

        public bool Done => _completion?.IsCompleted ?? false;

        public void Start(CancellationToken stopping)
        {
            var status = new Progress(message =>
            {
                lock (_messages)
                {
                    _messages.Add(message);
                }
                _firstMessage.TrySetResult();
            });
            // The search is synchronous and blocks while paused: it runs on its own thread, not on a request's.
            _completion = Task.Run(() => new SearchUseCase(DeviceRunnerFactory.Instance).RunAsync(Request, status, stopping, Control));
        }

        public SearchRunState State()
        {
            var completion = Completion;
            SearchResult? result = completion.IsCompletedSuccessfully ? completion.Result : null;
            var status = completion.IsFaulted ? SearchRunStatus.Failed
                : result is not null ? result.Stopped ? SearchRunStatus.Stopped : SearchRunStatus.Finished
                : Control.Paused ? SearchRunStatus.Paused : SearchRunStatus.Running;
            string? error = completion.Exception?.InnerException is { } failure
                ? failure is LatencyNasException ? failure.Message : $"The search failed unexpectedly ({failure.GetType().Name}: {failure.Message})."
                : null;
            List<string> messages;
            lock (_messages)
            {
                messages = [.. _messages];
            }
            return new SearchRunState(Id, status, Request.Space.Name, Request.Latency, Request.Objective, Request.MaxLatencyMs, Request.Strategy, Request.Evaluations,
                Request.Seed, Request.Space.Decisions, Control.EvaluationCount, Control.Applied, messages, result, error);
        }

        /// <summary>The run's record: settings, actions, evaluations so far, and the result once finished.</summary>
        public SearchRecord Record() => SearchRecord.Of(Request, Control, Completion.IsCompletedSuccessfully ? Completion.Result : null);

        private sealed class Progress(Action<string> report) : IProgress<string>
        {
            public void Report(string value) => report(value);
        }
    }
}
