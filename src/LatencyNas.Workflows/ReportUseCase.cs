using LatencyNas.Analysis;
using LatencyNas.Analysis.Reports;
using LatencyNas.Core;
using LatencyNas.Core.Spaces;
using LatencyNas.Core.Statistics;
using LatencyNas.Prediction;

namespace LatencyNas.Workflows;

/// <param name="Devices">Names, <c>all</c>, or <c>prefix*</c>; at least two.</param>
/// <param name="Out">The folder to write the PNG, SVG and index.html into.</param>
/// <param name="Objective">Objective for the Pareto fronts; without it no fronts are drawn.</param>
/// <param name="Proxy">Proxy for the scatter plot and front re-use (null: the first device).</param>
/// <param name="Target">Target for the scatter plot (null: the first device that is not the proxy).</param>
public sealed record ReportRequest(
    IReadOnlyList<string> Devices, string Out, SearchSpace Space, StoreLocation Store, string? Objective = null, string? Proxy = null, string? Target = null,
    int Bootstrap = Monotonicity.DefaultBootstrap, int Seed = 0);

public sealed record ReportResult(string Folder, IReadOnlyList<string> Files, IReadOnlyList<string> Devices, int Architectures, string Proxy, string Target);

/// <summary>Writes the SRCC heatmap, the overlaid Pareto fronts and the proxy-versus-target scatter (PNG and SVG) and an index.html.</summary>
public sealed class ReportUseCase
{
    /// <exception cref="InvalidInputException">Fewer than two devices, an unknown device or objective, fewer than 3 shared architectures, or an output that is a file.</exception>
    public ReportResult Run(ReportRequest request)
    {
        if (File.Exists(request.Out))
        {
            throw new InvalidInputException($"--out '{request.Out}' is a file; a report is a folder.");
        }
        using var store = request.Store.OpenExisting();
        var names = StoredLatencies.Resolve(store, request.Devices);
        if (names.Count < 2)
        {
            throw new InvalidInputException("A report compares at least two devices.");
        }
        var objective = request.Objective is { } objectiveName ? store.Objectives.Get(objectiveName, request.Space) : null;
        string proxy = request.Proxy is { } p ? store.Devices.Get(p).Name : names[0];
        string target = request.Target is { } t ? store.Devices.Get(t).Name : names.First(n => n != proxy);
        var data = names.Concat([proxy, target]).Distinct().ToDictionary(n => n, n => StoredLatencies.Load(store, n, request.Space));
        var shared = Monotonicity.Shared(names.Select(n => (IReadOnlyCollection<Architecture>)data[n].Architectures));
        if (shared.Count < 3)
        {
            throw new InvalidInputException($"The devices share only {shared.Count} measured architectures; at least 3 are needed.");
        }
        var matrix = Monotonicity.Compute(names.Select(n => new DeviceLatencies(n, new MeasuredLatencies(data[n]).Predict(shared))).ToList(), shared.Count,
            bootstrap: request.Bootstrap, seed: request.Seed);
        var (proxyShared, targetShared) = LatencyData.Intersect(data[proxy], data[target]);

        var fronts = new List<DeviceFront>();
        var reuse = new List<ParetoReuseResult>();
        if (objective is not null)
        {
            var candidates = shared.Where(a => objective.ContainsKey(a.Digits)).ToList();
            double[] objectives = candidates.Select(a => objective[a.Digits]).ToArray();
            double[] proxyLatency = new MeasuredLatencies(data[proxy]).Predict(candidates);
            foreach (string name in names)
            {
                double[] latency = new MeasuredLatencies(data[name]).Predict(candidates);
                var front = Pareto.Front(candidates.Select((_, i) => new ParetoPoint(i, latency[i], objectives[i])));
                fronts.Add(new DeviceFront(name, front.Select(f => f.Latency).ToArray(), front.Select(f => f.Objective).ToArray()));
                if (name != proxy)
                {
                    reuse.Add(ParetoReuse.Evaluate($"{proxy} → {name}", candidates, proxyLatency, latency, objectives));
                }
            }
        }
        var files = ReportWriter.Write(request.Out, new ReportContent(
            matrix, fronts, request.Objective, proxy, target, proxyShared.LatenciesMs, targetShared.LatenciesMs, reuse));
        return new ReportResult(Path.GetFullPath(request.Out), files, names, shared.Count, proxy, target);
    }
}
