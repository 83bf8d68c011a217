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
using LatencyNas.Tests;
using LatencyNas.Torch.Networks;

namespace LatencyNas.Agent.Tests;

public sealed class AgentHostTests
{
    private static readonly MeasurementProtocol Quick = TestProtocols.Quick;

    private static readonly byte[] Model = NetworkFactory.ExportOnnx(Nb201Space.Instance, Nb201Space.Instance.Parse("123401"), Dataset.Cifar10);

    /// <summary>A request to measure one model; <paramref name="path"/> <see cref="AgentContract.MeasureBatchPath"/> with a framed body measures a batch.</summary>
    private static HttpRequestMessage MeasureRequest(string endpoint, byte[] body, string? token = RunningAgent.Token, string? key = null, string path = AgentContract.MeasurePath)
    {
        var settings = new MeasureSettings(new OrtSettings(ExecutionProvider.Cpu, 1, "all", false, 1), Quick);
        var request = new HttpRequestMessage(HttpMethod.Post,
            $"{endpoint}{path}?{AgentContract.SettingsParameter}={Uri.EscapeDataString(JsonSerializer.Serialize(settings, AgentContract.Json))}")
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
        Assert.InRange(result.Statistics.Visits, Quick.MinRounds, Quick.MaxRounds);
        Assert.Equal(result.Statistics.Visits * Quick.KeptRunsPerVisit, result.Statistics.Runs);
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
            var outcome = Assert.Single(await runner.MeasureAsync([model], Quick, CancellationToken.None));
            var measurement = outcome.Measurement!;
            Assert.Equal("test-agent", measurement.Agent);
            Assert.Equal(measurement.Statistics.Visits * Quick.KeptRunsPerVisit, measurement.Statistics.Runs);

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

    [Fact]
    public async Task A_batch_is_measured_together_and_a_model_the_runtime_refuses_fails_alone()
    {
        await using var agent = await RunningAgent.StartAsync();
        byte[] other = NetworkFactory.ExportOnnx(Nb201Space.Instance, Nb201Space.Instance.Parse("333333"), Dataset.Cifar10);
        byte[] broken = [0x08, 0x07, .. Enumerable.Repeat((byte)0x5a, 40)]; // starts like a ModelProto, is none
        using var request = MeasureRequest(agent.Endpoint, BatchFraming.Write([Model, broken, other]), path: AgentContract.MeasureBatchPath);
        using var http = new HttpClient();
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var batch = (await response.Content.ReadFromJsonAsync<BatchResponse>(AgentContract.Json))!;
        Assert.Equal(3, batch.Items.Count);
        Assert.Contains("rejected", batch.Items[1].Failure);
        foreach (var item in new[] { batch.Items[0], batch.Items[2] })
        {
            Assert.Null(item.Failure);
            Assert.Equal("fastest-cold-visit", item.Statistics!.Estimator);
            Assert.InRange(item.Visits!.Count, Quick.MinRounds, Quick.MaxRounds);
            Assert.Equal(item.Visits.Min(v => v.LatencyMs), item.Statistics.LatencyMs, 12);
        }
        Assert.True(batch.Items[2].Statistics!.LatencyMs > batch.Items[0].Statistics!.LatencyMs); // 333333 does the most work

        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", RunningAgent.Token);
        var info = await http.GetFromJsonAsync<AgentInfo>(agent.Endpoint + AgentContract.InfoPath, AgentContract.Json)
                   ?? throw new InvalidOperationException("no info");
        Assert.Equal((64, 256L * 1024 * 1024), (info.MaxBatchModels, info.MaxBatchBytes));
    }

    [Fact]
    public async Task A_batch_over_the_agents_model_count_is_refused_with_400()
    {
        await using var agent = await RunningAgent.StartAsync(new AgentOptions { Token = RunningAgent.Token, Name = "small", MaxBatchModels = 2 });
        using var request = MeasureRequest(agent.Endpoint, BatchFraming.Write([Model, Model, Model]), path: AgentContract.MeasureBatchPath);
        using var http = new HttpClient();
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("1 to 2 models", (await response.Content.ReadFromJsonAsync<AgentError>(AgentContract.Json))!.Error);
    }

    [Fact]
    public async Task The_remote_runner_splits_a_batch_by_the_agents_limit_and_names_an_older_agent()
    {
        await using var agent = await RunningAgent.StartAsync(new AgentOptions { Token = RunningAgent.Token, Name = "small", MaxBatchModels = 2 });
        string tokenFile = Path.GetTempFileName();
        try
        {
            File.WriteAllText(tokenFile, RunningAgent.Token);
            var device = DeviceDescriptorReader.Parse($$"""
                { "name": "edge", "runtime": "remote", "remote": { "endpoints": ["{{agent.Endpoint}}"], "token_file": "{{tokenFile}}", "timeout_seconds": 30 } }
                """, "edge.json");
            await using var runner = new RemoteRunner(device, TorchOnnxModelSource.Instance);
            await runner.ProbeAsync(CancellationToken.None);
            var models = new[] { "111111", "222222", "333333" }.Select(d => runner.Prepare(device.RequestFor(Nb201Space.Instance, Nb201Space.Instance.Parse(d)))).ToList();
            var outcomes = await runner.MeasureAsync(models, Quick, CancellationToken.None); // two requests: 2 models, then 1
            Assert.Equal(["111111", "222222", "333333"], outcomes.Select(o => o.Request.Architecture.Digits));
            Assert.All(outcomes, o => Assert.Equal("small", o.Measurement!.Agent));

            // An agent from before batches answers /v1/info without batch limits.
            await using var older = await OlderAgent.StartAsync();
            var oldDevice = device with { Remote = device.Remote! with { Endpoints = [new Uri(older.Endpoint)] } };
            await using var oldRunner = new RemoteRunner(oldDevice, TorchOnnxModelSource.Instance);
            await oldRunner.ProbeAsync(CancellationToken.None);
            var error = await Assert.ThrowsAsync<Profiling.DeviceUnavailableException>(() => oldRunner.MeasureAsync([models[0]], Quick, CancellationToken.None));
            Assert.Contains("older latnas agent", error.Message);
        }
        finally
        {
            File.Delete(tokenFile);
        }
    }

    [Fact]
    public async Task An_agent_measures_the_protocols_instances_and_one_from_before_instances_is_named()
    {
        await using var agent = await RunningAgent.StartAsync(new AgentOptions { Token = RunningAgent.Token, Name = "small" });
        await using var older = await OlderAgent.StartAsync(measuresBatchesOnOneSession: true);
        string tokenFile = Path.GetTempFileName();
        try
        {
            File.WriteAllText(tokenFile, RunningAgent.Token);
            var device = DeviceDescriptorReader.Parse($$"""
                { "name": "edge", "runtime": "remote", "remote": { "endpoints": ["{{agent.Endpoint}}"], "token_file": "{{tokenFile}}", "timeout_seconds": 30 } }
                """, "edge.json");
            var protocol = Quick with { InstancesPerArchitecture = 3, MinRounds = 3, MaxRounds = 3 };
            await using var runner = new RemoteRunner(device, TorchOnnxModelSource.Instance);
            await runner.ProbeAsync(CancellationToken.None);
            var models = new[] { "111111", "222222" }.Select(d => runner.Prepare(device.RequestFor(Nb201Space.Instance, Nb201Space.Instance.Parse(d)), protocol.Instances)).ToList();
            var outcomes = await runner.MeasureAsync(models, protocol, CancellationToken.None);
            Assert.All(outcomes, o =>
            {
                Assert.Equal("median-of-3-instances-fastest-cold-visit", o.Measurement!.Statistics.Estimator);
                Assert.Equal([0, 1, 2], o.Measurement.Visits!.Select(v => v.Instance));
            });

            var oldDevice = device with { Remote = device.Remote! with { Endpoints = [new Uri(older.Endpoint)] } };
            await using var oldRunner = new RemoteRunner(oldDevice, TorchOnnxModelSource.Instance);
            await oldRunner.ProbeAsync(CancellationToken.None);
            var error = await Assert.ThrowsAsync<Profiling.DeviceUnavailableException>(() => oldRunner.MeasureAsync([models[0]], protocol, CancellationToken.None));
            Assert.Contains("older latnas agent", error.Message);
            Assert.Contains("\"instances_per_architecture\": 1", error.Message);
        }
        finally
        {
            File.Delete(tokenFile);
        }
    }
}
