using System.Globalization;
using System.Net;
using System.Text;
using LatencyNas.Core.IO;
using LatencyNas.Core.Statistics;
using ScottPlot;

namespace LatencyNas.Analysis.Reports;

/// <summary>A device's Pareto front for the overlay plot (latency normalised per device).</summary>
public sealed record DeviceFront(string Device, IReadOnlyList<double> LatenciesMs, IReadOnlyList<double> Objectives);

/// <summary>What one report shows.</summary>
public sealed record ReportContent(
    MonotonicityMatrix Matrix,
    IReadOnlyList<DeviceFront> Fronts,
    string? ObjectiveName,
    string ScatterProxy,
    string ScatterTarget,
    IReadOnlyList<double> ScatterProxyMs,
    IReadOnlyList<double> ScatterTargetMs,
    IReadOnlyList<ParetoReuseResult> Reuse);

/// <summary>
/// Writes a report folder: PNG and SVG plots (ScottPlot) — an SRCC heatmap, Pareto fronts of
/// several devices overlaid (latency normalised by each device's fastest front member), and a
/// proxy-versus-target latency scatter — and an index.html that shows them with the tables.
/// </summary>
public static class ReportWriter
{
    public const string Heatmap = "srcc-heatmap";
    public const string Fronts = "pareto-fronts";
    public const string Scatter = "proxy-target-scatter";

    /// <returns>The files written.</returns>
    public static IReadOnlyList<string> Write(string directory, ReportContent content)
    {
        Directory.CreateDirectory(directory);
        var files = new List<string>();
        files.AddRange(Save(HeatmapPlot(content.Matrix), directory, Heatmap, 900, 760));
        if (content.Fronts.Count > 0)
        {
            files.AddRange(Save(FrontsPlot(content.Fronts, content.ObjectiveName ?? "objective"), directory, Fronts, 1000, 650));
        }
        files.AddRange(Save(ScatterPlot(content), directory, Scatter, 800, 700));
        string index = Path.Combine(directory, "index.html");
        AtomicFile.WriteAllText(index, Html(content, hasFronts: content.Fronts.Count > 0));
        files.Add(index);
        return files;
    }

