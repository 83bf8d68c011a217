using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using LatencyNas.Tests;
using LatencyNas.Torch.Networks;
using LatencyNas.Torch.Onnx;
using LatencyNas.Workflows;
using LatencyNas.Workflows.Runners;
using Microsoft.Playwright;
using static TorchSharp.torch;

namespace LatencyNas.Web.Tests;

/// <summary>
/// Any ONNX model on the workbench: kernels profiled on this machine (a short protocol, a small sample: the convolution,
/// depthwise and elementwise kinds get predictors), a model of convolutions built and exported by the project, uploaded
/// on the page and predicted kernel by kernel as <c>predict --onnx</c> predicts it.
/// </summary>
public sealed class WorkbenchModelTests(WorkbenchModelTests.KernelWorkbench workbench) : IClassFixture<WorkbenchModelTests.KernelWorkbench>
{
    private const string Device = "quick-cpu";

    /// <summary>The store with the kernel predictors, the model file, and the workbench serving the store: built once for the class.</summary>
    public sealed class KernelWorkbench : IAsyncLifetime
    {
        private readonly TempDirectory _directory = new();
        private ServedWorkbench? _served;

        public StoreLocation Store { get; private set; } = null!;

        public string Model { get; private set; } = null!;

        public Uri Address => _served!.Address;

        public async Task InitializeAsync()
        {
            Store = new StoreLocation(_directory.File("profiles/latnas.db"));
            string device = _directory.File($"{Device}.json");
            await File.WriteAllTextAsync(device, $$"""
                { "name": "{{Device}}", "runtime": "onnxruntime", "threads": 1, "optimization": "extended",
                  "protocol": { "min_rounds": 3, "max_rounds": 4, "extra_rounds": 0, "min_quiet_visits": 3, "contended_above": 1, "min_round_seconds": 0 } }
                """);
            var profiled = await new ProfileKernelsUseCase(DeviceRunnerFactory.Instance).RunAsync(new ProfileKernelsRequest(device, Store, Scale: 0.05));
            Assert.True(profiled.Spaces.Single(s => s.Space == "kernel-conv").Predictor is not null, "no convolution predictor was trained");

            using var network = NetworkFactory.BuildUnderSeed(() => nn.Sequential(
                ("stem", nn.Conv2d(3, 16, 3, padding: 1)), ("relu1", nn.ReLU()),
                ("down", nn.Conv2d(16, 32, 3, stride: 2, padding: 1)), ("relu2", nn.ReLU()),
                ("wide", nn.Conv2d(32, 64, 3, padding: 1)), ("relu3", nn.ReLU()),
                ("head", nn.Conv2d(64, 10, 1))), seed: 0);
            network.eval();
            Model = _directory.File("convs.onnx");
            await File.WriteAllBytesAsync(Model, OnnxExporter.Export(network, new OnnxExportOptions([3, 32, 32])));

            // On a port, for the API tests here too: /api/model-prediction lifts the server's request body limit through
            // IHttpMaxRequestBodySizeFeature, which Kestrel gives every request and the in-memory TestServer does not.
            _served = await ServedWorkbench.StartAsync(Store);
        }

        public async Task DisposeAsync()
        {
            if (_served is not null)
            {
                await _served.DisposeAsync();
            }
            _directory.Dispose();
        }
    }

