using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using LatencyNas.Core.Spaces.Nb201;
using LatencyNas.Tests;
using LatencyNas.Workflows;

namespace LatencyNas.Web.Tests;

/// <summary>The workbench's API over a real store: the use cases' records as the commands print them, and bad input answered, never a crash.</summary>
[Collection(RunningWorkbenchCollection.Name)]
public sealed class WorkbenchApiTests(RunningWorkbench workbench) : IDisposable
{
    private readonly HttpClient _http = workbench.Factory.CreateClient();

    public void Dispose() => _http.Dispose();

    private async Task<JsonNode> Get(string path, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await _http.GetAsync(path);
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{path}: {(int)response.StatusCode} {body}");
        Assert.DoesNotContain("   at ", body);
        return JsonNode.Parse(body)!;
    }

    private static JsonNode AsCommandPrints<T>(T result) => JsonNode.Parse(JsonSerializer.Serialize(result, ResultJson.Options))!;

    [Fact]
    public async Task Devices_monotonicity_and_show_answer_with_the_records_the_commands_print()
    {
        var store = workbench.Store;
        Assert.True(JsonNode.DeepEquals(AsCommandPrints(new DevicesListUseCase().Run(new DevicesListRequest(store))), await Get("/api/devices")));

        var monotonicity = await Get("/api/monotonicity?devices=pixel3,raspi4,eyeriss");
        Assert.True(JsonNode.DeepEquals(AsCommandPrints(new MonotonicityUseCase().Run(new MonotonicityRequest(["pixel3", "raspi4", "eyeriss"], Nb201Space.Instance, store))),
            monotonicity));
        Assert.Equal(15_625, (int)monotonicity["architectures"]!);

        var show = await Get("/api/show?arch=%23100");
        var architecture = Nb201Space.Instance.Parse("#100");
        Assert.True(JsonNode.DeepEquals(AsCommandPrints(new ShowUseCase().Run(new ShowRequest(architecture, Nb201Space.Instance, store))), show));
        Assert.Equal(100, (int)show["architecture"]!["index"]!);
    }

    [Fact]
    public async Task Monotonicity_without_devices_is_the_comparison_the_page_opens_with_and_none_for_a_store_with_nothing_to_compare()
    {
        // The first eight devices with at least three measurements, in the order the devices list gives them.
        var opening = new DevicesListUseCase().Run(new DevicesListRequest(workbench.Store)).Devices.Where(d => d.Measured >= 3).Select(d => d.Name).Take(8).ToList();
        Assert.Equal(RunningWorkbench.Devices.Length, opening.Count);
        Assert.True(JsonNode.DeepEquals(AsCommandPrints(new MonotonicityUseCase().Run(new MonotonicityRequest(opening, Nb201Space.Instance, workbench.Store))),
            await Get("/api/monotonicity")));

        using var directory = new TempDirectory();
        var empty = new StoreLocation(directory.File("latnas.db"));
        empty.OpenOrCreate().Dispose();
        await using var factory = new WorkbenchFactory(empty);
        using var http = factory.CreateClient();
        using var none = await http.GetAsync("/api/monotonicity");
        Assert.Equal(HttpStatusCode.NoContent, none.StatusCode);
    }

    [Fact]
    public async Task Explain_parts_add_up_to_what_predict_gives_for_an_additive_and_a_tree_predictor()
    {
        var explained = await Get("/api/explain?arch=%235111&devices=pixel3,raspi4");
        var architecture = Nb201Space.Instance.Parse("#5111");
        var expected = new ExplainUseCase().Run(new ExplainRequest(architecture, ["pixel3", "raspi4"], Nb201Space.Instance, workbench.Store));
        Assert.True(JsonNode.DeepEquals(AsCommandPrints(expected), explained));

        foreach (var device in expected.Devices)
        {
            var predicted = new PredictUseCase().Run(new PredictRequest(device.Device, [architecture], Nb201Space.Instance, workbench.Store)).Predictions[0].PredictedMs;
            Assert.Equal(predicted, device.PredictedMs);
            Assert.Equal(predicted, device.ReferenceMs + device.Parts.Sum(p => p.Ms), 9);
            Assert.True(device.Exact);
            // Explained from every edge skip_connect: an edge at skip_connect adds nothing, every other edge something.
            Assert.Equal("111111", device.ReferenceOps);
            Assert.Equal(architecture.Digits.Select(d => d != '1'), device.Parts.Select(p => p.Ms != 0));
        }
        Assert.Equal(["additive", "lightgbm"], expected.Devices.Select(d => d.Predictor.Split(' ')[0]));
        Assert.All(expected.Devices, d => Assert.NotNull(d.MeasuredMs));

        // 'all' is every device with a saved predictor; a named device without one is a 400 naming the field.
        Assert.Equal(["pixel3", "raspi4"], (await Get("/api/explain?arch=%235111&devices=all"))["devices"]!.AsArray().Select(d => (string)d!["device"]!).Order());
        Assert.Equal("devices", (string)(await Get("/api/explain?arch=%235111&devices=eyeriss", HttpStatusCode.BadRequest))["field"]!);
        Assert.Equal("arch", (string)(await Get("/api/explain?arch=9&devices=pixel3", HttpStatusCode.BadRequest))["field"]!);
    }