    private static Plot HeatmapPlot(MonotonicityMatrix matrix)
    {
        int n = matrix.Devices.Count;
        var plot = new Plot();
        var heatmap = plot.Add.Heatmap(matrix.Srcc);
        heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
        plot.Add.ColorBar(heatmap);
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                // Heatmap rows run top to bottom: row i is drawn at y = n − 1 − i.
                var text = plot.Add.Text(matrix.Srcc[i, j].ToString("F2", CultureInfo.InvariantCulture), j, n - 1 - i);
                text.LabelFontSize = n <= 10 ? 14 : 9;
                text.LabelAlignment = Alignment.MiddleCenter;
                text.LabelFontColor = matrix.Srcc[i, j] > 0.6 ? Colors.Black : Colors.White;
            }
        }
        double[] positions = Enumerable.Range(0, n).Select(i => (double)i).ToArray();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(positions, matrix.Devices.ToArray());
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(positions, matrix.Devices.Reverse().ToArray());
        plot.Axes.Bottom.TickLabelStyle.Rotation = 45;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleLeft;
        plot.Axes.Bottom.MinimumSize = 140;
        plot.Axes.Left.MinimumSize = 140;
        plot.Title($"Latency rank correlation (SRCC) on {matrix.Architectures:N0} architectures");
        return plot;
    }

    private static Plot FrontsPlot(IReadOnlyList<DeviceFront> fronts, string objective)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        for (int d = 0; d < fronts.Count; d++)
        {
            var front = fronts[d];
            double fastest = front.LatenciesMs.Min();
            var scatter = plot.Add.Scatter(front.LatenciesMs.Select(l => l / fastest).ToArray(), front.Objectives.ToArray());
            scatter.LegendText = front.Device;
            scatter.Color = palette.GetColor(d);
            scatter.MarkerSize = 6;
            scatter.LineWidth = 1.5f;
            scatter.ConnectStyle = ConnectStyle.StepHorizontal;
        }
        plot.ShowLegend(Alignment.LowerRight);
        plot.XLabel("latency ÷ the device's fastest front member");
        plot.YLabel(objective);
        plot.Title("Pareto fronts (latency ↓, objective ↑) per device");
        return plot;
    }

    private static Plot ScatterPlot(ReportContent content)
    {
        var plot = new Plot();
        var points = plot.Add.ScatterPoints(content.ScatterProxyMs.ToArray(), content.ScatterTargetMs.ToArray());
        points.MarkerSize = 3;
        points.Color = Colors.SteelBlue.WithAlpha(0.5);
        plot.XLabel($"{content.ScatterProxy} latency (ms)");
        plot.YLabel($"{content.ScatterTarget} latency (ms)");
        double srcc = RankCorrelation.Spearman(content.ScatterProxyMs, content.ScatterTargetMs);
        plot.Title($"{content.ScatterProxy} vs {content.ScatterTarget}: SRCC {srcc:F3} on {content.ScatterProxyMs.Count:N0} architectures");
        return plot;
    }

    /// <summary>Writes a plot as PNG and SVG, each whole or not at all.</summary>
    /// <returns>The two files.</returns>
    public static IReadOnlyList<string> Save(Plot plot, string directory, string name, int width, int height)
    {
        string png = Path.Combine(directory, name + ".png");
        string svg = Path.Combine(directory, name + ".svg");
        AtomicFile.WriteAllBytes(png, plot.GetImageBytes(width, height, ImageFormat.Png));
        AtomicFile.WriteAllText(svg, plot.GetSvgXml(width, height));
        return [png, svg];
    }

    /// <summary>A Pareto front as a step line (PNG and SVG), e.g. the predicted front of a search sweep.</summary>
    /// <param name="stem">The files' path without extension.</param>
    /// <returns>The two files.</returns>
    public static IReadOnlyList<string> WriteFront(string stem, IReadOnlyList<double> latenciesMs, IReadOnlyList<double> objectives, string label,
        string xLabel, string objectiveName, string title)
    {
        var plot = new Plot();
        var line = plot.Add.Scatter(latenciesMs.ToArray(), objectives.ToArray());
        line.ConnectStyle = ConnectStyle.StepHorizontal;
        line.MarkerSize = 7;
        line.LegendText = label;
        plot.ShowLegend(Alignment.LowerRight);
        plot.XLabel(xLabel);
        plot.YLabel(objectiveName);
        plot.Title(title);
        string full = Path.GetFullPath(stem);
        return Save(plot, Path.GetDirectoryName(full)!, Path.GetFileName(full), 900, 600);
    }

    private static string Html(ReportContent content, bool hasFronts)
    {
        static string E(string text) => WebUtility.HtmlEncode(text);
        var html = new StringBuilder();
        html.Append("""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>LatencyNas report</title>
            <style>body{font-family:sans-serif;margin:2em;max-width:1100px} table{border-collapse:collapse;margin:1em 0}
            td,th{border:1px solid #ccc;padding:4px 8px;text-align:right} th:first-child,td:first-child{text-align:left} img{max-width:100%}</style>
            </head><body><h1>LatencyNas report</h1>
            """);
        var matrix = content.Matrix;
        html.Append($"<h2>Latency monotonicity</h2><p>SRCC of latency rankings on {matrix.Architectures:N0} shared architectures; pairs at or above {matrix.Threshold:F2} can re-use a proxy's Pareto front.</p>");
        html.Append($"<img src=\"{Heatmap}.png\" alt=\"SRCC heatmap\"><table><tr><th></th>");
        foreach (string device in matrix.Devices)
        {
            html.Append($"<th>{E(device)}</th>");
        }
        html.Append("</tr>");
        for (int i = 0; i < matrix.Devices.Count; i++)
        {
            html.Append($"<tr><td>{E(matrix.Devices[i])}</td>");
            for (int j = 0; j < matrix.Devices.Count; j++)
            {
                html.Append($"<td>{matrix.Srcc[i, j]:F3}</td>");
            }
            html.Append("</tr>");
        }
        html.Append("</table><table><tr><th>proxy</th><th>target</th><th>SRCC</th><th>95% CI</th><th>Kendall</th><th>verdict</th></tr>");
        foreach (var pair in matrix.Pairs.OrderByDescending(p => p.Srcc))
        {
            html.Append($"<tr><td>{E(pair.First)}</td><td>{E(pair.Second)}</td><td>{pair.Srcc:F4}</td><td>{pair.CiLow:F3}–{pair.CiHigh:F3}</td><td>{pair.Kendall:F4}</td><td>{pair.Verdict}</td></tr>");
        }
        html.Append("</table>");
        if (hasFronts)
        {
            html.Append($"<h2>Pareto fronts</h2><img src=\"{Fronts}.png\" alt=\"Pareto fronts\">");
        }
        if (content.Reuse.Count > 0)
        {
            html.Append("<h2>Pareto-front re-use</h2><table><tr><th>source</th><th>front</th><th>re-used</th><th>true front</th><th>hypervolume ratio</th><th>recovered</th></tr>");
            foreach (var r in content.Reuse)
            {
                html.Append($"<tr><td>{E(r.Source)}</td><td>{r.SourceFrontSize}</td><td>{r.ReusedFrontSize}</td><td>{r.TrueFrontSize}</td><td>{r.HypervolumeRatio:F4}</td><td>{r.RecoveredShare:P1}</td></tr>");
            }
            html.Append("</table>");
        }
        html.Append($"<h2>{E(content.ScatterProxy)} vs {E(content.ScatterTarget)}</h2><img src=\"{Scatter}.png\" alt=\"proxy versus target latency\">");
        html.Append("</body></html>\n");
        return html.ToString();
    }
}
