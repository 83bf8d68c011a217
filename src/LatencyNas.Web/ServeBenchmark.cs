using System.Diagnostics;
using LatencyNas.Core;
using LatencyNas.Workflows;
using Microsoft.Playwright;

namespace LatencyNas.Web;

/// <param name="Hovers">Hovers timed per chart.</param>
/// <param name="Opens">Times the page is opened (the first in a fresh browser, which compiles Plotly.js; the monotonicity matrix is cached by the server before it listens).</param>
/// <param name="StreamRate">Evaluations per second of the search streamed onto the page while hovers are timed.</param>
public sealed record ServeBenchmarkRequest(StoreLocation Store, string BrowserPath = HeadlessBrowser.ChromiumPath, int Hovers = 30, int Opens = 4, double StreamRate = 1_000);

/// <summary>One timed interaction: median, 95th percentile and worst of its samples, in ms.</summary>
public sealed record ServeTiming(string What, int Samples, double MedianMs, double P95Ms, double WorstMs);

/// <param name="Devices">Devices in the store; <paramref name="Architectures"/>: the most any of them has measured.</param>
/// <param name="StreamedEvaluations">Evaluations the page received while the streaming hovers were timed.</param>
public sealed record ServeBenchmarkResult(int Devices, int Architectures, IReadOnlyList<ServeTiming> Timings, int StreamedEvaluations);

