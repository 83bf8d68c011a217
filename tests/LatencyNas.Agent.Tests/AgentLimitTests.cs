using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
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

/// <summary>What a client may ask of an agent: every setting bounded, no model reaching outside itself, no measurement outliving its clients.</summary>
public sealed class AgentLimitTests
{
    private static readonly byte[] Model = NetworkFactory.ExportOnnx(Nb201Space.Instance, Nb201Space.Instance.Parse("123401"), Dataset.Cifar10);

    private static HttpRequestMessage Request(string endpoint, byte[] body, MeasurementProtocol? protocol = null, int threads = 1, int batchSize = 1, string? key = null,
        string optimization = "all")
    {
        var settings = new MeasureSettings(new OrtSettings(ExecutionProvider.Cpu, threads, optimization, false, batchSize), protocol ?? TestProtocols.Quick);
        return Request(endpoint, JsonSerializer.Serialize(settings, AgentContract.Json), body, key: key);
    }

    /// <summary>A request with the settings as a client wrote them, right or wrong.</summary>
    private static HttpRequestMessage Request(string endpoint, string settings, byte[] body, string path = AgentContract.MeasurePath, string? key = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post,
            $"{endpoint}{path}?{AgentContract.SettingsParameter}={Uri.EscapeDataString(settings)}")
        {
            Content = new ByteArrayContent(body),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", RunningAgent.Token);
        if (key is not null)
        {
            request.Headers.Add(AgentContract.IdempotencyHeader, key);
        }
        return request;
    }

    private static async Task<(HttpStatusCode Status, string Error)> Send(HttpRequestMessage request)
    {
        using var http = new HttpClient();
        using var response = await http.SendAsync(request);
        string error = response.IsSuccessStatusCode ? "" : (await response.Content.ReadFromJsonAsync<AgentError>(AgentContract.Json))!.Error;
        return (response.StatusCode, error);
    }

    [Fact]
    public async Task Settings_beyond_the_agents_limits_are_400_naming_the_limit()
    {
        await using var agent = await RunningAgent.StartAsync();
        var burst = MeasurementProtocol.Default with { Mode = MeasurementMode.Burst };

        var runs = await Send(Request(agent.Endpoint, Model, burst with { MinRuns = 100_000_000, MaxRuns = 100_000_000 }));
        Assert.Equal((HttpStatusCode.BadRequest, true), (runs.Status, runs.Error.Contains("--max-runs")));

        var time = await Send(Request(agent.Endpoint, Model, burst with { MaxTime = TimeSpan.FromHours(2) }));
        Assert.Equal((HttpStatusCode.BadRequest, true), (time.Status, time.Error.Contains("--max-seconds")));

        var threads = await Send(Request(agent.Endpoint, Model, threads: 4096));
        Assert.Equal((HttpStatusCode.BadRequest, true), (threads.Status, threads.Error.Contains("cores")));

        // An input of 1 × 1 × 10⁶ × 10⁶ floats: refused before anything is allocated, with 400 and one line, not 500.
        var input = await Send(Request(agent.Endpoint, IdentityModel(1, 1, 1_000_000, 1_000_000)));
        Assert.Equal((HttpStatusCode.BadRequest, true), (input.Status, input.Error.Contains("elements")));
        Assert.DoesNotContain("\n", input.Error);
        Assert.DoesNotContain(agent.Log, line => line.Contains("failed a request"));

        var fine = await Send(Request(agent.Endpoint, Model));
        Assert.Equal(HttpStatusCode.OK, fine.Status); // the agent is not blocked by what it refused
    }

