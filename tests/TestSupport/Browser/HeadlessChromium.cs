using Microsoft.Playwright;

namespace LatencyNas.Tests;

/// <summary>
/// Debian's Chromium, headless, driven by Playwright (nothing is downloaded; .ci/run installs the package), with a
/// page that records every problem a reader would see: console errors and warnings, script errors, failed requests
/// and HTTP errors.
/// </summary>
public sealed class HeadlessChromium : IAsyncDisposable
{
    public const string ExecutablePath = LatencyNas.Web.HeadlessBrowser.ChromiumPath;

    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;

    private HeadlessChromium(IPlaywright playwright, IBrowser browser) => (_playwright, _browser) = (playwright, browser);

    /// <summary>Problems the pages of this browser met, one line each.</summary>
    public List<string> Problems { get; } = [];

    /// <summary>Skips the test when the browser is missing — except with CI=true, where that is a failure.</summary>
    public static void RequireOrSkip(string test)
    {
        string reason = $"{test} needs Debian's chromium at {ExecutablePath} (.ci/run installs it)";
        bool ci = string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
        Assert.True(File.Exists(ExecutablePath) || !ci, reason);
        Skip.IfNot(File.Exists(ExecutablePath), reason);
    }

    public static async Task<HeadlessChromium> LaunchAsync()
    {
        var playwright = await Playwright.CreateAsync();
        var browser = await LatencyNas.Web.HeadlessBrowser.LaunchChromiumAsync(playwright);
        return new HeadlessChromium(playwright, browser);
    }

    public async Task<IPage> NewPageAsync(int width, int height)
    {
        var page = await _browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = width, Height = height } });
        page.Console += (_, message) =>
        {
            // Chromium's software GL reports its own performance notes ("GL Driver Message ... GPU stall due to ReadPixels",
            // when a WebGL chart picks the point under the mouse) as console warnings; they say nothing of the page.
            if (message.Type is "error" || (message.Type is "warning" && !message.Text.Contains("GL Driver Message", StringComparison.Ordinal)))
            {
                Problems.Add($"console {message.Type}: {message.Text}");
            }
        };
        page.PageError += (_, error) => Problems.Add($"page error: {error}");
        page.RequestFailed += (_, request) =>
        {
            // An event stream the page closes (when its search ends) or leaves (a reload) is aborted: the page's doing, not a failure.
            if (!(request.ResourceType == "eventsource" && request.Failure == "net::ERR_ABORTED"))
            {
                Problems.Add($"request failed: {request.Url} ({request.Failure})");
            }
        };
        page.Response += (_, response) =>
        {
            if (response.Status >= 400)
            {
                Problems.Add($"HTTP {response.Status}: {response.Url}");
            }
        };
        return page;
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}
