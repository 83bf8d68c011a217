using System.Diagnostics;
using LatencyNas.Core;
using LatencyNas.Core.Spaces;

namespace LatencyNas.Analysis.Search;

/// <summary>What a person (or a script) can do to a running search.</summary>
public enum SteeringKind
{
    /// <summary>Never evaluate <see cref="SteeringAction.Choice"/> at <see cref="SteeringAction.Decision"/> again.</summary>
    Ban,

    /// <summary>Evaluate only <see cref="SteeringAction.Choice"/> at <see cref="SteeringAction.Decision"/> from now on.</summary>
    Pin,

    /// <summary>Lift every ban and the pin at <see cref="SteeringAction.Decision"/>.</summary>
    Clear,

    /// <summary>Search under <see cref="SteeringAction.MaxLatencyMs"/> from now on.</summary>
    Budget,

    /// <summary>Evaluate <see cref="SteeringAction.Architectures"/> and put them into the population (evolution breeds from them).</summary>
    Promote,

    /// <summary>Evaluate nothing more until resumed.</summary>
    Pause,

    Resume,

    /// <summary>End the search now, with what it has found.</summary>
    Stop,
}

/// <summary>One action on a running search. Which fields it needs depends on <see cref="Kind"/>.</summary>
/// <param name="Decision">Ban, pin, clear: the decision's index (NB201: the cell edge, 0-5).</param>
/// <param name="Choice">Ban, pin: the choice's index at that decision (NB201: the operation, 0-4).</param>
/// <param name="MaxLatencyMs">Budget: the new latency budget.</param>
/// <param name="Architectures">Promote: architectures in any form the space parses.</param>
public sealed record SteeringAction(SteeringKind Kind, int? Decision = null, int? Choice = null, double? MaxLatencyMs = null, IReadOnlyList<string>? Architectures = null);

/// <summary>An action as the search applied it: before its step <paramref name="Step"/> (one proposed architecture), after <paramref name="Evaluations"/> evaluations.</summary>
public sealed record AppliedAction(int Step, int Evaluations, SteeringAction Action);

/// <summary>How a live search is paced. Defaults: starts running, as fast as it can.</summary>
public sealed record SearchControlOptions
{
    /// <summary>Wait for a <see cref="SteeringKind.Resume"/> before the first evaluation. Default false.</summary>
    public bool StartPaused { get; init; }

    /// <summary>At most this many evaluations per second, so a person can follow and steer; null: no limit. Default null.</summary>
    public double? EvaluationsPerSecond { get; init; }
}

/// <summary>
/// The controls of a running search and its log. Actions are posted from any thread, checked at once
/// (<see cref="Post"/> throws on one that cannot apply), and applied by the search before its next step
/// — the next architecture it proposes — in the order posted; each is logged with the step and the evaluation count
/// it applied at. A search replayed with that log (<see cref="Replay"/>) applies each action before the
/// same step and so evaluates the identical sequence: steps are deterministic for a seed, the time an
/// action arrived is not. A banned or unpinned choice in a proposed architecture is replaced by an allowed
/// one drawn with the control's own seeded random, so the strategies need not know of the constraints.
/// </summary>
public sealed class SearchControl
{
    /// <summary>The most architectures one promotion names (they are evaluated together, in one step).</summary>
    public const int MostPromoted = 64;

    private readonly SearchSpace _space;
    private readonly SearchControlOptions _options;
    private readonly IReadOnlyList<AppliedAction>? _script;
    private readonly object _gate = new();
    private readonly Queue<SteeringAction> _pending = [];
    private readonly List<AppliedAction> _applied = [];
    private readonly List<Candidate> _evaluated = [];
    private readonly Constraints _declared;
    private readonly Constraints _inForce;
    private readonly Random _repair;
    private readonly SemaphoreSlim _wake = new(0);
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _paused;
    private bool _pausedInForce;
    private bool _finished;
    private long _lastStepTicks;
    private int _lastStepCount;

    /// <summary>Controls for a live search over <paramref name="space"/>; <paramref name="seed"/> fixes the replacement of banned choices.</summary>
    public SearchControl(SearchSpace space, int seed, SearchControlOptions? options = null)
        : this(space, seed, options ?? new SearchControlOptions(), script: null)
    {
    }

