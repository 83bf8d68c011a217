using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using LatencyNas.Core.Spaces;
using LatencyNas.Core.Spaces.Nb201;
using LatencyNas.Profiling.Devices;
using LatencyNas.Profiling.Remote;
using LatencyNas.Profiling.Runners;
using LatencyNas.Profiling.Timing;
using LatencyNas.Torch.Networks;

namespace LatencyNas.Agent.Tests;

public sealed class AgentHostTests
{
    private static readonly MeasurementProtocol Quick = MeasurementProtocol.Default with
    {
        WarmupMaxTime = TimeSpan.FromMilliseconds(30),
        MinRuns = 5,
        MaxTime = TimeSpan.FromMilliseconds(60),
    };

    private static readonly byte[] Model = NetworkFactory.ExportOnnx(Nb201Space.Instance, Nb201Space.Instance.Parse("123401"), Dataset.Cifar10);

    private static HttpRequestMessage MeasureRequest(string endpoint, byte[] body, string? token = RunningAgent.Token, string? key = null)
    {
        var settings = new MeasureSettings(new OrtSettings(ExecutionProvider.Cpu, 1, "all", false, 1), Quick);
        var request = new HttpRequestMessage(HttpMethod.Post,
            $"{endpoint}{AgentContract.MeasurePath}?{AgentContract.SettingsParameter}={Uri.EscapeDataString(JsonSerializer.Serialize(settings, AgentContract.Json))}")
        {
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        if (key is not null)
        {
            request.Headers.Add(AgentContract.IdempotencyHeader, key);
        }
        return request;
    }

    [Fact]
    public async Task Measures_an_uploaded_model_with_the_local_statistics()
    {
        await using var agent = await RunningAgent.StartAsync();
        using var http = new HttpClient();
        using var response = await http.SendAsync(MeasureRequest(agent.Endpoint, Model));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var result = (await response.Content.ReadFromJsonAsync<MeasureResponse>(AgentContract.Json))!;
        Assert.Equal("test-agent", result.Agent);
        Assert.True(result.Statistics.Runs >= 5);
        Assert.InRange(result.Statistics.MedianMs, 0.01, 100);
        Assert.True(result.SessionMs > 0);
    }

    [Fact]
    public async Task Wrong_or_missing_token_is_401_and_health_needs_none()
    {
        await using var agent = await RunningAgent.StartAsync();
        using var http = new HttpClient();
        using var missing = await http.SendAsync(MeasureRequest(agent.Endpoint, Model, token: null));
        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        using var wrong = await http.SendAsync(MeasureRequest(agent.Endpoint, Model, token: "not-the-token-at-all-123"));
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Contains("bearer token", await wrong.Content.ReadAsStringAsync());
        using var info = await http.GetAsync(agent.Endpoint + AgentContract.InfoPath);
        Assert.Equal(HttpStatusCode.Unauthorized, info.StatusCode);
        Assert.True((await http.GetAsync(agent.Endpoint + AgentContract.HealthPath)).IsSuccessStatusCode);
    }

    [Fact]
    public async Task Oversized_model_is_413_and_non_onnx_body_is_400()
    {
        await using var agent = await RunningAgent.StartAsync(new AgentOptions { Token = RunningAgent.Token, MaxModelMegabytes = 1 });
        using var http = new HttpClient();
        using var big = await http.SendAsync(MeasureRequest(agent.Endpoint, new byte[2 * 1024 * 1024]));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, big.StatusCode);
        Assert.Contains("limit", await big.Content.ReadAsStringAsync());

        // A careful client asks first and never uploads the refused body.
        var careful = MeasureRequest(agent.Endpoint, new byte[2 * 1024 * 1024]);
        careful.Headers.ExpectContinue = true;
        using var refused = await http.SendAsync(careful);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, refused.StatusCode);

        using var text = await http.SendAsync(MeasureRequest(agent.Endpoint, "this is not a model, only some text"u8.ToArray()));
        Assert.Equal(HttpStatusCode.BadRequest, text.StatusCode);

