using LatencyNas.Core.Measurements;
using LatencyNas.Profiling.Runners;

namespace LatencyNas.Profiling;

/// <summary>
/// The models of one batch, prepared by every thread that takes part, each model by one of them: the
/// background thread that prepares ahead, and the measuring thread when it would otherwise wait for the
/// batch. Nothing is measured while the measuring thread prepares, so its help disturbs nothing, and a
/// profile whose preparation is slower than its measurement (a loaded second core) waits half as long.
/// The batch's reference architectures are prepared with it, after its own models: a reference measures the
/// machine's drift only if it is in the state of the models it is compared with (docs/measurement.md).
/// </summary>
internal sealed class BatchPreparation
{
    private readonly Func<ModelRequest, PreparedModel> _prepare;
    private readonly ModelRequest[] _all;
    private readonly PreparedModel[] _prepared;
    private readonly TaskCompletionSource _complete = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _taken = -1;
    private int _finished;

    /// <param name="requests">The batch's own models.</param>
    /// <param name="references">The reference architectures measured beside them (not among <paramref name="requests"/>).</param>
    /// <param name="prepare">Prepares one model; a failure is returned, not thrown. Called concurrently.</param>
    public BatchPreparation(IReadOnlyList<ModelRequest> requests, IReadOnlyList<ModelRequest> references, Func<ModelRequest, PreparedModel> prepare)
    {
        Requests = requests;
        _prepare = prepare;
        _all = [.. requests, .. references];
        _prepared = new PreparedModel[_all.Length];
        if (_all.Length == 0)
        {
            _complete.SetResult();
        }
    }

    public IReadOnlyList<ModelRequest> Requests { get; }

    /// <summary>Prepares the next model no thread has taken; false when none is left.</summary>
    public bool PrepareNext()
    {
        int index = Interlocked.Increment(ref _taken);
        if (index >= _prepared.Length)
        {
            return false;
        }
        _prepared[index] = _prepare(_all[index]);
        if (Interlocked.Increment(ref _finished) == _prepared.Length)
        {
            _complete.SetResult();
        }
        return true;
    }

    /// <summary>
    /// Prepares models until none is left to take, then waits for those other threads are still preparing. A reference
    /// that cannot be prepared is left out, not failed: it only leaves the batch with fewer references.
    /// </summary>
    public async Task<PreparedBatch> CompleteAsync()
    {
        while (PrepareNext())
        {
        }
        await _complete.Task;
        var own = _prepared.Take(Requests.Count).ToList();
        return new PreparedBatch(own.Select(p => p.Model).OfType<IPreparedModel>().ToList(), own.Select(p => p.Failure).OfType<ModelOutcome>().ToList(),
            _prepared.Skip(Requests.Count).Select(p => p.Model).OfType<IPreparedModel>().ToList());
    }

    /// <summary>Frees what was prepared of a batch that will not be measured. Only once no thread prepares any more.</summary>
    public void Abandon()
    {
        Interlocked.Exchange(ref _taken, _prepared.Length);
        foreach (var prepared in _prepared)
        {
            prepared.Model?.Dispose();
        }
    }
}

/// <summary>
/// A batch ready to measure: its prepared models, outcomes for those whose preparation failed, and the
/// reference architectures measured beside it (not recorded as measurements of the profile).
/// </summary>
internal sealed record PreparedBatch(IReadOnlyList<IPreparedModel> Models, IReadOnlyList<ModelOutcome> Failures, IReadOnlyList<IPreparedModel> ReferenceModels)
{
    public void Dispose()
    {
        foreach (var model in Models.Concat(ReferenceModels))
        {
            model.Dispose();
        }
    }
}

/// <summary>One request's prepared model, or the outcome that records why it could not be prepared.</summary>
internal readonly record struct PreparedModel(IPreparedModel? Model, ModelOutcome? Failure);
