using System.Globalization;
using LatencyNas.Core.Spaces;
using LatencyNas.Core.Spaces.Fbnet;
using LatencyNas.Core.Spaces.Nb201;
using LatencyNas.Tests;
using LatencyNas.Workflows;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Playwright;

namespace LatencyNas.Web.Tests;

/// <summary>
/// The workbench page as a person uses it, in a real headless Chromium (Debian's <c>chromium</c>, which .ci/run
/// installs; Playwright drives it, nothing is downloaded): the mouse hovers a heatmap cell and clicks it, then
/// clicks a point of the scatter.
/// </summary>
[Collection(RunningWorkbenchCollection.Name)]
public sealed class WorkbenchPageTests(RunningWorkbench workbench)
{
    private sealed record Box(double Left, double Top, double Width, double Height);

    [SkippableFact]
    public async Task The_page_loads_without_errors_a_heatmap_cell_shows_the_commands_srcc_a_clicked_point_shows_what_show_prints_and_the_fronts_answer_as_pareto_does()
    {
        HeadlessChromium.RequireOrSkip("the workbench page test");
        await using var chromium = await HeadlessChromium.LaunchAsync();
        var page = await ServedWorkbench.OpenAsync(chromium, workbench.Address);

        Assert.Equal(RunningWorkbench.Devices.Length, await page.Locator("#devices tbody tr").CountAsync());
        string[] compared = await page.EvaluateAsync<string[]>("() => window.workbench.state.matrix.devices");
        var matrix = new MonotonicityUseCase().Run(new MonotonicityRequest(compared, Nb201Space.Instance, workbench.Store));

        // Hover the cell of the first row's proxy and the second column's target: its label gives the command's SRCC;
        // clicking it draws the pair's scatter; clicking the point of the slowest architecture on the target shows that architecture.
        await HoverAndClickTheFirstPairsCell(page, matrix);
        string selected = await ClickTheSlowestPoint(page);
        var shown = new ShowUseCase().Run(new ShowRequest(Nb201Space.Instance.FromDigits(selected), Nb201Space.Instance, workbench.Store));
        Assert.Equal(selected, await page.Locator("#architecture code.ops").TextContentAsync());
        foreach (var device in shown.Devices)
        {
            string cell = await page.Locator($"#architecture-devices tr[data-device='{device.Device}'] td.measured").TextContentAsync() ?? "";
            Assert.Equal(string.Create(CultureInfo.InvariantCulture, $"{device.MeasuredMs:F3}"), cell);
        }

        // Explain: the selected architecture's predicted latency in parts on the devices with a saved predictor, as `predict` gives it.
        await page.WaitForFunctionAsync("() => window.workbench.state.explained?.ops === window.workbench.state.selected && document.getElementById('explain').data?.length === 3");
        string explainStatus = await page.Locator("#explain-status").TextContentAsync() ?? "";
        foreach (string device in new[] { "pixel3", "raspi4" })
        {
            var predicted = new PredictUseCase().Run(new PredictRequest(device, [Nb201Space.Instance.FromDigits(selected)], Nb201Space.Instance, workbench.Store)).Predictions[0];
            Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"{device}: {predicted.PredictedMs:F3} ms predicted"), explainStatus);
        }

        // The pair's fronts: the hypervolume ratio of the pareto use case, and at each of its budgets the slider's answer is its answer.
        await page.WaitForFunctionAsync("() => window.workbench.state.fronts !== null && window.workbench.state.budget !== null");
        string objective = await page.EvaluateAsync<string>("() => window.workbench.state.fronts.objective");
        var reuse = new ParetoUseCase().Run(new ParetoRequest(compared[0], compared[1], objective, Nb201Space.Instance, workbench.Store)).Fronts[0];
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"hypervolume ratio {reuse.HypervolumeRatio:F3}"), await page.Locator("#fronts-status").TextContentAsync());
        foreach (var budget in reuse.Budgets)
        {
            var answer = await page.EvaluateAsync<double[]>($"() => {{ window.workbench.setBudget({budget.BudgetMs.ToString("R", CultureInfo.InvariantCulture)}); " +
                                                            "const b = window.workbench.state.budget; return [b.bestTrue ?? NaN, b.bestReused ?? NaN]; }");
            Assert.Equal((budget.BestTrue, budget.BestReused), (answer[0], answer[1]));
        }
        // The slider itself: a key press moves the budget and its line.
        double before = await page.EvaluateAsync<double>("() => window.workbench.state.budget.budgetMs");
        await page.Locator("#budget").FocusAsync();
        await page.Keyboard.PressAsync("ArrowRight");
        await page.Keyboard.PressAsync("ArrowRight");
        double after = await page.EvaluateAsync<double>("() => window.workbench.state.budget.budgetMs");
        Assert.True(after > before, $"the budget did not move: {before} → {after}");
        double line = await page.EvaluateAsync<double>("() => document.getElementById('front-target').layout.shapes[0].x0");
        Assert.Equal(Math.Log10(after), line, 9);

        // Linked views: the architecture selected on the scatter is starred on the target's front at its measured latency there;
        // one clicked on the target's own front is then selected everywhere, and one hovered on the scatter is ringed on the fronts.
        var star = await page.EvaluateAsync<double[]>("() => { const d = document.getElementById('front-target').data; return [d[d.length - 1].x[0], d[d.length - 1].y[0]]; }");
        Assert.Equal(shown.Devices.Single(d => d.Device == compared[1]).MeasuredMs, star[0]);
        string onFront = await ClickPoint(page, "#front-target", trace: 1, point: 0);
        await page.WaitForFunctionAsync($"() => window.workbench.state.selected === '{onFront}'");
        var moved = await page.EvaluateAsync<double[]>("() => { const d = document.getElementById('scatter').data; return [d[d.length - 1].x[0], d[d.length - 1].y[0]]; }");
        var clicked = new ShowUseCase().Run(new ShowRequest(Nb201Space.Instance.FromDigits(onFront), Nb201Space.Instance, workbench.Store));
        Assert.Equal([clicked.Devices.Single(d => d.Device == compared[0]).MeasuredMs!.Value, clicked.Devices.Single(d => d.Device == compared[1]).MeasuredMs!.Value], moved);
        await HoverPoint(page, "#scatter", trace: 0, point: 0);
        // The architecture hovered is the one the scatter's label names (another may lie under the mouse as well).
        string hoveredOps = (await page.Locator("#scatter .hovertext").First.TextContentAsync() ?? "")[..6];
        await page.WaitForFunctionAsync("() => document.getElementById('front-proxy').layout.shapes?.some(s => s.type === 'circle')");
        double ring = await page.EvaluateAsync<double>("() => document.getElementById('front-proxy').layout.shapes.find(s => s.type === 'circle').xanchor");
        var hoveredShown = new ShowUseCase().Run(new ShowRequest(Nb201Space.Instance.FromDigits(hoveredOps), Nb201Space.Instance, workbench.Store));
        Assert.Equal(Math.Log10(hoveredShown.Devices.Single(d => d.Device == compared[0]).MeasuredMs!.Value), ring, 12); // a log axis: the logarithm

        // A brush: a box dragged over the scatter brushes exactly the architectures inside it, and they stand out on the target's
        // front (its selected points). The page answers a box at the mouse's release, before Plotly does: what it brushed then
        // (seen by a listener on the release that runs after the page's) is what Plotly's own selection of the scatter holds.
        var area = await PlotArea(page, "#scatter");
        const string ranges = "() => JSON.stringify(['scatter', 'front-proxy', 'front-target'].map(c => ['xaxis', 'yaxis'].map(a => document.getElementById(c)._fullLayout[a].range)))";
        string rangesBefore = await page.EvaluateAsync<string>(ranges);
        var (left, top, right, bottom) = (area.Left + 0.35 * area.Width, area.Top + 0.35 * area.Height, area.Left + 0.65 * area.Width, area.Top + 0.65 * area.Height);
        await page.Mouse.MoveAsync((float)left, (float)top);
        await page.Mouse.DownAsync();
        await page.Mouse.MoveAsync((float)right, (float)bottom, new MouseMoveOptions { Steps = 8 });
        await page.EvaluateAsync("""
            () => {
              const scatter = document.getElementById('scatter'), ops = window.workbench.state.columns.ops;
              window.addEventListener('mouseup', () => { window.brushedAtRelease = [...window.workbench.state.brushed].sort(); }, { capture: true, once: true });
              scatter.once('plotly_selected', event => { window.brushedByPlotly = event.points.filter(p => p.curveNumber === 0).map(p => ops[p.pointIndex]).sort(); });
            }
            """);
        await page.Mouse.UpAsync();
        await page.WaitForFunctionAsync("() => window.brushedByPlotly !== undefined");
        // Plotly's selection is dropped once stored (on log axes it holds pixels, and would unmark them all) and the page marks
        // the brushed scatter itself; no chart's axes move.
        await page.WaitForFunctionAsync("() => document.getElementById('scatter').layout.selections?.length === 0 && document.getElementById('scatter').data[0].selectedpoints?.length > 0");
        Assert.Equal(rangesBefore, await page.EvaluateAsync<string>(ranges));
        Assert.Equal(await page.EvaluateAsync<string[]>("() => [...window.workbench.state.brushed].sort()"),
                     await page.EvaluateAsync<string[]>("() => document.getElementById('scatter').data[0].selectedpoints.map(i => window.workbench.state.columns.ops[i]).sort()"));
        var atRelease = await page.EvaluateAsync<string[]>("() => window.brushedAtRelease");
        var byPlotly = await page.EvaluateAsync<string[]>("() => window.brushedByPlotly");
        Assert.True(atRelease.Length > 0 && atRelease.SequenceEqual(byPlotly),
            $"at the release the page brushed {atRelease.Length}, Plotly's selection holds {byPlotly.Length}, {atRelease.Intersect(byPlotly).Count()} of them the same");
        await page.WaitForFunctionAsync("() => window.workbench.state.brushed.size > 0 && window.workbench.state.brushedDrawn === window.workbench.state.brushed");
        var brushed = await page.EvaluateAsync<int[]>("""
            ([x0, x1, y0, y1]) => {
              const w = window.workbench.state, c = w.columns, layout = document.getElementById('scatter')._fullLayout;
              const at = i => [layout.xaxis.d2p(c.latencies_ms[w.pair.proxy][i]), layout.yaxis.d2p(c.latencies_ms[w.pair.target][i])];
              const inside = c.ops.filter((o, i) => { const [x, y] = at(i); return x > x0 + 1 && x < x1 - 1 && y > y0 + 1 && y < y1 - 1; });
              const edge = new Set(c.ops.filter((o, i) => { const [x, y] = at(i); return x >= x0 - 1 && x <= x1 + 1 && y >= y0 - 1 && y <= y1 + 1; }));
              const f = w.fronts.columns, onFront = f.ops.filter(o => w.brushed.has(o)).sort();
              const selected = (document.getElementById('front-target').data[0].selectedpoints ?? []).map(i => f.ops[i]).sort();
              return [w.brushed.size, inside.filter(o => w.brushed.has(o)).length, inside.length, edge.size,
                      [...w.brushed].filter(o => !edge.has(o)).length, selected.length, onFront.length, selected.every((o, i) => o === onFront[i]) ? 1 : 0];
            }
            """, new[] { left - area.Left, right - area.Left, top - area.Top, bottom - area.Top });
        // Points within a pixel of the box's edge may fall either way; every point well inside is brushed, none well outside.
        Assert.True(brushed[1] == brushed[2] && brushed[2] > 0 && brushed[4] == 0,
            $"brushed {brushed[0]}; of the {brushed[2]} inside, {brushed[1]}; within the edges {brushed[3]}; outside them {brushed[4]}");
        Assert.True(brushed[5] == brushed[6] && brushed[5] > 0 && brushed[7] == 1, $"the target's front selects {brushed[5]} of the {brushed[6]} brushed it shows; the same ones: {brushed[7] == 1}");
        Assert.Contains($"{brushed[0]:N0} architectures brushed", await page.Locator("#brush-status").TextContentAsync());

        // Choice effects on the target: hovering the first edge's fourth choice shows the use case's effect.
        await page.WaitForFunctionAsync("() => window.workbench.state.effects !== null && document.querySelector('#effects-latency .nsewdrag') !== null");
        var effects = new ChoiceEffectsUseCase().Run(new ChoiceEffectsRequest([compared[1]], Nb201Space.Instance, workbench.Store));
        var cells = await PlotArea(page, "#effects-latency");
        int choices = effects.Decisions[0].Choices.Count, decisions = effects.Decisions.Count;
        await page.Mouse.MoveAsync((float)(cells.Left + cells.Width * 3.5 / choices), (float)(cells.Top + cells.Height * 0.5 / decisions));
        string effectLabel = await page.Locator("#effects-latency .hovertext").First.TextContentAsync() ?? "";
        double effect = effects.Series[0].Effects[0][3]!.Value;
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"{(effect >= 0 ? "+" : "")}{effect:F3} ms on {compared[1]}"), effectLabel);

        // Every device compared can be shown: the proxy's effects, switched to without asking the server again.
        Assert.Equal(compared.Length, await page.Locator("#effects-device option").CountAsync());
        await page.Locator("#effects-device").SelectOptionAsync(compared[0]);
        await page.WaitForFunctionAsync("(d) => document.getElementById('effects-latency').data[0].text[0][3].includes('on ' + d)", compared[0]);
        await page.Mouse.MoveAsync(1, 1);
        await page.Mouse.MoveAsync((float)(cells.Left + cells.Width * 3.5 / choices), (float)(cells.Top + cells.Height * 0.5 / decisions));
        double onProxy = new ChoiceEffectsUseCase().Run(new ChoiceEffectsRequest([compared[0]], Nb201Space.Instance, workbench.Store)).Series[0].Effects[0][3]!.Value;
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"{(onProxy >= 0 ? "+" : "")}{onProxy:F3} ms on {compared[0]}"),
            await page.Locator("#effects-latency .hovertext").First.TextContentAsync());


        string folder = Environment.GetEnvironmentVariable("LATNAS_SCREENSHOTS") ?? Path.GetTempPath();
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(folder, "workbench.png"), FullPage = true });
        Assert.Empty(chromium.Problems);
    }

    [SkippableFact]
    public async Task On_fbnet_the_heatmap_is_the_commands_a_clicked_point_shows_what_show_prints_and_explain_gives_each_layers_part_of_the_prediction()
    {
        HeadlessChromium.RequireOrSkip("the workbench page test");
        await using var chromium = await HeadlessChromium.LaunchAsync();
        var page = await ServedWorkbench.OpenAsync(chromium, workbench.Address);

        await page.Locator("#space").SelectOptionAsync("fbnet");
        await page.WaitForFunctionAsync("() => window.workbench.state.space === 'fbnet' && window.workbench.state.matrix !== null && document.getElementById('heatmap').data?.length > 0");
        string[] compared = await page.EvaluateAsync<string[]>("() => window.workbench.state.matrix.devices");
        var matrix = new MonotonicityUseCase().Run(new MonotonicityRequest(compared, FbnetSpace.Instance, workbench.Store));
        Assert.Equal(RunningWorkbench.Devices.Order(StringComparer.Ordinal), compared);
        Assert.Equal(5_000, matrix.Architectures);

        await HoverAndClickTheFirstPairsCell(page, matrix);
        string selected = await ClickTheSlowestPoint(page);
        var architecture = FbnetSpace.Instance.FromDigits(selected);
        var shown = new ShowUseCase().Run(new ShowRequest(architecture, FbnetSpace.Instance, workbench.Store));
        foreach (var device in shown.Devices)
        {
            string cell = await page.Locator($"#architecture-devices tr[data-device='{device.Device}'] td.measured").TextContentAsync() ?? "";
            Assert.Equal(string.Create(CultureInfo.InvariantCulture, $"{device.MeasuredMs:F3}"), cell);
        }

        // Explain on FBNet: one part per layer (22), on the device with a saved FBNet predictor, adding up to what predict gives.
        await page.WaitForFunctionAsync("() => window.workbench.state.explained?.ops === window.workbench.state.selected && document.getElementById('explain').data?.length === 2");
        var parts = await page.EvaluateAsync<double[]>("() => window.workbench.state.explained.devices[0].parts.map(p => p.ms)");
        Assert.Equal(FbnetSpace.Instance.Decisions.Count, parts.Length);
        var predicted = new PredictUseCase().Run(new PredictRequest("pixel3", [architecture], FbnetSpace.Instance, workbench.Store)).Predictions[0].PredictedMs;
        double reference = await page.EvaluateAsync<double>("() => window.workbench.state.explained.devices[0].reference_ms");
        Assert.Equal(predicted, reference + parts.Sum(), 6);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"pixel3: {predicted:F3} ms predicted"), await page.Locator("#explain-status").TextContentAsync());
        Assert.Contains("s1.1", await page.EvaluateAsync<string>("() => document.getElementById('explain').data[0].x.join(' ')"));
        Assert.Empty(chromium.Problems);
    }

    [SkippableFact]
    public async Task A_search_started_paused_on_the_page_steered_to_ban_an_operation_at_an_edge_and_resumed_evaluates_none_with_it_and_its_record_replays_from_the_command_line()
    {
        HeadlessChromium.RequireOrSkip("the workbench page test");
        await using var chromium = await HeadlessChromium.LaunchAsync();
        var page = await ServedWorkbench.OpenAsync(chromium, workbench.Address);

        await page.SelectOptionAsync("#search-target", "pixel3");
        await page.SelectOptionAsync("#search-mode", "measured");
        await page.SelectOptionAsync("#search-objective", "cifar10_test_acc");
        await page.FillAsync("#search-budget", "12");
        await page.FillAsync("#search-evaluations", "300");
        await page.FillAsync("#search-pace", "200");
        await page.CheckAsync("#search-paused");
        await page.ClickAsync("#search-start");
        await page.WaitForFunctionAsync("() => window.workbench.state.search?.status === 'paused'");
        await page.SelectOptionAsync("#steer-decision", "2");
        await page.SelectOptionAsync("#steer-choice", "3");
        await page.ClickAsync("#steer-ban");
        await page.WaitForFunctionAsync("() => document.querySelectorAll('#search-actions li').length === 1");
        Assert.Contains("ban nor_conv_3x3 at e2", await page.Locator("#search-actions li").TextContentAsync());

        // A reloaded page re-attaches to the running search, and steers it on.
        await page.ReloadAsync(new PageReloadOptions { WaitUntil = WaitUntilState.Load });
        await page.EvaluateAsync("() => window.workbench.ready");
        await page.WaitForFunctionAsync("() => window.workbench.state.search?.status === 'paused' && document.querySelectorAll('#search-actions li').length === 1");
        await page.ClickAsync("#search-resume");
        await page.WaitForFunctionAsync("() => window.workbench.state.search?.status === 'finished' && window.workbench.search.rows.length === 300",
            null, new PageWaitForFunctionOptions { Timeout = 120_000 });

        string[] ops = await page.EvaluateAsync<string[]>("() => window.workbench.search.rows.map(r => r[0])");
        Assert.All(ops, o => Assert.NotEqual('3', o[2]));
        string status = await page.Locator("#search-status").TextContentAsync() ?? "";
        Assert.Contains("finished; 300 evaluations on pixel3 under 12.000 ms", status);

        string folder = Environment.GetEnvironmentVariable("LATNAS_SCREENSHOTS") ?? Path.GetTempPath();
        await page.Locator("#search-view").ScreenshotAsync(new LocatorScreenshotOptions { Path = Path.Combine(folder, "workbench-search.png") });

        // The record the page downloads is the run: replayed from the command line, it evaluates the identical sequence.
        var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#search-record"));
        using var directory = new TempDirectory();
        string path = directory.File("search.json");
        await download.SaveAsAsync(path);
        var record = SearchRecord.Read(path);
        Assert.Equal(ops, record.Evaluated.Select(e => e.Ops));
        var replay = Latnas.Run("search", "--replay", path, "--store", workbench.Store.Path);
        Assert.True(replay.ExitCode == 0, replay.ToString());
        Assert.Contains("replay  300 evaluations, identical to the record (300 distinct, 2 actions applied)", replay.Stdout);
        string best = status.Split("; best ")[1][..6];
        Assert.Contains($"({best} #", replay.Stdout); // the page's best is the replay's
        Assert.Empty(chromium.Problems);
    }

    [SkippableFact]
    public async Task A_form_another_site_posts_to_the_workbench_is_refused_and_starts_nothing()
    {
        HeadlessChromium.RequireOrSkip("the workbench page test");
        using var http = new HttpClient { BaseAddress = workbench.Address };
        string before = await SearchId(http);

        // A page of another origin (another port of 127.0.0.1) whose form posts a search start to the workbench.
        var target = new Uri(workbench.Address, "/api/search");
        var foreign = WebApplication.CreateSlimBuilder();
        foreign.WebHost.UseUrls("http://127.0.0.1:0");
        await using var site = foreign.Build();
        site.MapGet("/", () => Microsoft.AspNetCore.Http.Results.Content($$"""
            <!DOCTYPE html><html><body>
            <form id="f" method="post" action="{{target}}" enctype="text/plain">
              <input name='{"target":"pixel3","objective":"cifar10_test_acc","max_latency_ms":12,"mode":"measured","x":"' value='"}'>
            </form>
            <script>document.getElementById('f').submit();</script>
            </body></html>
            """, "text/html"));
        await site.StartAsync();
        await using var chromium = await HeadlessChromium.LaunchAsync();
        var page = await chromium.NewPageAsync(800, 600);
        var answer = await page.RunAndWaitForResponseAsync(() => page.GotoAsync(site.Urls.First()), response => response.Url == target.AbsoluteUri);

        Assert.Equal(403, answer.Status);
        Assert.Contains("Foreign origin", await answer.TextAsync());
        Assert.Equal(before, await SearchId(http));
    }

    [SkippableFact]
    public async Task A_device_another_process_adds_to_the_store_appears_in_the_open_page_with_its_progress_sessions_and_last_measurement_without_a_reload()
    {
        HeadlessChromium.RequireOrSkip("the workbench page test");
        using var directory = new TempDirectory();
        var store = new StoreLocation(directory.File("latnas.db"));
        var import = new ImportUseCase();
        import.Run(new ImportRequest(SharedData.File("nb201_help_latency_ms.csv"), Nb201Space.Instance, Dataset.Cifar10, store, Columns: ["pixel3"]));
        await using var served = await ServedWorkbench.StartAsync(store);
        await using var chromium = await HeadlessChromium.LaunchAsync();
        var page = await ServedWorkbench.OpenAsync(chromium, served.Address, 1000, 800);
        Assert.Equal(1, await page.Locator("#devices tbody tr").CountAsync());

        // Another process writing to the same store (latnas import, as a profile would): a device's first 100 architectures,
        // then all of them.
        string firstRows = directory.File("first-100.csv");
        File.WriteAllLines(firstRows, File.ReadLines(SharedData.File("nb201_help_latency_ms.csv")).Take(101));
        var first = Latnas.Run("import", "--csv", firstRows, "--columns", "raspi4", "--store", store.Path);
        Assert.True(first.ExitCode == 0, first.ToString());
        await page.WaitForFunctionAsync("() => document.querySelector(\"#devices tr[data-device='raspi4'] td.number\")?.textContent === '100'");
        var importedFrom = DateTimeOffset.UtcNow.AddSeconds(-1);
        var all = Latnas.Run("import", "--csv", SharedData.File("nb201_help_latency_ms.csv"), "--columns", "raspi4", "--store", store.Path);
        Assert.True(all.ExitCode == 0, all.ToString());
        await page.WaitForFunctionAsync("() => document.querySelector(\"#devices tr[data-device='raspi4'] td.number\")?.textContent === '15625'");
        Assert.Equal("1", await page.Locator("#devices tr[data-device='raspi4'] td.sessions").TextContentAsync());
        var lastMeasured = DateTimeOffset.Parse((await page.Locator("#devices tr[data-device='raspi4'] td.last-measured").TextContentAsync())! + "Z", CultureInfo.InvariantCulture);
        Assert.InRange(lastMeasured, importedFrom, DateTimeOffset.UtcNow);
        Assert.StartsWith("+15,525, ", await page.Locator("#devices tr[data-device='raspi4'] td.progress").TextContentAsync());
        Assert.EndsWith("/min", await page.Locator("#devices tr[data-device='raspi4'] td.progress").TextContentAsync());
        Assert.Equal("", await page.Locator("#devices tr[data-device='pixel3'] td.progress").TextContentAsync()); // nothing added
        Assert.Empty(chromium.Problems);
    }

    private static async Task<string> SearchId(HttpClient http)
    {
        using var response = await http.GetAsync("/api/search");
        return response.StatusCode == System.Net.HttpStatusCode.OK ? System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync())!["id"]!.ToJsonString() : "none";
    }

    /// <summary>Hovers the heatmap cell of the first device as proxy and the second as target, checks its label, and clicks it.</summary>
    private static async Task HoverAndClickTheFirstPairsCell(IPage page, MonotonicityResult matrix)
    {
        var grid = await PlotArea(page, "#heatmap");
        int n = matrix.Devices.Count;
        (float x, float y) = ((float)(grid.Left + grid.Width * 1.5 / n), (float)(grid.Top + grid.Height * 0.5 / n));
        await page.Mouse.MoveAsync(x, y);
        string label = await page.Locator("#heatmap .hovertext").First.TextContentAsync() ?? "";
        Assert.Contains($"proxy {matrix.Devices[0]} → target {matrix.Devices[1]}", label);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"SRCC {matrix.Srcc[0][1]:F3}"), label);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"Kendall {matrix.Kendall[0][1]:F3}"), label);
        await page.Mouse.ClickAsync(x, y);
        await page.WaitForFunctionAsync("() => window.workbench.state.pair !== null && document.querySelector('#scatter .gl-canvas-context') !== null");
    }

    /// <summary>Moves the mouse onto a point of a chart's trace; returns the architecture (ops) the point stands for.</summary>
    private static async Task<string> HoverPoint(IPage page, string chart, int trace, int point)
    {
        var at = await page.EvaluateAsync<System.Text.Json.JsonElement>($$"""
            () => {
              const element = document.querySelector('{{chart}}'), t = element.data[{{trace}}], layout = element._fullLayout;
              return { x: layout.xaxis.d2p(t.x[{{point}}]) + layout.xaxis._offset, y: layout.yaxis.d2p(t.y[{{point}}]) + layout.yaxis._offset, ops: t.text[{{point}}] };
            }
            """);
        await page.Locator(chart).ScrollIntoViewIfNeededAsync();
        var box = await page.Locator(chart).BoundingBoxAsync();
        await page.Mouse.MoveAsync(box!.X + (float)at.GetProperty("x").GetDouble(), box.Y + (float)at.GetProperty("y").GetDouble());
        return at.GetProperty("ops").GetString()!;
    }

    /// <summary>Clicks a point of a chart's trace (hovering it first, as a person does); returns its ops.</summary>
    private static async Task<string> ClickPoint(IPage page, string chart, int trace, int point)
    {
        string ops = await HoverPoint(page, chart, trace, point);
        await page.Mouse.DownAsync();
        await page.Mouse.UpAsync();
        return ops;
    }

    /// <summary>Clicks the scatter's point of the architecture slowest on the target; returns its ops once the page shows it.</summary>
    private static async Task<string> ClickTheSlowestPoint(IPage page)
    {
        var slowest = await page.EvaluateAsync<double[]>("""
            () => {
              const { proxy, target } = window.workbench.state.pair, c = window.workbench.state.columns;
              const y = c.latencies_ms[target], i = y.indexOf(Math.max(...y));
              const layout = document.getElementById('scatter')._fullLayout;
              return [layout.xaxis.d2p(c.latencies_ms[proxy][i]) + layout.xaxis._offset, layout.yaxis.d2p(y[i]) + layout.yaxis._offset];
            }
            """);
        var scatter = await page.Locator("#scatter").BoundingBoxAsync();
        await page.Mouse.MoveAsync(scatter!.X + (float)slowest[0], scatter.Y + (float)slowest[1]);
        await page.Mouse.ClickAsync(scatter.X + (float)slowest[0], scatter.Y + (float)slowest[1]);
        await page.WaitForFunctionAsync("() => window.workbench.state.selected !== null && document.querySelector('#architecture-devices') !== null");
        return await page.EvaluateAsync<string>("() => window.workbench.state.selected");
    }

    /// <summary>The plot area of a chart (inside its axes), in page coordinates.</summary>
    private static async Task<Box> PlotArea(IPage page, string chart)
    {
        await page.Locator(chart).ScrollIntoViewIfNeededAsync(); // the mouse reaches only what the viewport shows
        var box = await page.Locator($"{chart} .nsewdrag").First.BoundingBoxAsync();
        return new Box(box!.X, box.Y, box.Width, box.Height);
    }
}