        byte[] corrupt = [.. Model[..64], .. new byte[64]];
        using var broken = await http.SendAsync(MeasureRequest(agent.Endpoint, corrupt));
        Assert.Equal(HttpStatusCode.BadRequest, broken.StatusCode);
    }

    [Fact]
    public async Task A_repeated_idempotency_key_is_answered_without_measuring_again()
    {
        await using var agent = await RunningAgent.StartAsync();
        using var http = new HttpClient();
        using var first = await http.SendAsync(MeasureRequest(agent.Endpoint, Model, key: "arch-123401-run-1"));
        using var again = await http.SendAsync(MeasureRequest(agent.Endpoint, Model, key: "arch-123401-run-1"));
        using var other = await http.SendAsync(MeasureRequest(agent.Endpoint, Model, key: "arch-123401-run-2"));
        string a = await first.Content.ReadAsStringAsync(), b = await again.Content.ReadAsStringAsync(), c = await other.Content.ReadAsStringAsync();
        Assert.Equal(a, b);      // the very same statistics: not measured twice
        Assert.NotEqual(a, c);   // a new key is a new measurement
    }

    [Fact]
    public async Task Info_describes_the_host_and_its_limits()
    {
        await using var agent = await RunningAgent.StartAsync();
        using var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", RunningAgent.Token);
        var info = (await http.GetFromJsonAsync<AgentInfo>(agent.Endpoint + AgentContract.InfoPath, AgentContract.Json))!;
        Assert.Equal(Environment.ProcessorCount, info.Cores);
        Assert.Contains("CPUExecutionProvider", info.Providers);
        Assert.Equal(64L * 1024 * 1024, info.MaxModelBytes);
        Assert.True(info.RequiresToken);
    }

    [Theory]
    [InlineData(null, false, "http://127.0.0.1:5080", "token is required")]
    [InlineData(null, true, "http://0.0.0.0:5080", "loopback")]
    [InlineData("short", false, "http://127.0.0.1:5080", "at least 16")]
    [InlineData("long-enough-token-here", false, "ftp://127.0.0.1:5080", "not an http")]
    public void Unsafe_or_malformed_options_are_refused(string? token, bool insecure, string url, string expected)
    {
        var error = Assert.Throws<Core.InvalidInputException>(() => new AgentOptions { Token = token, Insecure = insecure, Urls = [url] }.Validated());
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public async Task Remote_runner_matches_the_local_schema_and_refuses_a_wrong_token_clearly()
    {
        await using var agent = await RunningAgent.StartAsync();
        string tokenFile = Path.GetTempFileName();
        try
        {
            File.WriteAllText(tokenFile, RunningAgent.Token);
            var device = DeviceDescriptorReader.Parse($$"""
                { "name": "edge", "runtime": "remote", "remote": { "endpoints": ["{{agent.Endpoint}}"], "token_file": "{{tokenFile}}", "timeout_seconds": 30 } }
                """, "edge.json");
            await using var runner = new RemoteRunner(device, Torch.Networks.TorchOnnxModelSource.Instance);
            var fingerprint = await runner.ProbeAsync(CancellationToken.None);
            Assert.Equal("remote", fingerprint.Runtime);
            using var model = runner.Prepare(device.RequestFor(Nb201Space.Instance, Nb201Space.Instance.Parse("333333")));
            var measurement = await runner.MeasureAsync(model, Quick, CancellationToken.None);
            Assert.Equal("test-agent", measurement.Agent);
            Assert.True(measurement.Statistics.Runs >= 5);

            File.WriteAllText(tokenFile, "a-wrong-token-of-some-length");
            await using var wrong = new RemoteRunner(device, Torch.Networks.TorchOnnxModelSource.Instance);
            var error = await Assert.ThrowsAsync<Profiling.DeviceUnavailableException>(() => wrong.ProbeAsync(CancellationToken.None));
            Assert.Contains("401", error.Message);
        }
        finally
        {
            File.Delete(tokenFile);
        }
    }
}