    [Fact]
    public async Task A_pairs_latencies_come_as_columns_equal_to_the_shared_table()
    {
        var columns = await Get("/api/latencies?devices=pixel3,fpga");

        var ops = columns["ops"]!.AsArray().Select(o => (string)o!).ToList();
        Assert.Equal(15_625, ops.Count);
        var pixel3 = columns["latencies_ms"]!["pixel3"]!.AsArray();
        var fpga = columns["latencies_ms"]!["fpga"]!.AsArray();
        var table = SharedData.ReadCsv("nb201_help_latency_ms.csv").ToDictionary(r => r["ops"]);
        foreach (int i in new[] { 0, 1, 777, 15_624 })
        {
            Assert.Equal(SharedData.Number(table[ops[i]]["pixel3"]), (double)pixel3[i]!, 9);
            Assert.Equal(SharedData.Number(table[ops[i]]["fpga"]), (double)fpga[i]!, 9);
            Assert.Equal(Nb201Space.Instance.IndexOf(Nb201Space.Instance.FromDigits(ops[i])), (int?)columns["index"]![i]);
        }
    }

    [Fact]
    public async Task Fronts_come_from_the_pareto_use_case_with_the_objective_beside_the_latencies()
    {
        var pareto = await Get("/api/pareto?proxy=pixel3&target=raspi4&objective=cifar10_test_acc");
        Assert.True(JsonNode.DeepEquals(
            AsCommandPrints(new ParetoUseCase().Run(new ParetoRequest("pixel3", "raspi4", "cifar10_test_acc", Nb201Space.Instance, workbench.Store))), pareto));
        var front = pareto["fronts"]![0]!;
        Assert.Equal((int)front["source_front"]!, front["source_ops"]!.AsArray().Count);

        var objectives = await Get("/api/objectives");
        Assert.Equal(["cifar10_test_acc"], objectives["stored"]!.AsArray().Select(n => (string)n!));
        Assert.Contains("macs", objectives["computed"]!.AsArray().Select(n => (string)n!));

        var columns = await Get("/api/latencies?devices=pixel3,raspi4&objective=cifar10_test_acc");
        var accuracy = SharedData.ReadCsv("nb201_accuracy.csv").ToDictionary(r => r["ops"], r => SharedData.Number(r["cifar10_test_acc"]));
        var ops = columns["ops"]!.AsArray().Select(o => (string)o!).ToList();
        var values = columns["objective_values"]!.AsArray();
        Assert.Equal(accuracy.Count, ops.Count);
        foreach (int i in new[] { 0, 4321, ops.Count - 1 })
        {
            Assert.Equal(accuracy[ops[i]], (double)values[i]!, 9);
        }
    }

    [Fact]
    public async Task Choice_effects_are_the_use_cases_and_a_cell_is_the_mean_of_its_architectures_minus_the_mean_of_all()
    {
        var effects = await Get("/api/effects?devices=pixel3&objective=cifar10_test_acc");
        Assert.True(JsonNode.DeepEquals(AsCommandPrints(new ChoiceEffectsUseCase().Run(
            new ChoiceEffectsRequest(["pixel3"], Nb201Space.Instance, workbench.Store, "cifar10_test_acc"))), effects));

        // Read independently from the shared table: conv3x3 (choice 3) on the first edge, on pixel3's latency and on the accuracy.
        var rows = SharedData.ReadCsv("nb201_help_latency_ms.csv");
        double all = rows.Average(r => SharedData.Number(r["pixel3"]));
        double conv = rows.Where(r => r["ops"][0] == '3').Average(r => SharedData.Number(r["pixel3"]));
        Assert.Equal(conv - all, (double)effects["series"]![0]!["effects"]![0]![3]!, 9);
        var accuracy = SharedData.ReadCsv("nb201_accuracy.csv");
        double accuracyEffect = accuracy.Where(r => r["ops"][0] == '3').Average(r => SharedData.Number(r["cifar10_test_acc"]))
                                - accuracy.Average(r => SharedData.Number(r["cifar10_test_acc"]));
        Assert.Equal(accuracyEffect, (double)effects["series"]![1]!["effects"]![0]![3]!, 9);
        Assert.Equal(["e0", "e1", "e2", "e3", "e4", "e5"], effects["decisions"]!.AsArray().Select(d => ((string)d!["name"]!)[..2]));
    }

