using System.Runtime.ExceptionServices;

namespace LatencyNas.Prediction;

/// <summary>
/// Runs model fits on one worker per core, the work of many predictors in one pool, so that no core idles while
/// another has a queue. ML.NET trains one LightGBM model at a time in a process (a lock around the native
/// library), so a LightGBM fit is taken only while no other worker runs one: a worker that would wait on that
/// lock takes any other fit instead, and the LightGBM fits run one after another beside the rest.
/// </summary>
/// <remarks>
/// Work is taken in priority order, lowest first; work may add work. <see cref="Run"/> returns when all of it
/// is done, or throws the first failure (the fits running then finish, nothing new starts).
/// </remarks>
/// <param name="workers">Fits run at once (default: one per core).</param>
internal sealed class FitPool(CancellationToken cancellation, int? workers = null)
{
    private readonly object _gate = new();
    private readonly PriorityQueue<Action, (int Stage, long Order)> _oneAtATime = new();
    private readonly PriorityQueue<Action, (int Stage, long Order)> _any = new();
    private long _added;
    private int _unfinished;
    private bool _oneAtATimeRunning;
    private ExceptionDispatchInfo? _failure;

    /// <param name="oneAtATime">Work that must not run beside other such work (a LightGBM fit).</param>
    /// <param name="stage">Lower stages go first; within a stage, the order added.</param>
    public void Add(Action work, bool oneAtATime, int stage)
    {
        lock (_gate)
        {
            (oneAtATime ? _oneAtATime : _any).Enqueue(work, (stage, _added++));
            _unfinished++;
            Monitor.PulseAll(_gate);
        }
    }

    public void Run()
    {
        int running = Math.Max(1, Math.Min(workers ?? Environment.ProcessorCount, _unfinished));
        // Workers on thread-pool threads, where FastTree fits fastest (see MlNetPredictor.Fit).
        Task.WaitAll(Enumerable.Range(0, running).Select(_ => Task.Run(Work)).ToArray());
        _failure?.Throw();
        cancellation.ThrowIfCancellationRequested();
    }

    private void Work()
    {
        while (Take() is var (work, oneAtATime) && work is not null)
        {
            try
            {
                work();
            }
            catch (Exception e)
            {
                lock (_gate)
                {
                    _failure ??= ExceptionDispatchInfo.Capture(e);
                }
            }
            lock (_gate)
            {
                _unfinished--;
                _oneAtATimeRunning &= !oneAtATime;
                Monitor.PulseAll(_gate);
            }
        }
    }

    /// <returns>The next work and whether it runs one at a time, or no work when the pool is done, failed or cancelled.</returns>
    private (Action? Work, bool OneAtATime) Take()
    {
        lock (_gate)
        {
            while (_failure is null && !cancellation.IsCancellationRequested && _unfinished > 0)
            {
                if (!_oneAtATimeRunning && _oneAtATime.TryDequeue(out var first, out _))
                {
                    _oneAtATimeRunning = true;
                    return (first, true);
                }
                if (_any.TryDequeue(out var work, out _))
                {
                    return (work, false);
                }
                // Waits for running work to finish or add more; the timeout notices a cancellation nobody pulses for.
                Monitor.Wait(_gate, TimeSpan.FromMilliseconds(200));
            }
            Monitor.PulseAll(_gate);
            return (null, false);
        }
    }
}
