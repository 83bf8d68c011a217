using System.Diagnostics;
using LatencyNas.Core;
using LatencyNas.Core.Spaces;
using LatencyNas.Core.Statistics;

namespace LatencyNas.Workflows;

/// <param name="Objective">An objective in the store to rank the proxies against (e.g. cifar10_test_acc); without it only the cost is reported.</param>
public sealed record ZeroCostRequest(SearchSpace Space, Dataset Dataset, StoreLocation Store, int Count = 100, int Seed = 0, string? Objective = null);

/// <summary>
/// A training-free proxy on the sample: its rank correlation with the objective (null without one —
/// FBNet has no benchmark accuracies), the median and range of its scores, and its cost.
/// </summary>
public sealed record ZeroCostRow(string Proxy, double? Kendall, double? Srcc, double MedianScore, double MinScore, double MaxScore, double SecondsPerArchitecture);

/// <summary>How far one proxy has scored the sample.</summary>
public sealed record ZeroCostProgress(string Proxy, int Done, int Total);

public sealed record ZeroCostResult(string Space, string Dataset, int Architectures, string? Objective, IReadOnlyList<ZeroCostRow> Proxies);

/// <summary>Scores a sample with every training-free accuracy proxy (scores are cached in the store) and ranks each against an objective.</summary>
public sealed class ZeroCostUseCase
{
    /// <exception cref="InvalidInputException">An unknown objective, or a space without a network builder.</exception>
    /// <summary>Architectures scored between two progress reports.</summary>
    public const int ProgressStep = 10;

    /// <param name="rows">Each proxy's row as it finishes.</param>
    /// <param name="progress">Architectures scored so far, every <see cref="ProgressStep"/> and at each proxy's end.</param>
    public ZeroCostResult Run(ZeroCostRequest request, IProgress<ZeroCostRow>? rows = null, IProgress<ZeroCostProgress>? progress = null)
    {
        ExportUseCase.RequireBuilder(request.Space);
        using var store = request.Objective is null ? request.Store.OpenOrCreate() : request.Store.OpenExisting();
        var truth = request.Objective is { } name ? store.Objectives.Get(name, request.Space) : null;
        var sample = request.Space.SampleDistinct(request.Count, request.Seed).Where(a => truth is null || truth.ContainsKey(a.Digits)).ToList();
        if (sample.Count < 2)
        {
            throw new InvalidInputException($"Only {sample.Count} of the {request.Count} architectures drawn have '{request.Objective}'; draw more.");
        }
        var results = new List<ZeroCostRow>();
        foreach (string proxy in ObjectiveCatalog.Computed)
        {
            var clock = Stopwatch.StartNew();
            var objective = ObjectiveCatalog.Open(store, request.Space, request.Dataset, proxy, request.Seed);
            var scores = new List<double>(sample.Count);
            foreach (var chunk in sample.Chunk(ProgressStep))
            {
                scores.AddRange(objective.Evaluate(chunk));
                progress?.Report(new ZeroCostProgress(proxy, scores.Count, sample.Count));
            }
            double seconds = clock.Elapsed.TotalSeconds / sample.Count;
            double? kendall = null, srcc = null;
            if (truth is not null)
            {
                double[] accuracy = sample.Select(a => truth[a.Digits]).ToArray();
                kendall = RankCorrelation.KendallTauB(scores, accuracy);
                srcc = RankCorrelation.Spearman(scores, accuracy);
            }
            var row = new ZeroCostRow(proxy, kendall, srcc, Descriptive.Median(scores), scores.Min(), scores.Max(), seconds);
            results.Add(row);
            rows?.Report(row);
        }
        return new ZeroCostResult(request.Space.Name, request.Dataset.Name, sample.Count, request.Objective, results);
    }
}
