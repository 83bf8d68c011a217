using LatencyNas.Tests;
using LatencyNas.Workflows;
using Microsoft.AspNetCore.Builder;
using Microsoft.Playwright;

namespace LatencyNas.Web.Tests;

/// <summary>The workbench serving a store on a free loopback port, for as long as a test holds it.</summary>
public sealed class ServedWorkbench : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ServedWorkbench(WebApplication app) => (_app, Address) = (app, new Uri(app.Urls.First()));

    /// <summary>Where it listens, e.g. http://127.0.0.1:41234.</summary>
    public Uri Address { get; }

    public static Task<ServedWorkbench> StartAsync(StoreLocation store, string? token = null)
        => StartAsync(new WorkbenchOptions { Store = store, Token = token });

    /// <summary>Starts a workbench with <paramref name="options"/> on a free loopback port.</summary>
    public static async Task<ServedWorkbench> StartAsync(WorkbenchOptions options)
    {
        var app = Workbench.Build(options with { Url = "http://127.0.0.1:0" });
        await app.StartAsync();
        return new ServedWorkbench(app);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>Opens the workbench at <paramref name="address"/> in a new page and waits until the page has loaded what it opens with.</summary>
    public static async Task<IPage> OpenAsync(HeadlessChromium chromium, Uri address, int width = 1250, int height = 1000)
    {
        var page = await chromium.NewPageAsync(width, height);
        await page.GotoAsync(address.AbsoluteUri, new PageGotoOptions { WaitUntil = WaitUntilState.Load });
        await page.EvaluateAsync("() => window.workbench.ready");
        return page;
    }
}