/// <summary>
/// The workbench's speed as a person meets it, in a real browser: from opening the page to its first chart (the
/// monotonicity heatmap; in a fresh browser, then again), from a click on a heatmap cell to the pair's scatter of every architecture,
/// from releasing a brush on the scatter to the frame that shows the brushed architectures counted and marked on both fronts (by the
/// page's clock),
/// and from moving the mouse onto a heatmap cell or a scatter point to its label — also while a search streams its
/// evaluations onto the page. Times are wall-clock through Playwright, so they include its round trip.
/// </summary>
public sealed class ServeBenchmark
{
    public async Task<ServeBenchmarkResult> RunAsync(ServeBenchmarkRequest request, IProgress<ServeTiming>? timings = null, CancellationToken cancellation = default)
    {
        var devices = new DevicesListUseCase().Run(new DevicesListRequest(request.Store)).Devices;
        if (devices.Count(d => d.Measured >= 3) < 2)
        {
            throw new InvalidInputException($"{request.Store.Location} has fewer than two measured devices; import the latency tables first (latnas import).");
        }
        await using var workbench = Workbench.Build(new WorkbenchOptions { Store = request.Store, Url = "http://127.0.0.1:0" });
        await workbench.StartAsync(cancellation);
        await workbench.WarmUpAsync(token: null, cancellation); // as latnas serve does before it says where it listens
        string address = workbench.Urls.First();
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await HeadlessBrowser.LaunchChromiumAsync(playwright, request.BrowserPath);
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 1100 } });
        var results = new List<ServeTiming>();
        void Report(string what, List<double> samples)
        {
            samples.Sort();
            var timing = new ServeTiming(what, samples.Count, samples[samples.Count / 2], samples[(int)Math.Ceiling(0.95 * samples.Count) - 1], samples[^1]);
            results.Add(timing);
            timings?.Report(timing);
        }

        // Opening the page: navigation start to the heatmap drawn, as the page's own clock tells it when the drawn heatmap is
        // first seen (polled every 5 ms), not after a round trip to Playwright (100–300 ms while a fresh browser is busy).
        var opens = new List<double>();
        for (int open = 0; open < request.Opens; open++)
        {
            await page.GotoAsync(address, new PageGotoOptions { WaitUntil = WaitUntilState.Commit });
            var drawn = await page.WaitForFunctionAsync("() => document.querySelector('#heatmap .hm image') !== null && performance.now()", null,
                new PageWaitForFunctionOptions { PollingInterval = 5, Timeout = 600_000 });
            opens.Add(await drawn.JsonValueAsync<double>());
            if (open == 0)
            {
                Report("open the page → first chart (a fresh browser: Plotly.js compiled)", [opens[0]]);
            }
        }
        Report("open the page again → first chart", opens.Skip(1).ToList());
        await page.EvaluateAsync("() => window.workbench.ready");
        int shown = await page.EvaluateAsync<int>("() => window.workbench.state.matrix.devices.length");

        await page.Locator("#monotonicity-view .charts").ScrollIntoViewIfNeededAsync(); // a long devices table pushes the charts below the fold
        var heatmap = await PlotArea(page, "#heatmap");
        (float X, float Y) Cell(int i, int j) => (heatmap.X + heatmap.Width * (j + 0.5f) / shown, heatmap.Y + heatmap.Height * (i + 0.5f) / shown);
        var random = new Random(0);
        async Task<List<double>> HoverCells(int count)
        {
            var samples = new List<double>();
            for (int h = 0; h < count; h++)
            {
                int i = random.Next(shown), j = (i + 1 + random.Next(shown - 1)) % shown;
                samples.Add(await Hover(page, Cell(i, j), "#heatmap", $"proxy {await DeviceAt(page, i)} → target {await DeviceAt(page, j)}"));
            }
            return samples;
        }
        Report("hover a heatmap cell → its label", await HoverCells(request.Hovers));

        // A pair: click → its scatter of every shared architecture (WebGL).
        var clicks = new List<double>();
        for (int c = 0; c < 3; c++)
        {
            var (x, y) = Cell(c, c + 1);
            // Plotly clicks what it last hovered: the label must show the cell before the click.
            await Hover(page, (x, y), "#heatmap", $"proxy {await DeviceAt(page, c)} → target {await DeviceAt(page, c + 1)}");
            var clock = Stopwatch.StartNew();
            await page.Mouse.ClickAsync(x, y);
            await page.WaitForFunctionAsync("([p, t]) => window.workbench.state.pair?.proxy === p && window.workbench.state.pair?.target === t && " +
                                            "document.getElementById('scatter')?.data?.[0]?.x?.length > 0",
                new[] { await DeviceAt(page, c), await DeviceAt(page, c + 1) }, new PageWaitForFunctionOptions { PollingInterval = 5, Timeout = 120_000 });
            clicks.Add(clock.Elapsed.TotalMilliseconds);
        }
        Report("click a heatmap cell → the pair's scatter drawn", clicks);
        int points = await page.EvaluateAsync<int>("() => window.workbench.state.columns.ops.length");

        var scatter = await page.Locator("#scatter").BoundingBoxAsync();
        var scatterHovers = new List<double>();
        for (int h = 0; h < request.Hovers; h++)
        {
            var at = await page.EvaluateAsync<double[]>("""
                (k) => {
                  const { proxy, target } = window.workbench.state.pair, c = window.workbench.state.columns;
                  const i = k % c.ops.length, layout = document.getElementById('scatter')._fullLayout;
                  return [layout.xaxis.d2p(c.latencies_ms[proxy][i]) + layout.xaxis._offset, layout.yaxis.d2p(c.latencies_ms[target][i]) + layout.yaxis._offset];
                }
                """, random.Next(points));
            scatterHovers.Add(await Hover(page, (scatter!.X + (float)at[0], scatter.Y + (float)at[1]), "#scatter", null));
        }
        Report($"hover a scatter point ({points:N0} drawn) → its label", scatterHovers);

        // A brush: a box dragged over the scatter → the brushed architectures counted below it and marked on both fronts; timed
        // by the page's own clock from the mouse's release (its event's time stamp) to the first frame that shows both.
        await page.WaitForFunctionAsync("() => window.workbench.state.fronts !== null", null, new PageWaitForFunctionOptions { PollingInterval = 5, Timeout = 120_000 });
        var plot = await PlotArea(page, "#scatter");
        var brushes = new List<double>();
        int brushedMost = 0;
        for (int b = 0; b < Math.Max(3, request.Hovers / 3); b++)
        {
            // A box around a random architecture's point (never empty: an empty brush of an empty one changes nothing to time),
            // begun inside the plot; its far corner may leave it (Plotly clamps the box to the plot).
            var around = await page.EvaluateAsync<double[]>("""
                (k) => {
                  const { proxy, target } = window.workbench.state.pair, c = window.workbench.state.columns;
                  const i = k % c.ops.length, layout = document.getElementById('scatter')._fullLayout;
                  return [layout.xaxis.d2p(c.latencies_ms[proxy][i]) / layout.xaxis._length, layout.yaxis.d2p(c.latencies_ms[target][i]) / layout.yaxis._length];
                }
                """, random.Next(points));
            double size = 0.15 + 0.3 * random.NextDouble();
            double x0 = Math.Max(0.01, around[0] - size * (0.2 + 0.6 * random.NextDouble())), y0 = Math.Max(0.01, around[1] - size * (0.2 + 0.6 * random.NextDouble()));
            await page.Mouse.MoveAsync(plot.X + plot.Width * (float)x0, plot.Y + plot.Height * (float)y0);
            await page.Mouse.DownAsync();
            await page.Mouse.MoveAsync(plot.X + plot.Width * (float)(x0 + size), plot.Y + plot.Height * (float)(y0 + size), new MouseMoveOptions { Steps = 4 });
            await page.EvaluateAsync("""
                () => {
                  const times = window.brushTimes = {}, state = window.workbench.state, before = state.brushed;
                  const status = document.getElementById('brush-status'), statusBefore = status.textContent;
                  // The release's own time stamp: the page's listeners on it may run before this one.
                  window.addEventListener('mouseup', event => { times.released = event.timeStamp; }, { capture: true, once: true });
                  // A change is on screen by the first animation frame after it: the frame's callbacks run just before its paint.
                  const answered = () => {
                    if (state.brushed !== before && state.brushedDrawn === state.brushed && status.textContent !== statusBefore) {
                      times.answered = performance.now();
                    } else {
                      requestAnimationFrame(answered);
                    }
                  };
                  requestAnimationFrame(answered);
                }
                """);
            await page.Mouse.UpAsync();
            await page.WaitForFunctionAsync("() => window.brushTimes.answered !== undefined", null, new PageWaitForFunctionOptions { PollingInterval = 5, Timeout = 30_000 });
            brushes.Add(await page.EvaluateAsync<double>("() => window.brushTimes.answered - window.brushTimes.released"));
            brushedMost = Math.Max(brushedMost, await page.EvaluateAsync<int>("() => window.workbench.state.brushed.size"));
        }
        Report($"brush the scatter (a box) → the brushed counted below it and marked on both fronts (up to {brushedMost:N0} architectures)", brushes);

        // A search streaming onto the page while a person hovers the heatmap.
        string target = await DeviceAt(page, 0);
        await page.EvaluateAsync($$"""
            () => {
              const set = (id, value) => { document.getElementById(id).value = value; };
              set('search-target', '{{target}}'); set('search-mode', 'measured'); set('search-strategy', 'random');
              set('search-budget', '1000000'); set('search-evaluations', '1000000'); set('search-pace', '{{request.StreamRate}}');
              document.getElementById('search-paused').checked = false;
              return window.workbench.startSearch();
            }
            """);
        await page.WaitForFunctionAsync("() => window.workbench.search.rows.length > 0", null, new PageWaitForFunctionOptions { PollingInterval = 5 });
        int before = await page.EvaluateAsync<int>("() => window.workbench.search.rows.length");
        Report($"hover a heatmap cell while a search streams {request.StreamRate:N0} evaluations/s", await HoverCells(request.Hovers));
        int streamed = await page.EvaluateAsync<int>("() => window.workbench.search.rows.length") - before;
        await page.EvaluateAsync("() => window.workbench.steer({ kind: 'stop' })");
        await workbench.StopAsync(cancellation);
        return new ServeBenchmarkResult(devices.Count, devices.Max(d => d.Measured), results, streamed);
    }

    private static Task<string> DeviceAt(IPage page, int index) => page.EvaluateAsync<string>("(i) => window.workbench.state.matrix.devices[i]", index);

    /// <summary>Moves the mouse off the chart, then onto the point, and times until the chart's label shows (and names <paramref name="expected"/>).</summary>
    private static async Task<double> Hover(IPage page, (float X, float Y) point, string chart, string? expected)
    {
        await page.Mouse.MoveAsync(1, 1);
        await page.WaitForFunctionAsync("(c) => document.querySelector(c + ' .hovertext') === null", chart, new PageWaitForFunctionOptions { PollingInterval = 5 });
        var clock = Stopwatch.StartNew();
        await page.Mouse.MoveAsync(point.X, point.Y);
        try
        {
            await page.WaitForFunctionAsync("([c, e]) => { const h = document.querySelector(c + ' .hovertext'); return h !== null && (e === null || h.textContent.includes(e)); }",
                new object?[] { chart, expected }, new PageWaitForFunctionOptions { PollingInterval = 1, Timeout = 30_000 });
        }
        catch (TimeoutException)
        {
            string label = await page.EvaluateAsync<string>("(c) => document.querySelector(c + ' .hovertext')?.textContent ?? '(no label)'", chart);
            throw new RunFailedException($"Hovering {chart} at ({point.X:F0}, {point.Y:F0}) showed {label} within 30 s, not {expected ?? "a label"}.");
        }
        return clock.Elapsed.TotalMilliseconds;
    }

    private static async Task<(float X, float Y, float Width, float Height)> PlotArea(IPage page, string chart)
    {
        var box = await page.Locator($"{chart} .nsewdrag").First.BoundingBoxAsync();
        return (box!.X, box.Y, box.Width, box.Height);
    }
}