    private SearchControl(SearchSpace space, int seed, SearchControlOptions options, IReadOnlyList<AppliedAction>? script)
    {
        if (options.EvaluationsPerSecond is { } rate && !(rate > 0 && double.IsFinite(rate)))
        {
            throw new InvalidInputException($"The pace must be a positive number of evaluations per second (got {rate}).");
        }
        _space = space;
        _options = options;
        _script = script;
        _declared = new Constraints(space);
        _inForce = new Constraints(space);
        // Apart from the strategy's own draws, and the same in every process: a record is replayed by another process, and
        // HashCode.Combine is seeded per process (it once made every command-line replay of a steered record differ).
        _repair = new Random(unchecked(seed * 7919 + 0x5EED));
        _paused = _pausedInForce = options.StartPaused && script is null;
    }

    /// <summary>Controls that apply <paramref name="log"/> (a recorded search's <see cref="Applied"/>) exactly where it was applied, without pauses or pacing.</summary>
    /// <exception cref="InvalidInputException">An action of the log that cannot apply to <paramref name="space"/>, or steps out of order.</exception>
    public static SearchControl Replay(SearchSpace space, int seed, IReadOnlyList<AppliedAction> log)
    {
        var check = new Constraints(space);
        for (int i = 0; i < log.Count; i++)
        {
            if (log[i].Step < 0 || i > 0 && log[i].Step < log[i - 1].Step)
            {
                throw new InvalidInputException($"Action {i + 1} of the log is at step {log[i].Step}, before the action ahead of it; a log lists its steps in order from 0.");
            }
            check.Apply(log[i].Action);
        }
        return new SearchControl(space, seed, new SearchControlOptions(), log);
    }

    /// <summary>Paused by the actions posted so far (applied or not).</summary>
    public bool Paused
    {
        get
        {
            lock (_gate)
            {
                return _paused;
            }
        }
    }

    /// <summary>True once the search has ended (finished, stopped, failed or cancelled); actions are refused from then on.</summary>
    public bool Finished
    {
        get
        {
            lock (_gate)
            {
                return _finished;
            }
        }
    }

    /// <summary>A task that completes at the next change: candidates evaluated, an action applied or posted, the end.</summary>
    public Task Changed
    {
        get
        {
            lock (_gate)
            {
                return _changed.Task;
            }
        }
    }

    /// <summary>A task that completes when the search reaches its first step (its setup done: it evaluates, or waits paused).</summary>
    public Task Started => _started.Task;

    /// <summary>The actions applied so far, in order.</summary>
    public IReadOnlyList<AppliedAction> Applied
    {
        get
        {
            lock (_gate)
            {
                return _applied.ToList();
            }
        }
    }

    /// <summary>How many architectures the search has evaluated so far.</summary>
    public int EvaluationCount
    {
        get
        {
            lock (_gate)
            {
                return _evaluated.Count;
            }
        }
    }

    /// <summary>The candidates evaluated from the <paramref name="from"/>-th on, in the order evaluated.</summary>
    public IReadOnlyList<Candidate> Evaluated(int from = 0)
    {
        lock (_gate)
        {
            return from >= _evaluated.Count ? [] : _evaluated.GetRange(Math.Max(0, from), _evaluated.Count - Math.Max(0, from));
        }
    }

    /// <summary>Queues an action for the search's next step.</summary>
    /// <exception cref="InvalidInputException">An action that cannot apply: a decision or choice the space lacks, a ban of every choice, a bad budget...</exception>
    /// <exception cref="InvalidOperationException">The search has ended, or replays a log.</exception>
    public void Post(SteeringAction action)
    {
        ArgumentNullException.ThrowIfNull(action);
        lock (_gate)
        {
            if (_script is not null)
            {
                throw new InvalidOperationException("A replayed search takes its actions from its log.");
            }
            if (_finished)
            {
                throw new InvalidOperationException("The search has ended; it takes no more actions.");
            }
            _declared.Apply(action);
            _paused = action.Kind == SteeringKind.Pause || _paused && action.Kind != SteeringKind.Resume;
            _pending.Enqueue(action);
            Signal();
        }
        _wake.Release();
    }