    /// <summary>An unknown optimization level used to be measured as "all" and answered 200.</summary>
    [Fact]
    public async Task An_unknown_optimization_level_is_400_naming_the_levels_and_is_not_measured()
    {
        await using var agent = await RunningAgent.StartAsync();

        var bogus = await Send(Request(agent.Endpoint, Model, optimization: "bogus"));

        Assert.Equal((HttpStatusCode.BadRequest, "optimization 'bogus' is not one of disabled|basic|extended|all"), bogus);
        Assert.DoesNotContain(agent.Log, line => line.Contains("measured"));
        // The library refuses it too, rather than falling back to another level.
        var settings = new OrtSettings(ExecutionProvider.Cpu, 1, "bogus", false, 1);
        Assert.Contains("disabled|basic|extended|all", Assert.Throws<Core.InvalidInputException>(() => OrtTimedSession.CreateSessionOptions(settings)).Message);
        Assert.Equal(HttpStatusCode.OK, (await Send(Request(agent.Endpoint, Model, optimization: "basic"))).Status);
    }

    /// <summary>Refusals used to name a descriptor's field the client never sent (max_seconds), a .NET type, or a length "0 of 0 left".</summary>
    [Fact]
    public async Task Bad_settings_and_an_empty_model_are_400_in_the_clients_own_terms()
    {
        await using var agent = await RunningAgent.StartAsync();
        const string Runtime = """{"provider":"cpu","threads":1,"optimization":"all","batch_size":1}""";

        var negative = await Send(Request(agent.Endpoint, $$$"""{"runtime":{{{Runtime}}},"protocol":{"mode":"burst","max_runs":30,"max_time":"-00:00:01","warmup_max_runs":5}}""", Model));
        var mode = await Send(Request(agent.Endpoint, $$$"""{"runtime":{{{Runtime}}},"protocol":{"mode":"bogus","max_runs":30}}""", Model));
        var empty = await Send(Request(agent.Endpoint, $$$"""{"runtime":{{{Runtime}}},"protocol":{"mode":"burst","max_runs":30}}""",
            BatchFraming.Write([Model, []]), path: AgentContract.MeasureBatchPath));

        Assert.Equal((HttpStatusCode.BadRequest, "invalid protocol: max_time must be > 0 (got -1 s)"), negative);
        Assert.Equal((HttpStatusCode.BadRequest, "settings: protocol.mode must be one of interleaved|burst"), mode);
        Assert.Equal(HttpStatusCode.BadRequest, empty.Status);
        Assert.EndsWith("model 2 is empty (its length is 0); an empty model is not allowed", empty.Error);
    }

    /// <summary>
    /// An initializer whose data is in a file: ONNX Runtime would resolve the path against the agent's
    /// working folder, and its answer used to tell whether that file exists.
    /// </summary>
    [Fact]
    public async Task A_model_with_external_data_is_refused_before_onnx_runtime_sees_it_whatever_the_path()
    {
        await using var agent = await RunningAgent.StartAsync();
        string existing = Path.GetFileName(typeof(AgentLimitTests).Assembly.Location); // in the working folder of the tests
        var answers = new List<(HttpStatusCode, string)>();
        foreach (string location in new[] { existing, "no-such-file.bin", "../../../../etc/passwd" })
        {
            answers.Add(await Send(Request(agent.Endpoint, WithExternalInitializer(Model, location))));
        }
        Assert.All(answers, a => Assert.Equal(HttpStatusCode.BadRequest, a.Item1));
        Assert.All(answers, a => Assert.Contains("keeps its data outside the model", a.Item2));
        Assert.Single(answers.Distinct()); // the same answer whether the file exists or not

        Assert.Null(ExternalDataScan.Problem(Model));
        Assert.Contains("not valid ONNX", ExternalDataScan.Problem([0x3a, 0x7f, 0x01]));
    }

    [Fact]
    public async Task The_same_idempotency_key_with_another_model_is_409()
    {
        await using var agent = await RunningAgent.StartAsync();
        byte[] other = NetworkFactory.ExportOnnx(Nb201Space.Instance, Nb201Space.Instance.Parse("333333"), Dataset.Cifar10);
        var first = await Send(Request(agent.Endpoint, Model, key: "k-1"));
        var conflict = await Send(Request(agent.Endpoint, other, key: "k-1"));
        var again = await Send(Request(agent.Endpoint, Model, key: "k-1"));
        Assert.Equal(HttpStatusCode.OK, first.Status);
        Assert.Equal(HttpStatusCode.Conflict, conflict.Status);
        Assert.Contains("another request", conflict.Error);
        Assert.Equal(HttpStatusCode.OK, again.Status);
    }

