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
        using var serve = Process.Start(Latnas.InterruptibleStartInfo("serve", "--urls", $"http://127.0.0.1:{port}", "--store", store))!;
        var stderr = serve.StandardError.ReadToEndAsync();
        // It says where it listens once it is ready (listening, and its first answers warmed up).
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        serve.OutputDataReceived += (_, line) =>
        {
            if (line.Data?.Contains($"on http://127.0.0.1:{port}", StringComparison.Ordinal) == true)
            {
                ready.TrySetResult();
            }
        };
        serve.BeginOutputReadLine();
        await Task.WhenAny(ready.Task, serve.WaitForExitAsync(), Task.Delay(TimeSpan.FromMinutes(1)));
        Assert.True(ready.Task.IsCompleted, serve.HasExited ? $"serve exited: {await stderr}" : "serve did not say where it listens within a minute");

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        using (var devices = await http.GetAsync("/api/devices"))
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
    }

    [Fact]
    public void Serve_refuses_a_missing_store_an_open_address_without_a_token_an_unreadable_token_file_and_a_demo_without_its_tables_with_exit_2()
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
        string demoStore = _directory.File("demo.db");
        var noTables = Latnas.Run("serve", "--demo", "--data", _directory.File("no-tables"), "--store", demoStore);
        Assert.True(noTables.ExitCode == 2, noTables.ToString());
        Assert.Contains("nb201_help_latency_ms.csv", noTables.Stderr);
        Assert.False(File.Exists(demoStore));
        var openDemo = Latnas.Run("serve", "--demo", "--data", SharedData.Directory, "--urls", "http://0.0.0.0:5099", "--store", demoStore);
        Assert.True(openDemo.ExitCode == 2, openDemo.ToString()); // refused before a minute spent filling the store
        Assert.False(File.Exists(demoStore));
        var dataAlone = Latnas.Run("serve", "--data", SharedData.Directory, "--store", store);
        Assert.True(dataAlone.ExitCode == 2, dataAlone.ToString());
        Assert.Contains("--demo", dataAlone.Stderr);
        Assert.All(new[] { missing, open, unreadable, noTables, openDemo, dataAlone }, run => Assert.DoesNotContain("   at ", run.Stderr));
    }

    [Fact]
    public async Task A_search_steered_through_the_workbench_saves_a_record_that_replays_from_the_command_line()
    {
        string store = _directory.File("latnas.db");
        Assert.Equal(0, Latnas.Run("import", "--csv", SharedData.File("nb201_help_latency_ms.csv"), "--columns", "pixel3", "--store", store).ExitCode);
        Assert.Equal(0, Latnas.Run("import", "--csv", SharedData.File("nb201_accuracy.csv"), "--objectives", "cifar10_test_acc", "--store", store).ExitCode);
        int port = LoopbackPort.Free();
        using var serve = Process.Start(Latnas.StartInfo("serve", "--urls", $"http://127.0.0.1:{port}", "--store", store))!;
        var stderr = serve.StandardError.ReadToEndAsync();
        try
        {
            using var http = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer() }) { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            var waited = Stopwatch.StartNew();
            string? antiforgery = null;
            while (antiforgery is null)
            {
                Assert.False(serve.HasExited, "serve exited");
                Assert.True(waited.Elapsed < TimeSpan.FromMinutes(1), "serve did not answer within a minute");
                try
                {
                    using var token = JsonDocument.Parse(await http.GetStringAsync("/api/antiforgery"));
                    antiforgery = token.RootElement.GetProperty("token").GetString();
                }
                catch (HttpRequestException)
                {
                    await Task.Delay(100);
                }
            }
            http.DefaultRequestHeaders.Add("X-Latnas-Antiforgery", antiforgery);
            async Task Post(string path, string json)
            {
                using var response = await http.PostAsync(path, new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
                Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{path} {json}: {await response.Content.ReadAsStringAsync()}");
            }
            await Post("/api/search", """{"target":"pixel3","objective":"cifar10_test_acc","max_latency_ms":9,"mode":"measured","evaluations":250,"seed":5,"start_paused":true,"evaluations_per_second":1000}""");
            await Post("/api/search/actions", """{"kind":"pin","decision":0,"choice":2}""");
            await Post("/api/search/actions", """{"kind":"budget","max_latency_ms":7.5}""");
            await Post("/api/search/actions", """{"kind":"resume"}""");
            string status = "";
            while (status is not ("finished" or "failed"))
            {
                Assert.True(waited.Elapsed < TimeSpan.FromMinutes(3), $"the search did not finish: {status}");
                await Task.Delay(100);
                using var state = JsonDocument.Parse(await http.GetStringAsync("/api/search"));
                status = state.RootElement.GetProperty("status").GetString()!;
            }
            Assert.Equal("finished", status);
            string record = _directory.File("steered.json");
            File.WriteAllText(record, await http.GetStringAsync("/api/search/record"));

            var replay = Latnas.Run("search", "--replay", record, "--store", store);
            Assert.True(replay.ExitCode == 0, replay.ToString());
            Assert.Contains("replay  250 evaluations, identical to the record (250 distinct, 3 actions applied)", replay.Stdout);
            Assert.Contains("(budget 7.5 ms)", replay.Stdout);
            Assert.Matches(@"best   \S+ \(2\d{5} ", replay.Stdout); // the pin holds: nor_conv_1x1 on the first edge
        }
        finally
        {
            serve.Kill();
            await serve.WaitForExitAsync();
        }
    }
}