    [SkippableFact]
    public async Task A_model_uploaded_on_the_page_is_predicted_kernel_by_kernel_as_predict_onnx_predicts_it()
    {
        HeadlessChromium.RequireOrSkip("the workbench page test");
        await using var chromium = await HeadlessChromium.LaunchAsync();
        var page = await ServedWorkbench.OpenAsync(chromium, workbench.Address);

        await page.Locator("#model-file").SetInputFilesAsync(workbench.Model);
        await page.Locator("#model-device").SelectOptionAsync(Device);
        await page.Locator("#model-form button[type=submit]").ClickAsync();
        await page.WaitForFunctionAsync("() => window.workbench.state.model !== null && document.getElementById('model-explain').data?.length === 1");

        var expected = new ModelPredictionUseCase().Run(new ModelPredictionRequest(Device, workbench.Model, workbench.Store));
        Assert.Equal(4, expected.Kernels.Count); // the four convolutions, each with its activation fused
        Assert.Equal(expected.PredictedMs, await page.EvaluateAsync<double>("() => window.workbench.state.model.predicted_ms"));
        // The bars: the run's fixed cost and every kernel (fewer than the page's fifteen), adding up to the prediction.
        var bars = await page.EvaluateAsync<double[]>("() => document.getElementById('model-explain').data[0].y.slice(0, -1)");
        Assert.Equal([expected.OverheadMs, .. expected.Kernels.Select(k => k.PredictedMs)], bars);
        Assert.Equal(expected.PredictedMs, bars.Sum(), 9);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"convs.onnx on {Device}: {expected.PredictedMs:F3} ms predicted from 4 kernels"),
            await page.Locator("#model-status").TextContentAsync());
        Assert.Empty(chromium.Problems);
    }

    [Fact]
    public async Task A_corrupt_model_an_unknown_device_and_a_foreign_origin_are_refused()
    {
        using var http = await PostingClient(workbench.Address);

        async Task<(HttpStatusCode Status, string? Field)> Post(string query, byte[] body, string? origin = null)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/model-prediction" + query) { Content = new ByteArrayContent(body) };
            if (origin is not null)
            {
                request.Headers.Add("Origin", origin);
            }
            using var response = await http.SendAsync(request);
            string text = await response.Content.ReadAsStringAsync();
            Assert.DoesNotContain("   at ", text);
            return (response.StatusCode, JsonNode.Parse(text)?["field"]?.GetValue<string>());
        }

        byte[] model = await File.ReadAllBytesAsync(workbench.Model);
        // A model with a kernel kind the device's small sample left without a predictor (pooling) names the device and the kind.
        using (var pooled = NetworkFactory.BuildUnderSeed(() => nn.Sequential(("conv", nn.Conv2d(3, 8, 3)), ("pool", nn.AdaptiveAvgPool2d(1))), seed: 0))
        {
            pooled.eval();
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/model-prediction?device={Device}") { Content = new ByteArrayContent(OnnxExporter.Export(pooled, new OnnxExportOptions([3, 16, 16]))) };
            using var response = await http.SendAsync(request);
            var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            Assert.Equal((HttpStatusCode.BadRequest, "device"), (response.StatusCode, (string?)problem["field"]));
            Assert.Contains("kernel-pool", (string)problem["detail"]!);
        }
        Assert.Equal((HttpStatusCode.BadRequest, "model"), await Post($"?device={Device}&name=broken.onnx", [1, 2, 3, 4, 5]));
        // A model ONNX Runtime refuses (Conv weights of 5 channels on an input of 3) is no prediction but a 400 naming the node.
        var mismatch = new LatencyNas.Onnx.OnnxGraph("mismatch");
        mismatch.Input("x", LatencyNas.Onnx.Proto.TensorProto.Types.DataType.Float, 1, 3, 8, 8);
        mismatch.Rename(mismatch.Node("Conv", ["x", mismatch.Initializer("w", new float[8 * 5 * 3 * 3], 8, 5, 3, 3)], "conv"), "y");
        mismatch.UnshapedOutput("y", LatencyNas.Onnx.Proto.TensorProto.Types.DataType.Float);
        using (var request = new HttpRequestMessage(HttpMethod.Post, $"/api/model-prediction?device={Device}&name=mismatch.onnx")
               { Content = new ByteArrayContent(mismatch.ToModel(8, new Dictionary<string, int> { [""] = 17 }, "test")) })
        {
            using var response = await http.SendAsync(request);
            var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            Assert.Equal((HttpStatusCode.BadRequest, "model"), (response.StatusCode, (string?)problem["field"]));
            Assert.Contains("node 'conv/Conv' (Conv) does not fit its inputs", (string)problem["detail"]!);
        }
        Assert.Equal((HttpStatusCode.BadRequest, "device"), await Post("?device=no-such-device&name=convs.onnx", model));
        Assert.Equal((HttpStatusCode.BadRequest, "device"), await Post("?name=convs.onnx", model));
        Assert.Equal((HttpStatusCode.BadRequest, "batch"), await Post($"?device={Device}&batch=0", model));
        Assert.Equal((HttpStatusCode.BadRequest, "batch"), await Post($"?device={Device}&batch=100000000", model)); // --batch's range: 1 to 4,096
        Assert.Equal((HttpStatusCode.BadRequest, "batch"), await Post($"?device={Device}&batch=many", model));
        Assert.Equal(HttpStatusCode.Forbidden, (await Post($"?device={Device}", model, origin: "http://attacker.example")).Status);
        using var content = new ByteArrayContent(model);
        using var predicted = await http.PostAsync($"/api/model-prediction?device={Device}&name=convs.onnx", content);
        string answer = await predicted.Content.ReadAsStringAsync();
        Assert.True(predicted.StatusCode == HttpStatusCode.OK, answer);
        Assert.Equal("convs.onnx", (string)JsonNode.Parse(answer)!["model"]!);
    }

    [Fact]
    public async Task A_model_over_the_size_limit_is_refused_naming_the_model_whether_its_length_is_sent_or_not()
    {
        byte[] model = await File.ReadAllBytesAsync(workbench.Model);
        await using var served = await ServedWorkbench.StartAsync(new WorkbenchOptions { Store = workbench.Store, ModelSizeLimit = model.Length });
        using var http = await PostingClient(served.Address);

        async Task<(HttpStatusCode Status, JsonNode? Answer)> Post(byte[] body, bool sendLength)
        {
            HttpContent content = new ByteArrayContent(body);
            if (!sendLength)
            {
                var pipe = new System.IO.Pipelines.Pipe(new System.IO.Pipelines.PipeOptions(pauseWriterThreshold: 0)); // all of it written before it is read
                await pipe.Writer.WriteAsync(body);
                await pipe.Writer.CompleteAsync();
                content = new StreamContent(pipe.Reader.AsStream()); // a stream of unknown length: sent in chunks
            }
            using (content)
            {
                using var response = await http.PostAsync($"/api/model-prediction?device={Device}&name=convs.onnx", content);
                Assert.Equal(sendLength, content.Headers.ContentLength is not null);
                return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync()));
            }
        }

        foreach (bool sendLength in (bool[])[true, false])
        {
            var (status, answer) = await Post(model, sendLength); // at the limit: taken
            Assert.True(status == HttpStatusCode.OK, $"sent {(sendLength ? "with" : "without")} its length: {status} {answer}");
            Assert.Equal("convs.onnx", (string)answer!["model"]!);

            (status, answer) = await Post([.. model, 0], sendLength); // one byte over
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
            Assert.Equal("model", (string)answer!["field"]!);
            Assert.Contains($"({model.Length:N0} bytes)", (string)answer["detail"]!);
            Assert.Contains("latnas predict --onnx", (string)answer["detail"]!);
        }
    }

    /// <summary>A client that posts as the workbench's own page does: with the antiforgery token it hands out.</summary>
    private static async Task<HttpClient> PostingClient(Uri address)
    {
        var http = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer() }) { BaseAddress = address };
        var token = JsonNode.Parse(await http.GetStringAsync("/api/antiforgery"))!;
        http.DefaultRequestHeaders.Add(Workbench.AntiforgeryHeader, (string)token["token"]!);
        return http;
    }
}