    /// <summary>
    /// The effects the page asks for on every pair it opens are kept while the store is unchanged, answered in the order asked,
    /// and computed again once a device has more measurements.
    /// </summary>
    [Fact]
    public async Task Choice_effects_kept_between_requests_follow_the_order_asked_and_a_store_that_changed()
    {
        using var directory = new TempDirectory();
        var store = new StoreLocation(directory.File("latnas.db"));
        string[] table = File.ReadAllLines(SharedData.File("nb201_help_latency_ms.csv"));
        string Part(string name, int from, int count)
        {
            string path = directory.File(name);
            File.WriteAllLines(path, [table[0], .. table.Skip(1 + from).Take(count)]);
            return path;
        }
        ImportResult Import(string csv, params string[] devices)
            => new ImportUseCase().Run(new ImportRequest(csv, Nb201Space.Instance, Core.Spaces.Dataset.Cifar10, store, ArchitectureColumn: "ops", Columns: devices));
        Import(Part("first.csv", 0, 2_000), "pixel3", "raspi4");
        JsonNode Expected(params string[] devices)
            => AsCommandPrints(new ChoiceEffectsUseCase().Run(new ChoiceEffectsRequest(devices, Nb201Space.Instance, store)));

        await using var factory = new WorkbenchFactory(store);
        using var http = factory.CreateClient();
        async Task<JsonNode> Effects(string devices) => JsonNode.Parse(await http.GetStringAsync($"/api/effects?devices={devices}"))!;
        var first = await Effects("raspi4,pixel3");
        Assert.True(JsonNode.DeepEquals(Expected("raspi4", "pixel3"), first));
        Assert.True(JsonNode.DeepEquals(Expected("pixel3", "raspi4"), await Effects("pixel3,raspi4")));

        Import(Part("more.csv", 2_000, 3_000), "pixel3");
        var after = await Effects("raspi4,pixel3");
        Assert.True(JsonNode.DeepEquals(Expected("raspi4", "pixel3"), after));
        Assert.Equal(2_000, (int)first["series"]![1]!["architectures"]!);
        Assert.Equal(5_000, (int)after["series"]![1]!["architectures"]!);
    }

    [Theory]
    [InlineData("/api/pareto?proxy=pixel3&target=raspi4&objective=speed", "objective", "speed")]
    [InlineData("/api/pareto?proxy=pixel9&target=raspi4&objective=cifar10_test_acc", "proxy", "pixel9")]
    [InlineData("/api/pareto?proxy=pixel3&target=raspi9&objective=cifar10_test_acc", "target", "raspi9")]
    [InlineData("/api/pareto?proxy=pixel3&objective=cifar10_test_acc", "target", "required")]
    [InlineData("/api/monotonicity?devices=pixel3,no-such-device", "devices", "no-such-device")]
    [InlineData("/api/monotonicity?devices=", "devices", "required")]
    [InlineData("/api/latencies?devices=pixel3,nope", "devices", "nope")]
    [InlineData("/api/show", "arch", "required")]
    [InlineData("/api/show?arch=99999x", "arch", "99999x")]
    [InlineData("/api/show?arch=123123&space=nb999", "space", "nb999")]
    [InlineData("/api/monotonicity?devices=pixel3,raspi4&count=many", "count", "many")]
    [InlineData("/api/pareto?proxy=pixel3&target=raspi4&objective=cifar10_test_acc&target_samples=ten", "target_samples", "ten")]
    [InlineData("/api/show?arch=123123&spce=fbnet", "spce", "it takes arch, space")]
    [InlineData("/api/monotonicity?device=pixel3,raspi4", "device", "it takes count, devices, space")]
    [InlineData("/api/devices?verbose=1", "verbose", "it takes none")]
    // The ranges and the fields the command line's options have: --count of monotonicity, --target-samples.
    [InlineData("/api/monotonicity?devices=pixel3,raspi4&count=-5", "count", "count must be between 3 and 10,000,000 (got -5)")]
    [InlineData("/api/monotonicity?devices=pixel3,raspi4&count=0", "count", "count must be between 3 and 10,000,000 (got 0)")]
    [InlineData("/api/monotonicity?count=2", "count", "count must be between 3")]
    [InlineData("/api/pareto?proxy=pixel3&target=raspi4&objective=cifar10_test_acc&target_samples=-1", "target_samples", "target_samples must be between 3 and 1,000,000 (got -1)")]
    [InlineData("/api/pareto?proxy=pixel3&target=raspi4&objective=cifar10_test_acc&target_samples=20000", "target_samples", "target_samples=20000")]
    [InlineData("/api/latencies?devices=pixel3&objective=bogus", "objective", "bogus")]
    public async Task Bad_input_is_a_400_problem_naming_the_field(string path, string field, string mentioned)
    {
        var problem = await Get(path, HttpStatusCode.BadRequest);

        Assert.Equal(400, (int)problem["status"]!);
        Assert.Equal(field, (string)problem["field"]!);
        Assert.Contains(mentioned, (string)problem["detail"]!, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("--", (string)problem["detail"]!); // a query field, not the command line's option
    }

    [Fact]
    public async Task An_undefined_interval_is_null_as_the_command_prints_it()
    {
        var answer = await Get("/api/monotonicity?devices=pixel3,raspi4&count=3");
        Assert.True(JsonNode.DeepEquals(
            AsCommandPrints(new MonotonicityUseCase().Run(new MonotonicityRequest(["pixel3", "raspi4"], Nb201Space.Instance, workbench.Store, Count: 3))), answer));
        var pair = answer["pairs"]![0]!;
        Assert.Null(pair["ci_low"]);
        Assert.Null(pair["ci_high"]);
        Assert.Contains("at least 4 architectures", (string)pair["note"]!);
        Assert.Equal("null", JsonSerializer.Serialize(double.NaN, ResultJson.Options));
        Assert.True(double.IsNaN(JsonSerializer.Deserialize<double>("\"NaN\"", ResultJson.Options))); // records written before read back
    }

    [Theory]
    [InlineData("POST", "/api/devices", "GET")]
    [InlineData("DELETE", "/api/search", "GET, POST")]
    [InlineData("GET", "/api/model-prediction", "POST")]
    public async Task A_route_asked_with_a_method_it_does_not_take_is_a_405_with_the_methods_it_takes(string method, string path, string allowed)
    {
        using var response = await _http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.MethodNotAllowed, $"{method} {path}: {(int)response.StatusCode} {body}");
        Assert.Equal(allowed, string.Join(", ", response.Content.Headers.Allow));
        Assert.Equal(405, (int)JsonNode.Parse(body)!["status"]!);
    }