    /// <summary>A client that asked for a long measurement and went away used to keep the agent busy until it finished.</summary>
    [Fact]
    public async Task A_measurement_whose_client_went_away_is_stopped_and_the_next_client_is_served()
    {
        await using var agent = await RunningAgent.StartAsync();
        var lengthy = MeasurementProtocol.Default with
        {
            Mode = MeasurementMode.Burst, MinRuns = 15_000, MaxRuns = 15_000, MaxTime = TimeSpan.FromSeconds(55), TargetRelativePrecision = null,
        };
        using (var impatient = new CancellationTokenSource(TimeSpan.FromSeconds(1)))
        using (var http = new HttpClient())
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => http.SendAsync(Request(agent.Endpoint, Model, lengthy), impatient.Token));
        }
        for (int attempt = 0; attempt < 600 && !agent.Log.Any(l => l.Contains("its client went away")); attempt++)
        {
            await Task.Delay(50);
        }
        Assert.Contains(agent.Log, l => l.Contains("stopped a measurement of 1 model(s)") && l.Contains("its client went away"));
        var next = await Send(Request(agent.Endpoint, Model));
        Assert.Equal(HttpStatusCode.OK, next.Status);
    }

    /// <summary>A model of one Identity node whose float input and output have the given fixed shape.</summary>
    private static byte[] IdentityModel(params long[] shape)
    {
        byte[] dims = [.. shape.SelectMany(d => Message((1, [.. Varint(1 << 3), .. Varint((ulong)d)])))];
        byte[] type = Message((1, [.. Varint(1 << 3), .. Varint(1), .. Message((2, dims))])); // tensor_type { elem_type FLOAT, shape }
        byte[] ValueInfo(string name) => Message((1, Encoding.UTF8.GetBytes(name)), (2, type));
        byte[] node = Message((1, Encoding.UTF8.GetBytes("x")), (2, Encoding.UTF8.GetBytes("y")), (4, Encoding.UTF8.GetBytes("Identity")));
        byte[] graph = [.. Message((1, node), (2, Encoding.UTF8.GetBytes("g"))), .. Message((11, ValueInfo("x")), (12, ValueInfo("y")))];
        byte[] opset = [.. Message((1, [])), .. Varint(2 << 3), .. Varint(17)];
        return [.. Varint(1 << 3), .. Varint(8), .. Message((8, opset)), .. Message((7, graph))];
    }

    /// <summary>The model with one more initializer whose data is said to lie in <paramref name="location"/>.</summary>
    private static byte[] WithExternalInitializer(byte[] model, string location)
    {
        // Protobuf merges a repeated embedded message: a second ModelProto.graph (field 7) adds its initializer to the first.
        byte[] entry = Message((1, Encoding.UTF8.GetBytes("location")), (2, Encoding.UTF8.GetBytes(location)));
        byte[] tensor = [.. Varint(1 << 3), .. Varint(4), .. Varint(2 << 3), .. Varint(1), .. Message((8, Encoding.UTF8.GetBytes("leak"))),
            .. Message((13, entry)), .. Varint(14 << 3), .. Varint(1)];
        byte[] graph = Message((5, tensor));
        return [.. model, .. Message((7, graph))];
    }

    private static byte[] Message(params (int Field, byte[] Content)[] fields)
        => fields.SelectMany(f => (byte[])[.. Varint((ulong)(f.Field << 3 | 2)), .. Varint((ulong)f.Content.Length), .. f.Content]).ToArray();

    private static byte[] Varint(ulong value)
    {
        var bytes = new List<byte>();
        do
        {
            byte b = (byte)(value & 0x7f);
            value >>= 7;
            bytes.Add(value == 0 ? b : (byte)(b | 0x80));
        }
        while (value != 0);
        return [.. bytes];
    }
}
