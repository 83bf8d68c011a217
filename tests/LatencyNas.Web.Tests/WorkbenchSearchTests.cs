using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using LatencyNas.Workflows;
using LatencyNas.Workflows.Runners;

namespace LatencyNas.Web.Tests;

/// <summary>
/// Starting and steering a search through the API, as the page does: with the antiforgery token, its evaluations read
/// from the event stream, its record replayed by the use case <c>latnas search --replay</c> runs. Each test leaves no
/// search running (the workbench runs one at a time).
/// </summary>
[Collection(RunningWorkbenchCollection.Name)]
public sealed class WorkbenchSearchTests(RunningWorkbench workbench) : IDisposable
{
    private const int Conv3x3 = 3;

    private readonly HttpClient _http = workbench.Factory.CreateClient(); // keeps cookies, as a browser does: the antiforgery cookie among them

    public void Dispose() => _http.Dispose();

    /// <summary>Sends the antiforgery token (and its cookie) from now on.</summary>
    private async Task Armed()
    {
        var answer = JsonNode.Parse(await _http.GetStringAsync("/api/antiforgery"))!;
        _http.DefaultRequestHeaders.Remove(Workbench.AntiforgeryHeader);
        _http.DefaultRequestHeaders.Add(Workbench.AntiforgeryHeader, (string)answer["token"]!);
    }

    private async Task<(HttpStatusCode Status, JsonNode Body)> Post(string path, object body)
    {
        using var response = await _http.PostAsJsonAsync(path, body);
        string text = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("   at ", text);
        return (response.StatusCode, JsonNode.Parse(text)!);
    }

    private static object Start(bool paused = true, int evaluations = 400, double budgetMs = 12) => new
    {
        target = "pixel3", objective = "cifar10_test_acc", max_latency_ms = budgetMs, strategy = "evolution", evaluations, seed = 7,
        mode = "measured", start_paused = paused, evaluations_per_second = 400,
    };

