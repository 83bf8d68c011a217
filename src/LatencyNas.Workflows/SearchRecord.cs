using System.Text.Json;
using LatencyNas.Analysis.Search;
using LatencyNas.Core;
using LatencyNas.Core.IO;
using LatencyNas.Core.Spaces;

namespace LatencyNas.Workflows;

/// <summary>One evaluation of a search: the architecture's digits, its latency as the search saw it, its objective.</summary>
public sealed record SearchEvaluation(string Ops, double LatencyMs, double Objective);

/// <summary>
/// Everything needed to run a search again and check it: its settings, the actions that steered it (with the
/// step each applied at), the architectures it evaluated in order, and its result. Written as JSON
/// (<see cref="ResultJson"/>) by <c>latnas search --record</c> and by the workbench. <paramref name="Format"/> says how
/// the search that wrote it steps and repairs, so that a replay refuses a record it would not reproduce.
/// </summary>
public sealed record SearchRecord(
    int Format, string Space, SearchLatency Latency, string Objective, double MaxLatencyMs, SearchStrategyKind Strategy, int Evaluations, int Seed, double Margin,
    IReadOnlyList<AppliedAction> Actions, IReadOnlyList<SearchEvaluation> Evaluated, SearchResult? Result)
{
    /// <summary>The record of a search run with <paramref name="control"/> (what it applied and evaluated so far).</summary>
    public static SearchRecord Of(SearchRequest request, SearchControl control, SearchResult? result) => new(
        CurrentFormat, request.Space.Name, request.Latency, request.Objective, request.MaxLatencyMs, request.Strategy, request.Evaluations, request.Seed, request.Margin,
        control.Applied, control.Evaluated().Select(c => new SearchEvaluation(c.Architecture.Digits, c.LatencyMs, c.Objective)).ToList(), result);

    /// <summary>
    /// The format this version writes and replays: 2 since 2026-12-03, when a steered search began to take each proposal as a
    /// step of its own and to repair banned choices from a seed that is the same in every process. Records without a format
    /// (read as 0) were written before and replay differently.
    /// </summary>
    public const int CurrentFormat = 2;

    /// <summary>The request that runs this search again (never verified: a replay measures nothing).</summary>
    public SearchRequest ToRequest(SearchSpace space, StoreLocation store)
        => new(Latency, Objective, MaxLatencyMs, space, store, Strategy, Evaluations, Seed, Verify: false, Margin);

    /// <exception cref="InvalidInputException">The file is missing, is not a search record, or lacks a setting.</exception>
    public static SearchRecord Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new InvalidInputException($"No search record at '{path}'.");
        }
        SearchRecord? record;
        try
        {
            record = JsonSerializer.Deserialize<SearchRecord>(File.ReadAllText(path), ResultJson.Options);
        }
        catch (JsonException error)
        {
            throw new InvalidInputException($"'{path}' is not a search record: {error.Message}");
        }
        if (record is null || record.Space is null || record.Latency?.Target is null || record.Objective is null || record.Actions is null || record.Evaluated is null)
        {
            throw new InvalidInputException($"'{path}' is not a search record: it lacks the space, latency.target, objective, actions or evaluated.");
        }
        if (record.Format != CurrentFormat)
        {
            throw new InvalidInputException(record.Format < CurrentFormat
                ? $"'{path}' is a search record of format {record.Format} (written before 2026-12-03), which this latnas cannot reproduce (it steps and repairs bans as format {CurrentFormat}): run the search again to get a record it replays."
                : $"'{path}' is a search record of format {record.Format}, newer than this latnas reads ({CurrentFormat}): replay it with the latnas that wrote it.");
        }
        // The settings the command line would have refused are refused here too (with the exit code of bad input).
        if (record.Seed < 0 || record.Evaluations < 1 || !(record.MaxLatencyMs > 0 && double.IsFinite(record.MaxLatencyMs)) || !(record.Margin is >= 0 and < 1))
        {
            throw new InvalidInputException(
                $"'{path}' holds settings no search runs with (seed {record.Seed}, evaluations {record.Evaluations}, max latency {record.MaxLatencyMs} ms, margin {record.Margin}): was it edited?");
        }
        return record;
    }

    /// <summary>Writes the record atomically: a reader never sees half of it.</summary>
    public void Write(string path) => AtomicFile.WriteAllText(path, JsonSerializer.Serialize(this, ResultJson.Options));
}

/// <summary>A recorded search run again.</summary>
/// <param name="Result">The replay's result.</param>
/// <param name="RecordedEvaluations">How many evaluations the record lists.</param>
/// <param name="ReplayedEvaluations">How many the replay made.</param>
/// <param name="FirstDifference">The index of the first evaluation that differs from the record (or where one sequence ends early); null when identical.</param>
/// <param name="Recorded">The record's evaluation at <paramref name="FirstDifference"/>.</param>
/// <param name="Replayed">The replay's evaluation there.</param>
public sealed record SearchReplayResult(
    SearchResult Result, int RecordedEvaluations, int ReplayedEvaluations, int? FirstDifference, SearchEvaluation? Recorded, SearchEvaluation? Replayed)
{
    public bool Identical => FirstDifference is null;

    /// <summary>The replay's own record.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public SearchRecord? Record { get; init; }
}