    /// <summary>Marks the search as ended and wakes everyone waiting on <see cref="Changed"/>.</summary>
    public void Complete()
    {
        lock (_gate)
        {
            _finished = true;
            Signal();
        }
        _wake.Release();
    }

    /// <summary>
    /// Before step <paramref name="step"/>: applies what is due (posted actions, or the log's for this step), waits while
    /// paused and for the pace, and says what changed.
    /// </summary>
    internal StepOrders BeforeStep(int step, int evaluations, CancellationToken cancellation)
    {
        _started.TrySetResult();
        var orders = new StepOrders();
        if (_script is not null)
        {
            foreach (var due in _script.Where(a => a.Step == step))
            {
                Apply(due.Action, step, evaluations, orders);
            }
            return orders;
        }
        while (true)
        {
            bool paused;
            lock (_gate)
            {
                while (_pending.TryDequeue(out var action))
                {
                    Apply(action, step, evaluations, orders);
                }
                paused = _pausedInForce;
            }
            if (orders.Stop)
            {
                return orders;
            }
            TimeSpan wait = paused ? Timeout.InfiniteTimeSpan : PaceWait(evaluations);
            if (!paused && wait <= TimeSpan.Zero)
            {
                _lastStepTicks = Stopwatch.GetTimestamp();
                _lastStepCount = evaluations;
                return orders;
            }
            _wake.Wait(wait, cancellation);
            if (paused)
            {
                _lastStepTicks = Stopwatch.GetTimestamp(); // the pace counts from the resume, it does not catch up on the pause
                _lastStepCount = evaluations;
            }
        }
    }

    private TimeSpan PaceWait(int evaluations)
    {
        if (_options.EvaluationsPerSecond is not { } rate || _lastStepTicks == 0)
        {
            return TimeSpan.Zero;
        }
        var due = TimeSpan.FromSeconds((evaluations - _lastStepCount) / rate);
        return due - Stopwatch.GetElapsedTime(_lastStepTicks);
    }

    private void Apply(SteeringAction action, int step, int evaluations, StepOrders orders)
    {
        _inForce.Apply(action);
        switch (action.Kind)
        {
            case SteeringKind.Budget:
                orders.MaxLatencyMs = action.MaxLatencyMs;
                break;
            case SteeringKind.Promote:
                orders.Promote.AddRange(action.Architectures!.Select(_space.Parse));
                break;
            case SteeringKind.Pause:
                _pausedInForce = true;
                break;
            case SteeringKind.Resume:
                _pausedInForce = false;
                break;
            case SteeringKind.Stop:
                orders.Stop = true;
                break;
        }
        lock (_gate)
        {
            _applied.Add(new AppliedAction(step, evaluations, action));
            Signal();
        }
    }

    /// <summary>The architecture with every banned or unpinned choice replaced by an allowed one.</summary>
    internal Architecture Repair(Architecture architecture) => _inForce.Repair(architecture, _repair);

    internal void Record(IReadOnlyList<Candidate> fresh)
    {
        if (fresh.Count == 0)
        {
            return;
        }
        lock (_gate)
        {
            _evaluated.AddRange(fresh);
            Signal();
        }
    }

    private void Signal()
    {
        var changed = _changed;
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        changed.SetResult();
    }

    /// <summary>Bans and pins per decision.</summary>
    private sealed class Constraints(SearchSpace space)
    {
        private readonly HashSet<int>[] _banned = space.Decisions.Select(_ => new HashSet<int>()).ToArray();
        private readonly int?[] _pinned = new int?[space.Decisions.Count];