    /// <summary>Reads the run's event stream to its end: every evaluation's ops, in order, and the last state.</summary>
    private async Task<(List<string> Ops, JsonNode State)> ReadEvents()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        using var stream = await _http.GetStreamAsync("/api/search/events", timeout.Token);
        using var reader = new StreamReader(stream);
        var ops = new List<string>();
        JsonNode? state = null;
        string? name = null;
        while (await reader.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                name = line[7..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                var data = JsonNode.Parse(line[6..])!;
                switch (name)
                {
                    case "evaluations":
                        Assert.Equal(ops.Count, (int)data["from"]!);
                        ops.AddRange(data["rows"]!.AsArray().Select(row => (string)row![0]!));
                        break;
                    case "state":
                        state = data;
                        break;
                    case "end":
                        return (ops, state!);
                }
            }
        }
        throw new InvalidOperationException("The event stream ended without an 'end' event.");
    }

    [Fact]
    public async Task A_search_started_paused_banned_at_an_edge_and_resumed_evaluates_nothing_with_it_after_the_ban_and_its_record_replays_identically()
    {
        await Armed();
        var (status, started) = await Post("/api/search", Start());
        Assert.True(status == HttpStatusCode.Accepted, started.ToJsonString());
        Assert.Equal("paused", (string)started["status"]!);
        Assert.Equal(0, (int)started["evaluated"]!);
        Assert.Equal(HttpStatusCode.Conflict, (await Post("/api/search", Start())).Status); // the page posted twice: one search runs

        var (badStatus, bad) = await Post("/api/search/actions", new { kind = "ban", decision = 6, choice = Conv3x3 });
        Assert.Equal((HttpStatusCode.BadRequest, "decision"), (badStatus, (string)bad["field"]!));
        var (noKindStatus, noKind) = await Post("/api/search/actions", new { }); // no kind is no ban
        Assert.Equal((HttpStatusCode.BadRequest, "kind"), (noKindStatus, (string)noKind["field"]!));
        Assert.Equal("The field 'kind' is required: one of ban, pin, clear, budget, promote, pause, resume, stop.", (string)noKind["detail"]!);
        Assert.Equal(HttpStatusCode.Accepted, (await Post("/api/search/actions", new { kind = "ban", decision = 2, choice = Conv3x3 })).Status);
        Assert.Equal(HttpStatusCode.Accepted, (await Post("/api/search/actions", new { kind = "resume" })).Status);

        var (ops, last) = await ReadEvents();
        Assert.Equal("finished", (string)last["status"]!);
        Assert.Equal(400, ops.Count);
        var ban = last["actions"]!.AsArray().Single(a => (string)a!["action"]!["kind"]! == "ban")!;
        Assert.Equal(0, (int)ban["evaluations"]!); // posted while paused: it applies before the first evaluation
        Assert.All(ops, o => Assert.NotEqual('3', o[2]));
        Assert.NotEqual('3', ((string)last["result"]!["ops"]!)[2]);

        // The record, as the page downloads it, replays to the identical sequence.
        string json = await _http.GetStringAsync("/api/search/record");
        var record = JsonSerializer.Deserialize<SearchRecord>(json, ResultJson.Options)!;
        Assert.Equal(ops, record.Evaluated.Select(e => e.Ops));
        var replay = await new SearchUseCase(DeviceRunnerFactory.Instance).ReplayAsync(record, workbench.Store);
        Assert.True(replay.Identical, $"differs at {replay.FirstDifference}");
        Assert.Equal((string)last["result"]!["ops"]!, replay.Result.Ops);

        var (endedStatus, _) = await Post("/api/search/actions", new { kind = "pause" });
        Assert.Equal(HttpStatusCode.Conflict, endedStatus);
    }

    [Fact]
    public async Task A_ban_posted_while_the_search_runs_applies_from_a_later_evaluation_and_a_reloaded_page_reads_the_same_events()
    {
        await Armed();
        Assert.Equal(HttpStatusCode.Accepted, (await Post("/api/search", Start(paused: false, evaluations: 600))).Status);
        using (var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2)))
        {
            while ((int)JsonNode.Parse(await _http.GetStringAsync("/api/search", timeout.Token))!["evaluated"]! < 100)
            {
                await Task.Delay(20, timeout.Token);
            }
        }
        Assert.Equal(HttpStatusCode.Accepted, (await Post("/api/search/actions", new { kind = "ban", decision = 2, choice = Conv3x3 })).Status);
        var (ops, last) = await ReadEvents();
        var (again, _) = await ReadEvents(); // a page that re-attaches after the end gets the whole run again

        int at = (int)last["actions"]!.AsArray().Single()!["evaluations"]!;
        Assert.InRange(at, 100, 599);
        Assert.Contains(ops.Take(at), o => o[2] == '3');
        Assert.All(ops.Skip(at), o => Assert.NotEqual('3', o[2]));
        Assert.Equal(ops, again);
    }

    [Fact]
    public async Task Requests_that_change_something_need_the_pages_token_and_origin_and_bad_settings_are_400s_naming_the_field()
    {
        // No token: refused before anything is read.
        var (status, problem) = await Post("/api/search", Start(paused: false));
        Assert.Equal((HttpStatusCode.BadRequest, "antiforgery"), (status, (string)problem["field"]!));
        await Armed();
        using (var foreign = new HttpRequestMessage(HttpMethod.Post, "/api/search") { Content = JsonContent.Create(Start(paused: false)) })
        {
            foreign.Headers.Add("Origin", "http://127.0.0.1:1");
            using var response = await _http.SendAsync(foreign);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }

        foreach (var (body, field) in new (object Body, string Field)[]
                 {
                     (new { target = "pixel9", objective = "cifar10_test_acc", max_latency_ms = 10 }, "target"),
                     (new { target = "pixel3", objective = "top5", max_latency_ms = 10 }, "objective"),
                     (new { target = "pixel3", objective = "cifar10_test_acc" }, "max_latency_ms"),
                     (new { target = "pixel3", objective = "cifar10_test_acc", max_latency_ms = -1 }, "max_latency_ms"),
                     (new { target = "pixel3", objective = "cifar10_test_acc", max_latency_ms = 10, strategy = "annealing" }, "strategy"),
                     (new { target = "pixel3", objective = "cifar10_test_acc", max_latency_ms = 10, space = "darts" }, "space"),
                     (new { target = "pixel3", objective = "cifar10_test_acc", max_latency_ms = 10, budget_ms = 5 }, "budget_ms"), // a field it does not take
                     (new { target = "pixel3", objective = "cifar10_test_acc", max_latency_ms = 10, target_samples = "ten" }, "target_samples"),
                     // The ranges the command line's options have, named by the body's field.
                     (new { target = "pixel3", objective = "cifar10_test_acc", max_latency_ms = 5, evaluations = 2_000_000_000 }, "evaluations"),
                     (new { target = "pixel3", objective = "cifar10_test_acc", max_latency_ms = 5, evaluations = 0 }, "evaluations"),
                     (new { target = "pixel3", objective = "cifar10_test_acc", max_latency_ms = 20_000_000 }, "max_latency_ms"),
                     (new { target = "pixel3", proxy = "raspi4", target_samples = -1, objective = "cifar10_test_acc", max_latency_ms = 5 }, "target_samples"),
                     (new { target = "pixel3", objective = "cifar10_test_acc", max_latency_ms = 5, seed = -1 }, "seed"),
                     (new { target = "pixel3", objective = "cifar10_test_acc", max_latency_ms = 5, evaluations_per_second = 0 }, "evaluations_per_second"),
                     (new { objective = "cifar10_test_acc", max_latency_ms = 5 }, "target"),
                 })
        {
            var (badStatus, bad) = await Post("/api/search", body);
            Assert.True(badStatus == HttpStatusCode.BadRequest && (string)bad["field"]! == field, $"{JsonSerializer.Serialize(body)}: {bad.ToJsonString()}");
            Assert.DoesNotContain("LatencyNas.", (string)bad["detail"]!);
        }
        var (_, evaluations) = await Post("/api/search", new { target = "pixel3", objective = "cifar10_test_acc", max_latency_ms = 5, evaluations = 2_000_000_000 });
        Assert.Equal("evaluations must be between 1 and 100,000,000 (got 2000000000).", (string)evaluations["detail"]!); // as --evaluations says it

        // A list where the object should be: said so, without the type's .NET name.
        var (listStatus, list) = await Post("/api/search", Array.Empty<int>());
        Assert.Equal((HttpStatusCode.BadRequest, "body"), (listStatus, (string)list["field"]!));
        Assert.StartsWith("The body must be a JSON object, with the fields ", (string)list["detail"]!);
        Assert.DoesNotContain("LatencyNas.", (string)list["detail"]!);
    }
}
