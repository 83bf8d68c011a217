using System.Globalization;
using System.Net;
using System.Text;
using LatencyNas.Core;
using LatencyNas.Core.IO;
using LatencyNas.Core.Statistics;
using LatencyNas.Core.Tables;
using ScottPlot;
using SkiaSharp;

namespace LatencyNas.Analysis.Reports;

/// <summary>An architecture on a device's Pareto front: its canonical form, its ops digits, its latency and its objective.</summary>
public sealed record FrontMember(string Arch, string Ops, double LatencyMs, double Objective);

/// <summary>A device's Pareto front, by latency ascending (so by objective ascending).</summary>
public sealed record DeviceFront(string Device, IReadOnlyList<FrontMember> Members);

/// <summary>
/// The Pareto fronts of several devices on one objective. <paramref name="Floor"/> is the lowest
/// objective drawn (<see cref="ReportWriter.FrontFloorQuantile"/> of the candidates' objectives):
/// the few members below it — e.g. disconnected cells measured at 0.003 ms with 10% accuracy —
/// would stretch the axes over the part that matters; they stay in the CSV and the page names them.
/// </summary>
public sealed record FrontsContent(string Objective, int Candidates, double Floor, IReadOnlyList<DeviceFront> Devices);

/// <summary>One architecture's latency on the proxy and on the target.</summary>
public sealed record ScatterPoint(string Arch, string Ops, double ProxyMs, double TargetMs);

public sealed record ScatterContent(string Proxy, string Target, IReadOnlyList<ScatterPoint> Points);

/// <summary>One curve of <see cref="ReportWriter.WriteProgress"/>: values at increasing counts.</summary>
public sealed record ProgressSeries(string Label, IReadOnlyList<double> Counts, IReadOnlyList<double> Values);

/// <summary>What made a report: the command line (null when called from code), the LatencyNas version, the store's full path and the time (UTC).</summary>
public sealed record ReportProvenance(string? CommandLine, string Version, string StorePath, DateTimeOffset CreatedUtc);

/// <summary>What one report shows; no fronts without an objective.</summary>
public sealed record ReportContent(
    MonotonicityMatrix Matrix,
    FrontsContent? Fronts,
    ScatterContent Scatter,
    IReadOnlyList<ParetoReuseResult> Reuse,
    ReportProvenance Provenance);

/// <summary>
/// Writes a report folder: for each plot a PNG, an SVG (ScottPlot) and the CSV of the data drawn —
/// an SRCC heatmap on a fixed 0–1 colour scale, the Pareto fronts as one panel per device, and a
/// proxy-versus-target latency scatter with y = x and the least-squares line — and an index.html
/// that shows them with the tables, says what made the report and links every file.
/// </summary>
public static class ReportWriter
{
    public const string Heatmap = "srcc-heatmap";
    public const string Fronts = "pareto-fronts";
    public const string Scatter = "proxy-target-scatter";
    public const string Index = "index.html";

    /// <summary>The fronts are drawn from this quantile of the candidates' objectives up (see <see cref="FrontsContent"/>).</summary>
    public const double FrontFloorQuantile = 0.10;

    private static readonly ScottPlot.Range SrccScale = new(0, 1);

    /// <returns>The files written: each plot's PNG, SVG and CSV, then index.html.</returns>
    public static IReadOnlyList<string> Write(string directory, ReportContent content)
    {
        Directory.CreateDirectory(directory);
        var files = new List<string>();
        var (heatmapWidth, heatmapHeight) = HeatmapSize(content.Matrix.Devices.Count);
        files.AddRange(Save(HeatmapPlot(content.Matrix), directory, Heatmap, heatmapWidth, heatmapHeight));
        files.Add(WriteCsv(directory, Heatmap, HeatmapCsv(content.Matrix)));
        if (content.Fronts is { } fronts)
        {
            files.AddRange(SaveFronts(fronts, directory));
            files.Add(WriteCsv(directory, Fronts, FrontsCsv(fronts)));
        }
        var fit = ScatterFit(content.Scatter);
        files.AddRange(Save(ScatterPlot(content.Scatter, fit), directory, Scatter, 800, 700));
        files.Add(WriteCsv(directory, Scatter, ScatterCsv(content.Scatter)));
        string index = Path.Combine(directory, Index);
        AtomicFile.WriteAllText(index, Html(content, fit));
        files.Add(index);
        return files;
    }

