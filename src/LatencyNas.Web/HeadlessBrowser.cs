using Microsoft.Playwright;

namespace LatencyNas.Web;

/// <summary>Debian's Chromium, headless, driven by Playwright: nothing is downloaded (<c>apt-get install chromium</c>).</summary>
public static class HeadlessBrowser
{
    public const string ChromiumPath = "/usr/bin/chromium";

    /// <exception cref="InvalidInputException">No browser at <paramref name="path"/>.</exception>
    public static Task<IBrowser> LaunchChromiumAsync(IPlaywright playwright, string path = ChromiumPath)
    {
        if (!File.Exists(path))
        {
            throw new Core.InvalidInputException($"No Chromium at {path}: install it (apt-get install chromium) or give its path.");
        }
        return playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = path,
            Headless = true,
            // As root Chromium's sandbox cannot start; WebGL runs on SwiftShader headless, which without this logs a warning.
            Args = ["--no-sandbox", "--enable-unsafe-swiftshader"],
        });
    }
}