        /// <exception cref="InvalidInputException">The action cannot apply to the constraints as they are.</exception>
        public void Apply(SteeringAction action)
        {
            switch (action.Kind)
            {
                case SteeringKind.Ban:
                {
                    var (d, c) = DecisionAndChoice(action);
                    if (_pinned[d] == c)
                    {
                        throw new InvalidInputException($"{Describe(d, c)} is pinned; clear {space.Decisions[d].Name} before banning it.");
                    }
                    if (_banned[d].Count + (_banned[d].Contains(c) ? 0 : 1) >= space.Decisions[d].Choices.Count)
                    {
                        throw new InvalidInputException($"Banning {Describe(d, c)} would leave {space.Decisions[d].Name} no choice.");
                    }
                    _banned[d].Add(c);
                    break;
                }
                case SteeringKind.Pin:
                {
                    var (d, c) = DecisionAndChoice(action);
                    if (_banned[d].Contains(c))
                    {
                        throw new InvalidInputException($"{Describe(d, c)} is banned; clear {space.Decisions[d].Name} before pinning it.");
                    }
                    _pinned[d] = c;
                    break;
                }
                case SteeringKind.Clear:
                {
                    int d = DecisionOf(action);
                    _banned[d].Clear();
                    _pinned[d] = null;
                    break;
                }
                case SteeringKind.Budget when !(action.MaxLatencyMs is { } budget && budget > 0 && double.IsFinite(budget)):
                    throw new InvalidInputException($"A budget must be a positive number of milliseconds (got {action.MaxLatencyMs?.ToString() ?? "none"}).");
                case SteeringKind.Promote:
                {
                    if (action.Architectures is not { Count: > 0 } architectures)
                    {
                        throw new InvalidInputException("Promote names the architectures to promote; the list is empty.");
                    }
                    if (architectures.Count > SearchControl.MostPromoted)
                    {
                        throw new InvalidInputException(
                            $"At most {SearchControl.MostPromoted} architectures are promoted at once ({architectures.Count} were named): they are evaluated together, before the next proposal.");
                    }
                    foreach (string text in architectures)
                    {
                        var architecture = space.Parse(text);
                        if (!Allows(architecture))
                        {
                            throw new InvalidInputException($"{space.Format(architecture)} has a banned or unpinned choice; it cannot be promoted while the constraints stand.");
                        }
                    }
                    break;
                }
                case SteeringKind.Budget or SteeringKind.Pause or SteeringKind.Resume or SteeringKind.Stop:
                    break;
                default:
                    throw new InvalidInputException($"Unknown action '{action.Kind}'.");
            }
        }

        public Architecture Repair(Architecture architecture, Random random)
        {
            var result = architecture;
            for (int d = 0; d < _pinned.Length; d++)
            {
                if (_pinned[d] is { } pin && result[d] != pin)
                {
                    result = result.With(d, pin);
                }
                else if (_banned[d].Contains(result[d]))
                {
                    var allowed = Enumerable.Range(0, space.Decisions[d].Choices.Count).Where(c => !_banned[d].Contains(c)).ToArray();
                    result = result.With(d, allowed[random.Next(allowed.Length)]);
                }
            }
            return result;
        }

        private bool Allows(Architecture architecture)
            => Enumerable.Range(0, _pinned.Length).All(d => (_pinned[d] ?? architecture[d]) == architecture[d] && !_banned[d].Contains(architecture[d]));

        private (int Decision, int Choice) DecisionAndChoice(SteeringAction action)
        {
            int d = DecisionOf(action);
            int count = space.Decisions[d].Choices.Count;
            return action.Choice is { } c && c >= 0 && c < count
                ? (d, c)
                : throw new InvalidInputException($"{action.Kind} needs a choice of {space.Decisions[d].Name} from 0 to {count - 1} (got {action.Choice?.ToString() ?? "none"}).");
        }

        private int DecisionOf(SteeringAction action)
            => action.Decision is { } d && d >= 0 && d < space.Decisions.Count
                ? d
                : throw new InvalidInputException($"{action.Kind} needs a decision of {space.Name} from 0 to {space.Decisions.Count - 1} (got {action.Decision?.ToString() ?? "none"}).");

        private string Describe(int d, int c) => $"{space.Decisions[d].Choices[c]} at {space.Decisions[d].Name}";
    }
}

/// <summary>What the actions applied before a step ask of the search.</summary>
internal sealed class StepOrders
{
    public double? MaxLatencyMs { get; set; }

    public List<Architecture> Promote { get; } = [];

    public bool Stop { get; set; }
}
