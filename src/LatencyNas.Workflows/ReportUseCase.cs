using System.Reflection;
using LatencyNas.Analysis;
using LatencyNas.Analysis.Reports;
using LatencyNas.Core;
using LatencyNas.Core.IO;
using LatencyNas.Core.Spaces;
using LatencyNas.Core.Statistics;
using LatencyNas.Prediction;

namespace LatencyNas.Workflows;

/// <param name="Devices">Names, <c>all</c>, or <c>prefix*</c>; at least two.</param>
/// <param name="Out">The folder to write the PNG, SVG, CSV and index.html into.</param>
/// <param name="Objective">Objective for the Pareto fronts; without it no fronts are drawn.</param>
/// <param name="Proxy">Proxy for the scatter plot and front re-use (null: the first device).</param>
/// <param name="Target">Target for the scatter plot (null: the first device that is not the proxy).</param>
/// <param name="CommandLine">The command that asked for the report, shown in index.html (null: made from code; the page says so).</param>
public sealed record ReportRequest(
    IReadOnlyList<string> Devices, string Out, SearchSpace Space, StoreLocation Store, string? Objective = null, string? Proxy = null, string? Target = null,
    int Bootstrap = Monotonicity.DefaultBootstrap, int Seed = 0, string? CommandLine = null);

/// <param name="Version">The LatencyNas version index.html names.</param>
/// <param name="CreatedUtc">The time index.html gives, to the second.</param>
public sealed record ReportResult(string Folder, IReadOnlyList<string> Files, IReadOnlyList<string> Devices, int Architectures, string Proxy, string Target,
    string Version, DateTimeOffset CreatedUtc);

/// <summary>
/// Writes the SRCC heatmap, the Pareto fronts (one panel per device) and the proxy-versus-target
/// scatter as PNG and SVG with the CSV of each, and an index.html that says what made them.
/// </summary>
public sealed class ReportUseCase
{
    /// <summary>The informational version of this build (e.g. <c>1.0.0+</c> and the commit it was built from).</summary>
    public static string Version { get; } = typeof(ReportUseCase).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(ReportUseCase).Assembly.GetName().Version?.ToString() ?? "unknown";

    /// <exception cref="InvalidInputException">Fewer than two devices, an unknown device or objective, an objective none of the shared architectures has,
    /// fewer than 3 shared architectures, or an output that cannot be a folder.</exception>
    public ReportResult Run(ReportRequest request)
    {
        AtomicFile.CheckFolder(request.Out, "--out");
        using var store = request.Store.OpenExisting();
        var names = StoredLatencies.Resolve(store, request.Devices, request.Space);
        if (names.Count < 2)
        {
            throw new InvalidInputException("A report compares at least two devices.");
        }
        if (request.Objective is { } objectiveName)
        {
            ObjectiveCatalog.Check(store, request.Space, objectiveName);
        }
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

        FrontsContent? fronts = null;
        var reuse = new List<ParetoReuseResult>();
        if (request.Objective is { } objective)
        {
            var (candidates, objectives) = ObjectiveCatalog.ValuesAmong(store, request.Space, data[target].Dataset, objective, request.Seed, shared);
            if (candidates.Count == 0)
            {
                throw new InvalidInputException($"Objective '{request.Objective}' has no value for any of the {shared.Count:N0} architectures the devices share.");
            }
            double[] proxyLatency = new MeasuredLatencies(data[proxy]).Predict(candidates);
            var devices = new List<DeviceFront>();
            foreach (string name in names)
            {
                double[] latency = new MeasuredLatencies(data[name]).Predict(candidates);
                var front = Pareto.Front(candidates.Select((_, i) => new ParetoPoint(i, latency[i], objectives[i])));
                devices.Add(new DeviceFront(name, front.Select(f => new FrontMember(
                    request.Space.Format(candidates[f.Index]), candidates[f.Index].Digits, f.Latency, f.Objective)).ToArray()));
                if (name != proxy)
                {
                    reuse.Add(ParetoReuse.Evaluate($"{proxy} → {name}", candidates, proxyLatency, latency, objectives));
                }
            }
            double floor = Descriptive.QuantileOfSorted(objectives.Order().ToArray(), ReportWriter.FrontFloorQuantile);
            fronts = new FrontsContent(request.Objective!, candidates.Count, floor, devices);
        }
        var scatter = new ScatterContent(proxy, target, proxyShared.Architectures.Select((a, i) =>
            new ScatterPoint(request.Space.Format(a), a.Digits, proxyShared.LatenciesMs[i], targetShared.LatenciesMs[i])).ToArray());
        // To the second: the page shows no more, and the result should say what the page says.
        var now = DateTimeOffset.UtcNow;
        var created = new DateTimeOffset(now.Ticks - now.Ticks % TimeSpan.TicksPerSecond, TimeSpan.Zero);
        var provenance = new ReportProvenance(request.CommandLine, Version, store.Location, created);
        var content = new ReportContent(matrix, fronts, scatter, reuse, provenance);
        var files = AtomicFile.WriteFolder(request.Out, staging => ReportWriter.Write(staging, content));
        return new ReportResult(Path.GetFullPath(request.Out), files, names, shared.Count, proxy, target, Version, created);
    }
}
