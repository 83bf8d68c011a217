using System.Diagnostics;
using System.Net;
using System.Text.Json;
using LatencyNas.Tests;

namespace LatencyNas.Cli.Tests;

/// <summary><c>latnas serve</c> as a process: it serves the store until Ctrl-C (exit 0) and refuses what it cannot serve (exit 2).</summary>
public sealed class ServeCommandTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Serve_answers_on_its_address_until_ctrl_c_and_then_exits_0()
    {
        string store = _directory.File("latnas.db");
        Assert.Equal(0, Latnas.Run("import", "--csv", SharedData.File("nb201_help_latency_ms.csv"), "--columns", "pixel3,fpga", "--store", store).ExitCode);
        int port = LoopbackPort.Free();
        using var serve = Process.Start(Latnas.StartInfo("serve", "--urls", $"http://127.0.0.1:{port}", "--store", store))!;
        var stdout = serve.StandardOutput.ReadToEndAsync();
        var stderr = serve.StandardError.ReadToEndAsync();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        var waited = Stopwatch.StartNew();
        HttpResponseMessage? devices = null;
        while (devices is null)
        {
            if (serve.HasExited)
            {
                Assert.Fail($"serve exited: {await stderr}");
            }
            Assert.True(waited.Elapsed < TimeSpan.FromMinutes(1), "serve did not answer within a minute");
            try
            {
                devices = await http.GetAsync("/api/devices");
            }
            catch (HttpRequestException)
            {
                await Task.Delay(100);
            }
        }
        using (devices)
        {
            Assert.Equal(HttpStatusCode.OK, devices.StatusCode);
            using var json = JsonDocument.Parse(await devices.Content.ReadAsStringAsync());
            Assert.Equal(["fpga", "pixel3"], json.RootElement.GetProperty("devices").EnumerateArray().Select(d => d.GetProperty("name").GetString()!).Order());
        }

        using (var interrupt = Process.Start("kill", ["-INT", serve.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            interrupt.WaitForExit();
        }
        Assert.True(serve.WaitForExit(TimeSpan.FromSeconds(30)), "serve did not stop within 30 s of Ctrl-C");
        Assert.True(serve.ExitCode == 0, $"exit {serve.ExitCode}: {await stderr}");
        Assert.Contains($"on http://127.0.0.1:{port}", await stdout);
    }

    [Fact]
    public void Serve_refuses_a_missing_store_an_open_address_without_a_token_and_an_unreadable_token_file_with_exit_2()
    {
        var missing = Latnas.Run("serve", "--store", _directory.File("none.db"));
        Assert.True(missing.ExitCode == 2, missing.ToString());

        string store = _directory.File("latnas.db");
        Assert.Equal(0, Latnas.Run("import", "--csv", SharedData.File("nb201_help_latency_ms.csv"), "--columns", "pixel3", "--store", store).ExitCode);
        var open = Latnas.Run("serve", "--urls", "http://0.0.0.0:5099", "--store", store);
        Assert.True(open.ExitCode == 2, open.ToString());
        Assert.Contains("token", open.Stderr);
        var unreadable = Latnas.Run("serve", "--token-file", _directory.File("no-token"), "--store", store);
        Assert.True(unreadable.ExitCode == 2, unreadable.ToString());
        Assert.All(new[] { missing, open, unreadable }, run => Assert.DoesNotContain("   at ", run.Stderr));
    }
}