    [Fact]
    public async Task An_unknown_route_is_a_404_and_a_foreign_host_name_is_refused()
    {
        var missing = await Get("/api/no-such-thing", HttpStatusCode.NotFound);
        Assert.Equal(404, (int)missing["status"]!);
        using (var page = await _http.GetAsync("/no-such-page.html"))
        {
            Assert.Equal(HttpStatusCode.NotFound, page.StatusCode);
        }

        // A page of another site whose name was rebound to 127.0.0.1 (DNS rebinding) sends its own name.
        using var rebound = new HttpRequestMessage(HttpMethod.Get, "/api/devices");
        rebound.Headers.Host = "attacker.example";
        using var refused = await _http.SendAsync(rebound);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("attacker.example", await refused.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_page_its_script_and_the_chart_library_are_served_by_the_workbench_itself()
    {
        using var page = await _http.GetAsync("/");
        string html = await page.Content.ReadAsStringAsync();
        Assert.Equal("text/html", page.Content.Headers.ContentType!.MediaType);
        Assert.Contains("<title>LatencyNas workbench</title>", html);
        Assert.DoesNotContain("https://", html); // nothing from a CDN: labs run offline

        // The chart library's entry, and every file of the bundle it imports (the WebGL scatter's code among them, loaded on demand).
        Assert.Contains("src=\"/lib/chart-library.js\"", html);
        using var library = await _http.GetAsync("/lib/chart-library.js");
        Assert.Equal(HttpStatusCode.OK, library.StatusCode);
        string entry = await library.Content.ReadAsStringAsync();
        Assert.Contains("loadWebGL", entry);
        var imported = Regex.Matches(entry, @"""\./([\w-]+\.js)""").Select(m => m.Groups[1].Value).Distinct().ToList();
        Assert.True(imported.Count >= 2, $"the entry imports {imported.Count} files");
        foreach (string file in imported)
        {
            using var part = await _http.GetAsync($"/lib/{file}");
            Assert.Equal(HttpStatusCode.OK, part.StatusCode);
            Assert.Equal("text/javascript", part.Content.Headers.ContentType!.MediaType);
        }
        using var again = new HttpRequestMessage(HttpMethod.Get, "/lib/chart-library.js");
        again.Headers.IfNoneMatch.Add(library.Headers.ETag!);
        using var cached = await _http.SendAsync(again);
        Assert.Equal(HttpStatusCode.NotModified, cached.StatusCode);
    }
}