    /// <summary>The text colour of a cell: black or white, whichever contrasts more with <paramref name="fill"/> (WCAG relative luminance).</summary>
    internal static Color CellTextColor(Color fill)
        => ContrastRatio(RelativeLuminance(fill), 0) >= ContrastRatio(RelativeLuminance(fill), 1) ? Colors.Black : Colors.White;

    /// <summary>WCAG 2 relative luminance of an sRGB colour (0 black, 1 white).</summary>
    internal static double RelativeLuminance(Color color)
    {
        static double Linear(byte channel)
        {
            double value = channel / 255.0;
            return value <= 0.04045 ? value / 12.92 : Math.Pow((value + 0.055) / 1.055, 2.4);
        }
        return 0.2126 * Linear(color.R) + 0.7152 * Linear(color.G) + 0.0722 * Linear(color.B);
    }

    /// <summary>WCAG 2 contrast ratio of two relative luminances (1 to 21).</summary>
    internal static double ContrastRatio(double first, double second) => (Math.Max(first, second) + 0.05) / (Math.Min(first, second) + 0.05);

    /// <summary>The colour a heatmap cell of this SRCC is filled with: the fixed 0–1 scale, values below 0 clamped to 0.</summary>
    internal static Color SrccColor(double srcc) => SrccColormap.GetColor(Math.Clamp(srcc, 0, 1), SrccScale);

    private static readonly IColormap SrccColormap = new ScottPlot.Colormaps.Viridis();

    private static (int Width, int Height) HeatmapSize(int devices)
    {
        int cell = devices <= 10 ? 90 : Math.Max(28, 900 / devices);
        return (360 + devices * cell, 260 + devices * cell);
    }

