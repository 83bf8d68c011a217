using System.Text.Json;
using LatencyNas.Tests;
using Microsoft.Playwright;

namespace LatencyNas.Workflows.Tests;

/// <summary>
/// The report page as a reader opens it: index.html loaded from disk in a real headless Chromium
/// (Debian's <c>chromium</c> package, which .ci/run installs; Playwright drives it, nothing is downloaded).
/// </summary>
[Collection(RealStoreCollection.Name)]
public sealed class ReportPageTests(RealStore real) : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private sealed record ImageState(string Src, bool Complete, int NaturalWidth, int NaturalHeight);

    [SkippableFact]
    public async Task The_report_page_loads_in_a_browser_with_every_image_and_no_error_and_its_links_resolve()
    {
        HeadlessChromium.RequireOrSkip("the report page test");
        string folder = _directory.File("report");
        new ReportUseCase().Run(new ReportRequest(["pixel3", "raspi4", "eyeriss", "fpga"], folder, RealStore.Space, real.Location, "cifar10_test_acc", Bootstrap: 10,
            CommandLine: "latnas report --devices pixel3,raspi4,eyeriss,fpga --objective cifar10_test_acc --out report"));
        var index = new Uri(Path.Combine(folder, "index.html"));

        await using var chromium = await HeadlessChromium.LaunchAsync();
        var page = await chromium.NewPageAsync(1200, 900);

        await page.GotoAsync(index.AbsoluteUri, new PageGotoOptions { WaitUntil = WaitUntilState.Load });

        Assert.Equal("LatencyNas report", await page.TitleAsync());
        var images = JsonSerializer.Deserialize<ImageState[]>(await page.EvaluateAsync<string>(
            "JSON.stringify([...document.images].map(i => ({ Src: i.getAttribute('src'), Complete: i.complete, NaturalWidth: i.naturalWidth, NaturalHeight: i.naturalHeight })))"))!;
        Assert.Equal(["srcc-heatmap.png", "pareto-fronts.png", "proxy-target-scatter.png"], images.Select(i => i.Src));
        Assert.All(images, i => Assert.True(i.Complete && i.NaturalWidth > 0 && i.NaturalHeight > 0, $"{i.Src} did not render: {i}"));

        string[] links = await page.EvaluateAsync<string[]>("[...document.querySelectorAll('a[href]')].map(a => a.href)");
        Assert.Equal(9, links.Length); // PNG, SVG and CSV of each plot
        foreach (string link in links)
        {
            string file = new Uri(link).LocalPath;
            Assert.True(File.Exists(file) && new FileInfo(file).Length > 0, $"{link} does not resolve to a file");
            Assert.Equal(folder, Path.GetDirectoryName(file));
        }

        string screenshot = _directory.File("index.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot, FullPage = true });
        byte[] png = File.ReadAllBytes(screenshot);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
        int shotHeight = (png[20] << 24) | (png[21] << 16) | (png[22] << 8) | png[23];
        Assert.True(shotHeight > 900, $"the full page is {shotHeight} px high: the figures did not lay out");

        // Each SVG opens on its own as a drawing.
        foreach (string svg in links.Where(l => l.EndsWith(".svg")))
        {
            await page.GotoAsync(svg, new PageGotoOptions { WaitUntil = WaitUntilState.Load });
            Assert.Equal("svg", await page.EvaluateAsync<string>("document.documentElement.localName"));
            Assert.True(await page.EvaluateAsync<double>("document.documentElement.getBBox().width") > 100, svg);
        }
        Assert.Empty(chromium.Problems);
    }
}