    private static Plot HeatmapPlot(MonotonicityMatrix matrix)
    {
        int n = matrix.Devices.Count;
        var clamped = new double[n, n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                clamped[i, j] = Math.Clamp(matrix.Srcc[i, j], 0, 1);
            }
        }
        var plot = new Plot();
        var heatmap = plot.Add.Heatmap(clamped);
        heatmap.Colormap = SrccColormap;
        heatmap.ManualRange = SrccScale;
        var colorBar = plot.Add.ColorBar(heatmap);
        colorBar.Axis.Label.Text = "SRCC (colour scale fixed at 0 to 1; below 0 drawn as 0)";
        colorBar.Axis.Label.FontSize = 13;
        colorBar.Axis.TickGenerator = new ScottPlot.TickGenerators.NumericManual([0, 0.2, 0.4, 0.6, 0.8, 1], ["0", "0.2", "0.4", "0.6", "0.8", "1"]);
        float cellFontSize = n <= 10 ? 16 : n <= 16 ? 11 : 8;
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                // Heatmap rows run top to bottom: row i is drawn at y = n − 1 − i.
                var text = plot.Add.Text(double.IsFinite(matrix.Srcc[i, j]) ? matrix.Srcc[i, j].ToString("F2", CultureInfo.InvariantCulture) : NumberText.None, j, n - 1 - i);
                text.LabelFontSize = cellFontSize;
                text.LabelAlignment = Alignment.MiddleCenter;
                text.LabelFontColor = CellTextColor(SrccColor(matrix.Srcc[i, j]));
            }
        }
        double[] positions = Enumerable.Range(0, n).Select(i => (double)i).ToArray();
        var bottom = plot.Axes.Bottom;
        bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(positions, matrix.Devices.ToArray());
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(positions, matrix.Devices.Reverse().ToArray());
        plot.Axes.Left.TickLabelStyle.FontSize = 13;
        bottom.TickLabelStyle.FontSize = 13;
        // Rotated 45° counter-clockwise and ending at its tick, a label runs down and away from the
        // ticks beside it instead of starting on its own tick mark.
        bottom.TickLabelStyle.Rotation = -45;
        bottom.TickLabelStyle.Alignment = Alignment.MiddleRight;
        bottom.TickLabelStyle.OffsetY = 6;
        using var paint = Paint.NewDisposablePaint();
        float widest = matrix.Devices.Max(d => bottom.TickLabelStyle.Measure(d, paint).Width);
        bottom.MinimumSize = widest * 0.71f + 40;
        plot.HideGrid();
        plot.Axes.SetLimits(-0.5, n - 0.5, -0.5, n - 0.5);
        plot.Title($"Latency rank correlation (SRCC) on {matrix.Architectures:N0} architectures");
        return plot;
    }

    /// <summary>
    /// Where a panel's note covers no point: a front rises to the right, so the lower right corner is
    /// empty when it saturates (accuracy) and the upper left one when it keeps climbing (MACs).
    /// </summary>
    private static Alignment EmptyCorner(IReadOnlyList<FrontMember> members, double right, double bottom, double top)
    {
        bool Any(Func<double, double, bool> inBox) => members.Any(m => inBox(m.LatencyMs / right, (m.Objective - bottom) / (top - bottom)));
        return !Any((x, y) => x > 0.45 && y < 0.25) ? Alignment.LowerRight
            : !Any((x, y) => x < 0.55 && y > 0.75) ? Alignment.UpperLeft
            : Alignment.LowerRight;
    }

    private static IReadOnlyList<string> SaveFronts(FrontsContent fronts, string directory)
    {
        int n = fronts.Devices.Count;
        int columns = (int)Math.Ceiling(Math.Sqrt(n));
        int rows = (int)Math.Ceiling(n / (double)columns);
        const int titleHeight = 44;
        // Whole-pixel panels: each one's background then covers exactly what its clear painted.
        const int panelHeight = 330;
        int panelWidth = 1000 / columns;
        int width = panelWidth * columns, height = titleHeight + panelHeight * rows;

        var drawn = fronts.Devices.Select(d => d.Members.Where(m => m.Objective >= fronts.Floor).ToList()).ToList();
        double lowest = drawn.SelectMany(d => d).Min(m => m.Objective);
        double highest = drawn.SelectMany(d => d).Max(m => m.Objective);
        double margin = Math.Max((highest - lowest) * 0.04, 1e-9);
        var palette = new ScottPlot.Palettes.Category10();
        var panels = new List<Plot>();
        for (int d = 0; d < n; d++)
        {
            var front = fronts.Devices[d];
            var members = drawn[d];
            var plot = new Plot();
            var line = plot.Add.Scatter(members.Select(m => m.LatencyMs).ToArray(), members.Select(m => m.Objective).ToArray());
            line.ConnectStyle = ConnectStyle.StepHorizontal;
            line.Color = palette.GetColor(d);
            line.MarkerSize = 5;
            line.LineWidth = 1.5f;
            plot.Title(front.Device, size: 14);
            plot.XLabel("latency (ms)", size: 12);
            if (d % columns == 0)
            {
                plot.YLabel(fronts.Objective, size: 12);
            }
            int cut = front.Members.Count - members.Count;
            double right = members.Max(m => m.LatencyMs) * 1.05;
            var note = plot.Add.Annotation(cut == 0
                ? $"{front.Members.Count} on the front"
                : $"{front.Members.Count} on the front,\n{cut} below {ObjectiveText.Of(fronts.Floor)} not drawn",
                EmptyCorner(members, right, lowest - margin, highest + margin));
            note.LabelFontSize = 12;
            note.LabelBackgroundColor = Colors.White;
            note.LabelBorderColor = Colors.Gray;
            note.LabelShadowColor = Colors.Transparent;
            plot.Axes.SetLimits(0, right, lowest - margin, highest + margin);
            panels.Add(plot);
        }
        string title = $"Pareto fronts per device: {fronts.Objective} (higher is better) against latency";

        void Draw(SKCanvas canvas)
        {
            canvas.Clear(SKColors.White);
            for (int d = 0; d < n; d++)
            {
                int left = d % columns * panelWidth, top = titleHeight + d / columns * panelHeight;
                // A plot clears the whole canvas before it draws; the clip keeps it to its panel.
                canvas.Save();
                canvas.ClipRect(new SKRect(left, top, left + panelWidth, top + panelHeight));
                panels[d].Render(canvas, new PixelRect(left, left + panelWidth, top + panelHeight, top));
                canvas.Restore();
            }
            using var font = new SKFont(SKTypeface.FromFamilyName(ScottPlot.Fonts.Default, SKFontStyle.Bold), 17);
            using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
            canvas.DrawText(title, width / 2f, 28, SKTextAlign.Center, font, ink);
        }

        string png = Path.Combine(directory, Fronts + ".png");
        string svg = Path.Combine(directory, Fronts + ".svg");
        using (var surface = SKSurface.Create(new SKImageInfo(width, height)))
        {
            Draw(surface.Canvas);
            using var image = surface.Snapshot();
            using var encoded = image.Encode(SKEncodedImageFormat.Png, 100);
            AtomicFile.WriteAllBytes(png, encoded.ToArray());
        }
        using var svgStream = new MemoryStream();
        using (var canvas = SKSvgCanvas.Create(new SKRect(0, 0, width, height), svgStream))
        {
            Draw(canvas);
        }
        AtomicFile.WriteAllBytes(svg, svgStream.ToArray());
        return [png, svg];
    }

    private static LinearFit ScatterFit(ScatterContent scatter)
        => LinearFit.LeastSquares(scatter.Points.Select(p => p.ProxyMs).ToArray(), scatter.Points.Select(p => p.TargetMs).ToArray());

    private static string FitText(ScatterContent scatter, LinearFit fit)
        => double.IsNaN(fit.Slope)
            ? "none (the proxy's latencies are all equal)"
            : string.Create(CultureInfo.InvariantCulture,
                $"{scatter.Target} = {fit.Slope:F3} × {scatter.Proxy} {(fit.Intercept < 0 ? "−" : "+")} {Math.Abs(fit.Intercept):F3} ms (R² {fit.RSquared:F3})");

    private static Plot ScatterPlot(ScatterContent scatter, LinearFit fit)
    {
        double[] proxy = scatter.Points.Select(p => p.ProxyMs).ToArray();
        double[] target = scatter.Points.Select(p => p.TargetMs).ToArray();
        var plot = new Plot();
        var points = plot.Add.ScatterPoints(proxy, target);
        points.MarkerSize = 3;
        points.Color = Colors.SteelBlue.WithAlpha(0.4);
        points.LegendText = $"{proxy.Length:N0} architectures";
        double xMax = proxy.Max() * 1.04, yMax = target.Max() * 1.04;
        double diagonal = Math.Max(xMax, yMax);
        var identity = plot.Add.Line(0, 0, diagonal, diagonal);
        identity.Color = Colors.Gray;
        identity.LinePattern = LinePattern.Dashed;
        identity.LineWidth = 1.5f;
        identity.LegendText = "y = x";
        if (!double.IsNaN(fit.Slope))
        {
            var line = plot.Add.Line(0, fit.Intercept, xMax, fit.At(xMax));
            line.Color = Colors.OrangeRed;
            line.LineWidth = 2;
            line.LegendText = "least squares: " + FitText(scatter, fit);
        }
        plot.ShowLegend(Alignment.UpperLeft);
        // Latencies are positive: both axes start at 0, so the lines' offsets from the origin show.
        plot.Axes.SetLimits(0, xMax, 0, yMax);
        plot.XLabel($"{scatter.Proxy} latency (ms)");
        plot.YLabel($"{scatter.Target} latency (ms)");
        double srcc = RankCorrelation.Spearman(proxy, target);
        plot.Title($"{scatter.Proxy} vs {scatter.Target}: SRCC {srcc:F3} on {proxy.Length:N0} architectures");
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

    /// <summary>
    /// Curves of a value against a count on a logarithmic x axis (PNG and SVG), e.g. a search's best
    /// objective so far against its evaluations.
    /// </summary>
    /// <param name="stem">The files' path without extension.</param>
    /// <returns>The two files.</returns>
    public static IReadOnlyList<string> WriteProgress(string stem, IReadOnlyList<ProgressSeries> series, string yLabel, string title)
    {
        var plot = new Plot();
        foreach (var s in series)
        {
            var line = plot.Add.Scatter(s.Counts.Select(Math.Log10).ToArray(), s.Values.ToArray());
            line.LegendText = s.Label;
            line.MarkerSize = 5;
        }
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = x => Math.Pow(10, x).ToString("N0", CultureInfo.InvariantCulture),
        };
        plot.ShowLegend(Alignment.LowerRight);
        plot.XLabel("evaluations");
        plot.YLabel(yLabel);
        plot.Title(title);
        string full = Path.GetFullPath(stem);
        return Save(plot, Path.GetDirectoryName(full)!, Path.GetFileName(full), 900, 600);
    }

    private static string WriteCsv(string directory, string name, string text)
    {
        string path = Path.Combine(directory, name + ".csv");
        AtomicFile.WriteAllText(path, text);
        return path;
    }

    /// <summary>Shortest text that reads back as the same double.</summary>
    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>The SRCC matrix: a <c>device</c> column, then one column per device.</summary>
    internal static string HeatmapCsv(MonotonicityMatrix matrix)
    {
        var csv = new StringBuilder("device");
        foreach (string device in matrix.Devices)
        {
            csv.Append(',').Append(CsvTable.Escape(device));
        }
        csv.Append('\n');
        for (int i = 0; i < matrix.Devices.Count; i++)
        {
            csv.Append(CsvTable.Escape(matrix.Devices[i]));
            for (int j = 0; j < matrix.Devices.Count; j++)
            {
                csv.Append(',').Append(double.IsFinite(matrix.Srcc[i, j]) ? Number(matrix.Srcc[i, j]) : ""); // undefined: an empty cell, not "NaN"
            }
            csv.Append('\n');
        }
        return csv.ToString();
    }

    /// <summary>Every front member, drawn or not: <c>device,latency_ms,objective,arch,ops,drawn</c>.</summary>
    internal static string FrontsCsv(FrontsContent fronts)
    {
        var csv = new StringBuilder("device,latency_ms,objective,arch,ops,drawn\n");
        foreach (var front in fronts.Devices)
        {
            foreach (var m in front.Members)
            {
                csv.AppendJoin(',', CsvTable.Escape(front.Device), Number(m.LatencyMs), Number(m.Objective), CsvTable.Escape(m.Arch), m.Ops,
                    m.Objective >= fronts.Floor ? "true" : "false").Append('\n');
            }
        }
        return csv.ToString();
    }

    /// <summary><c>arch,ops,proxy_ms,target_ms</c>, one row per architecture drawn.</summary>
    internal static string ScatterCsv(ScatterContent scatter)
    {
        var csv = new StringBuilder("arch,ops,proxy_ms,target_ms\n");
        foreach (var p in scatter.Points)
        {
            csv.AppendJoin(',', CsvTable.Escape(p.Arch), p.Ops, Number(p.ProxyMs), Number(p.TargetMs)).Append('\n');
        }
        return csv.ToString();
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);

    private static string Links(string name)
        => $"<p class=\"files\"><a href=\"{name}.png\">PNG</a> · <a href=\"{name}.svg\">SVG</a> · <a href=\"{name}.csv\">CSV</a></p>";

    private static string Html(ReportContent content, LinearFit fit)
    {
        var html = new StringBuilder();
        var provenance = content.Provenance;
        var matrix = content.Matrix;
        html.Append("""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>LatencyNas report</title>
            <link rel="icon" href="data:,">
            <style>body{font-family:sans-serif;margin:2em;max-width:1100px;line-height:1.4} table{border-collapse:collapse;margin:1em 0}
            td,th{border:1px solid #ccc;padding:4px 8px;text-align:right} th:first-child,td:first-child{text-align:left}
            table.about td,table.about th{text-align:left} code{background:#f4f4f4;padding:1px 4px;word-break:break-all}
            img{max-width:100%;border:1px solid #eee} figure{margin:1em 0} figcaption{color:#333} p.files a{font-weight:bold}</style>
            </head><body><h1>LatencyNas report</h1>
            """);
        html.Append("<table class=\"about\">");
        html.Append($"<tr><th>command</th><td><code>{E(provenance.CommandLine ?? "(not recorded: the report was made from code, not the command line)")}</code></td></tr>");
        html.Append($"<tr><th>LatencyNas version</th><td>{E(provenance.Version)}</td></tr>");
        html.Append($"<tr><th>profile store</th><td><code>{E(provenance.StorePath)}</code></td></tr>");
        html.Append($"<tr><th>created (UTC)</th><td><time datetime=\"{Iso(provenance.CreatedUtc)}\">{Iso(provenance.CreatedUtc)}</time></td></tr>");
        html.Append($"<tr><th>devices</th><td>{E(string.Join(", ", matrix.Devices))}</td></tr>");
        html.Append("</table>");

        html.Append($"<h2>Latency monotonicity</h2><figure><img src=\"{Heatmap}.png\" alt=\"SRCC heatmap\"><figcaption>");
        html.Append($"SRCC of the devices' latency rankings on {matrix.Architectures:N0} shared architectures. The colour scale is fixed at 0 to 1 in every report, " +
                    $"so figures compare; an SRCC below 0 would be drawn as 0 (the number in the cell is exact). Pairs at or above {matrix.Threshold:F2} can re-use a proxy's Pareto front.");
        html.Append("</figcaption></figure>").Append(Links(Heatmap));
        html.Append("<table><tr><th></th>");
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
                html.Append($"<td>{NumberText.Of(matrix.Srcc[i, j], "F3")}</td>");
            }
            html.Append("</tr>");
        }
        html.Append("</table><table><tr><th>proxy</th><th>target</th><th>SRCC</th><th>95% CI</th><th>Kendall</th><th>verdict</th></tr>");
        foreach (var pair in matrix.Pairs.OrderByDescending(p => double.IsNaN(p.Srcc) ? double.NegativeInfinity : p.Srcc))
        {
            html.Append($"<tr><td>{E(pair.First)}</td><td>{E(pair.Second)}</td><td>{NumberText.Of(pair.Srcc, "F4")}</td><td>{NumberText.Interval(pair.CiLow, pair.CiHigh)}</td>" +
                        $"<td>{NumberText.Of(pair.Kendall, "F4")}</td><td>{pair.Verdict}</td></tr>");
        }
        html.Append("</table>");
        foreach (string note in matrix.Pairs.Select(p => p.Note).OfType<string>().Distinct(StringComparer.Ordinal))
        {
            html.Append($"<p>{NumberText.Undefined}: {E(note)}</p>");
        }

        if (content.Fronts is { } fronts)
        {
            html.Append($"<h2>Pareto fronts</h2><figure><img src=\"{Fronts}.png\" alt=\"Pareto fronts, one panel per device\"><figcaption>");
            html.Append($"Each device's Pareto front of {E(fronts.Objective)} (higher is better) against its measured latency in ms, over {fronts.Candidates:N0} architectures, one panel per device " +
                        $"on a common {E(fronts.Objective)} axis. Drawn from {ObjectiveText.Of(fronts.Floor)} up, the {FrontFloorQuantile * 100:0}th percentile of {E(fronts.Objective)} over the candidates");
            var cut = fronts.Devices.SelectMany(d => d.Members.Where(m => m.Objective < fronts.Floor).Select(m => (d.Device, Member: m))).ToList();
            if (cut.Count == 0)
            {
                html.Append("; no front member lies below it.");
            }
            else
            {
                html.Append("; the front members below it are in the CSV but not drawn: ");
                html.AppendJoin("; ", cut.Select(c => $"{E(c.Device)} <code>{c.Member.Ops}</code> ({c.Member.LatencyMs:G3} ms, {ObjectiveText.Of(c.Member.Objective)})"));
                html.Append('.');
            }
            html.Append("</figcaption></figure>").Append(Links(Fronts));
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

        var scatter = content.Scatter;
        html.Append($"<h2>{E(scatter.Proxy)} vs {E(scatter.Target)}</h2><figure><img src=\"{Scatter}.png\" alt=\"proxy versus target latency\"><figcaption>");
        html.Append($"Latency of {scatter.Points.Count:N0} architectures on the proxy {E(scatter.Proxy)} and the target {E(scatter.Target)}, both axes from 0 ms; " +
                    $"the dashed line is y = x, the solid one the least-squares line {E(FitText(scatter, fit))}.");
        html.Append("</figcaption></figure>").Append(Links(Scatter));
        html.Append("</body></html>\n");
        return html.ToString();
    }

    private static string Iso(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
}
