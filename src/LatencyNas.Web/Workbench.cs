using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using LatencyNas.Analysis.Search;
using LatencyNas.Core;
using LatencyNas.Core.Spaces;
using LatencyNas.Core.Spaces.Kernels;
using LatencyNas.Workflows;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LatencyNas.Web;

/// <summary>
/// The workbench: a page and a JSON API over one profile store. Every API answer is a use case's result
/// record written as the commands' <c>--json</c> writes it (<see cref="ResultJson"/>); bad input is a 400
/// problem (RFC 9457) naming the query field, an unknown route a 404, and no stack trace ever leaves the server.
/// </summary>
public static class Workbench
{
    private const string TokenCookie = "latnas_token";

    /// <summary>The header a request that changes something carries the token of <c>/api/antiforgery</c> in.</summary>
    public const string AntiforgeryHeader = "X-Latnas-Antiforgery";

    /// <exception cref="InvalidInputException">Options that cannot be used (<see cref="WorkbenchOptions.Problems"/>), or a store that is missing.</exception>
    public static WebApplication Build(WorkbenchOptions options, Action<IWebHostBuilder>? configureHost = null)
    {
        options.Check();
        options.Store.OpenExisting().Dispose(); // a store that is missing or cannot be used is refused now, not on the first request
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(options.Url);
        configureHost?.Invoke(builder.WebHost); // tests put an in-memory server in Kestrel's place (UseTestServer)
        builder.Services.AddProblemDetails();
        builder.Services.AddSingleton(_ => new DevicesCache(options.Store)); // the container closes its connection with the application
        builder.Services.AddAntiforgery(antiforgery =>
        {
            antiforgery.HeaderName = AntiforgeryHeader;
            antiforgery.Cookie.Name = "latnas_antiforgery";
        });
        var app = builder.Build();
        app.UseExceptionHandler(new ExceptionHandlerOptions { StatusCodeSelector = _ => StatusCodes.Status500InternalServerError });
        app.UseStatusCodePages();
        app.Use(RefuseForeignHosts(options));
        if (options.Token is { Length: > 0 } token)
        {
            app.Use(RequireToken(token));
        }

        var assets = new EmbeddedAssets();
        var store = options.Store;
        var devicesCache = app.Services.GetRequiredService<DevicesCache>();
        var monotonicity = new MonotonicityCache(store, devicesCache);
        // The matrix the page opens with is computed before the server listens (28 devices: about 5 s), so the first page finds it cached.
        monotonicity.WarmDefault();

        // Every API route answers a query field it does not take, or a number it cannot read, with a 400 naming the field.
        var api = app.MapGroup("/api").AddEndpointFilterFactory(RefuseUnknownQueryFields);
        api.MapGet("/spaces", () => Results.Json(new SpacesResult(SearchSpaces.Default.Name, SearchSpaces.All.Where(s => s is not KernelSpace).Select(s => s.Name).ToList()), ResultJson.Options));
        api.MapGet("/devices", () => Answer("store", devicesCache.List));
        // Without devices: the comparison the page opens with (MonotonicityCache.GetDefault), none (204) when the store has too few measured.
        api.MapGet("/monotonicity", (string? devices, string? space, string? count) => devices is null
            ? Answer("space", () => monotonicity.GetDefault(Space(space), Number(count, "count", InputLimits.ComparedCount)))
            : Answer("devices", () => monotonicity.Get(new MonotonicityRequest(Names(devices, "devices"), Space(space), store, Count: Number(count, "count", InputLimits.ComparedCount)))));
        api.MapGet("/latencies", (string? devices, string? space, string? objective) => Answer("devices",
            () => new LatencyColumnsUseCase().Run(new LatencyColumnsRequest(Names(devices, "devices"), Space(space), store, objective)), ("objective", objective)));
        api.MapGet("/objectives", (string? space) => Answer("space", () => new ObjectivesListUseCase().Run(new ObjectivesListRequest(Space(space), store))));
        api.MapGet("/pareto", (string? proxy, string? target, string? objective, string? space, string? target_samples) => Answer("objective",
            () => new ParetoUseCase().Run(new ParetoRequest(
                Required(proxy, "proxy"), Required(target, "target"), Required(objective, "objective"), Space(space), store,
                Number(target_samples, "target_samples", InputLimits.TargetSamples))),
            ("target_samples", target_samples), ("proxy", proxy), ("target", target)));
        var effects = new KeptAnswers<ChoiceEffectsResult>();
        api.MapGet("/effects", (string? devices, string? space, string? objective) => Answer("devices",
            () => Effects(new ChoiceEffectsRequest(Names(devices, "devices"), Space(space), store, objective), effects, devicesCache), ("objective", objective)));
        api.MapGet("/show", (string? arch, string? space) => Answer("arch", () =>
        {
            var searchSpace = Space(space);
            var architecture = Field("arch", () => searchSpace.Parse(Required(arch, "arch")));
            return new ShowUseCase().Run(new ShowRequest(architecture, searchSpace, store));
        }));
        api.MapGet("/explain", (string? arch, string? devices, string? space) => Answer("devices", () =>
        {
            var searchSpace = Space(space);
            var architecture = Field("arch", () => searchSpace.Parse(Required(arch, "arch")));
            return new ExplainUseCase().Run(new ExplainRequest(architecture, Names(devices, "devices"), searchSpace, store));
        }));
        // Any ONNX model, sent as the request's body: its predicted latency on a device kernel by kernel, as `predict --onnx` gives it.
        // A POST only because a model is too large for a query; it changes nothing, and is held to the page's origin like the others.
        api.MapPost("/model-prediction", async (HttpContext context, IAntiforgery antiforgery, string? device, string? name, string? batch) =>
        {
            if (await RefuseForgery(context, antiforgery) is { } refused)
            {
                return refused;
            }
            int? batchSize; // null: a symbolic batch dimension is taken as 1, a fixed one as it is
            try
            {
                batchSize = Number(batch, "batch", InputLimits.Batch); // the range `--batch` has
            }
            catch (FieldException error)
            {
                return BadField(error.Field, error.Message);
            }
            long limit = options.ModelSizeLimit;
            if (context.Request.ContentLength > limit)
            {
                return ModelTooLarge(context.Request.ContentLength.Value, limit);
            }
            // The limit is kept here, exactly, also for a body sent in chunks without a length (Kestrel's own is lifted for it).
            context.Features.GetRequiredFeature<IHttpMaxRequestBodySizeFeature>().MaxRequestBodySize = null;
            using var body = new MemoryStream();
            var buffer = new byte[81920];
            int read;
            while ((read = await context.Request.Body.ReadAsync(buffer, context.RequestAborted)) > 0)
            {
                if (body.Length + read > limit)
                {
                    return ModelTooLarge(size: null, limit);
                }
                body.Write(buffer, 0, read);
            }
            string model = Path.GetFileName(name ?? "") is { Length: > 0 } file ? file : "model.onnx";
            return Answer("model", () => new ModelPredictionUseCase().Run(
                new ModelPredictionRequest(Required(device, "device"), model, store, batchSize) { ModelBytes = body.ToArray() }), ("device", device));
        });
        MapSearch(api, new SearchRuns(store, app.Lifetime.ApplicationStopping));
        app.Map("/api/{**rest}", (HttpContext context, EndpointDataSource endpoints) => OtherMethods(endpoints, context.Request.Path) is { Count: > 0 } allowed
            ? MethodNotAllowed(context, allowed)
            : Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such API route",
                detail: "The API has /api/spaces, /api/devices, /api/objectives, /api/monotonicity, /api/latencies, /api/pareto, /api/effects, /api/show, /api/explain, " +
                        "/api/model-prediction (POST), /api/antiforgery and /api/search (with /events, /actions and /record)."));
        app.MapGet("/{**path}", (HttpContext context) =>
        {
            if (assets.Find(context.Request.Path.Value ?? "/") is not { } asset)
            {
                return Results.NotFound();
            }
            context.Response.Headers.ETag = asset.ETag;
            context.Response.Headers.CacheControl = "no-cache";
            context.Response.Headers.XContentTypeOptions = "nosniff";
            return context.Request.Headers.IfNoneMatch == asset.ETag ? Results.StatusCode(StatusCodes.Status304NotModified) : Results.Bytes(asset.Content, asset.ContentType);
        });
        return app;
    }

    /// <summary>
    /// Asks the started workbench once for what its page opens with — the page and the chart library's entry (one endpoint
    /// serves every asset) and the answers <c>prefetch.js</c> requests — so that the first person to open it is answered as
    /// fast as the next: a fresh process spends about 0.3 s on its first request (routes built, endpoints compiled), 0.2–0.7 s
    /// on its first large answer, and more on the page's first API requests arriving at once. A request that fails here is
    /// left for the page to report.
    /// </summary>
    public static async Task WarmUpAsync(this WebApplication app, string? token, CancellationToken cancellation = default)
    {
        var address = new UriBuilder(app.Urls.First());
        address.Host = address.Host switch { "0.0.0.0" => "127.0.0.1", "[::]" => "[::1]", var host => host }; // a wildcard is not an address to ask
        using var http = new HttpClient { BaseAddress = address.Uri };
        if (token is not null)
        {
            http.DefaultRequestHeaders.Authorization = new("Bearer", token);
        }
        foreach (string path in (string[])["/", "/lib/chart-library.js", "/api/devices", "/api/spaces", "/api/objectives", "/api/search", "/api/monotonicity"])
        {
            try
            {
                using var _ = await http.GetAsync(path, cancellation);
            }
            catch (HttpRequestException)
            {
            }
        }
    }

    /// <summary>
    /// Starting and steering a search. Every POST must come from the workbench's own page: a request that names another
    /// origin is refused (403), and one without the antiforgery token of <c>/api/antiforgery</c> in
    /// <see cref="AntiforgeryHeader"/> too (400) — a form another site posts can carry neither.
    /// </summary>
    private static void MapSearch(RouteGroupBuilder api, SearchRuns runs)
    {
        api.MapGet("/antiforgery", (HttpContext context, IAntiforgery antiforgery) =>
        {
            var tokens = antiforgery.GetAndStoreTokens(context);
            context.Response.Headers.CacheControl = "no-store";
            return Results.Json(new { header = AntiforgeryHeader, token = tokens.RequestToken }, ResultJson.Options);
        });
        api.MapPost("/search", async (HttpContext context, IAntiforgery antiforgery) =>
        {
            if (await RefuseForgery(context, antiforgery) is { } refused)
            {
                return refused;
            }
            var (start, bad) = await ReadBody<SearchStart>(context);
            if ((bad ?? OutOfRange(start!)) is { } unusable)
            {
                return unusable;
            }
            try
            {
                var run = await runs.StartAsync(start!, Field("space", () => Space(start!.Space)));
                return Results.Json(run.State(), ResultJson.Options, statusCode: StatusCodes.Status202Accepted);
            }
            catch (InvalidOperationException running)
            {
                return Results.Problem(statusCode: StatusCodes.Status409Conflict, title: "A search is running", detail: running.Message);
            }
            catch (InvalidInputException error)
            {
                return BadField(Culprit(error, FieldNamedIn(error.Message) ?? "body", ("target", start!.Target), ("proxy", start.Proxy), ("objective", start.Objective)),
                    error.Message);
            }
        });
        // No search yet is no error: a page asks on every load, to re-attach to a running one.
        api.MapGet("/search", () => runs.Current is { } run ? Results.Json(run.State(), ResultJson.Options) : Results.NoContent());
        api.MapGet("/search/record", (HttpContext context) =>
        {
            if (runs.Current is not { } run)
            {
                return NoSearch();
            }
            context.Response.Headers.ContentDisposition = $"attachment; filename=\"search-{run.Id}.json\"";
            return Results.Json(run.Record(), ResultJson.Options);
        });
        api.MapPost("/search/actions", async (HttpContext context, IAntiforgery antiforgery) =>
        {
            if (await RefuseForgery(context, antiforgery) is { } refused)
            {
                return refused;
            }
            if (runs.Current is not { } run)
            {
                return NoSearch();
            }
            var (action, bad) = await ReadBody<SteeringAction>(context);
            if (bad is not null)
            {
                return bad;
            }
            try
            {
                run.Control.Post(action!);
                return Results.Json(run.State(), ResultJson.Options, statusCode: StatusCodes.Status202Accepted);
            }
            catch (InvalidOperationException ended)
            {
                return Results.Problem(statusCode: StatusCodes.Status409Conflict, title: "The search has ended", detail: ended.Message);
            }
            catch (InvalidInputException error)
            {
                return BadField(FieldNamedIn(error.Message) ?? action!.Kind switch
                {
                    SteeringKind.Budget => "max_latency_ms",
                    SteeringKind.Promote => "architectures",
                    _ => error.Message.Contains("choice", StringComparison.Ordinal) && !error.Message.Contains("decision", StringComparison.Ordinal) ? "choice" : "decision",
                }, error.Message);
            }
        });
        api.MapGet("/search/events", async (HttpContext context, string? from) =>
        {
            if (runs.Current is not { } run)
            {
                await NoSearch().ExecuteAsync(context);
                return;
            }
            if (!int.TryParse(from ?? "0", System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int first))
            {
                await BadField("from", $"The query field 'from' must be a whole number; '{from}' was given.").ExecuteAsync(context);
                return;
            }
            context.Response.ContentType = "text/event-stream";
            context.Response.Headers.CacheControl = "no-cache";
            await StreamEvents(context, run, Math.Max(0, first), context.RequestAborted);
        });
    }

    /// <summary>
    /// Server-sent events of a run: <c>evaluations</c> (those since the last, as [ops, latency, objective] rows), <c>state</c>
    /// whenever actions or the status change, and <c>end</c> once the run has ended and everything was sent. At most ten
    /// messages a second, however fast the search evaluates: what arrives in between goes in one message.
    /// </summary>
    private static async Task StreamEvents(HttpContext context, SearchRuns.Run run, int sent, CancellationToken cancellation)
    {
        string? lastState = null;
        try
        {
            while (true)
            {
                var changed = run.Control.Changed;
                bool done = run.Done;
                var fresh = run.Control.Evaluated(sent);
                if (fresh.Count > 0)
                {
                    var rows = fresh.Select(c => new object[] { c.Architecture.Digits, c.LatencyMs, c.Objective });
                    await Send(context, "evaluations", new { from = sent, rows }, cancellation);
                    sent += fresh.Count;
                }
                var state = run.State();
                string stateJson = System.Text.Json.JsonSerializer.Serialize(state with { Evaluated = 0 }, EventJson);
                if (stateJson != lastState)
                {
                    await Send(context, "state", state, cancellation);
                    lastState = stateJson;
                }
                if (done)
                {
                    await Send(context, "end", new { evaluated = sent }, cancellation);
                    return;
                }
                await Task.WhenAny(changed, run.Completion).WaitAsync(cancellation);
                await Task.Delay(100, cancellation);
            }
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            // The page went away (or reloads: it re-attaches with ?from=).
        }
    }

    private static async Task Send(HttpContext context, string name, object data, CancellationToken cancellation)
    {
        string json = System.Text.Json.JsonSerializer.Serialize(data, data.GetType(), EventJson); // one line: an event's data ends at a line break
        await context.Response.WriteAsync($"event: {name}\ndata: {json}\n\n", cancellation);
        await context.Response.Body.FlushAsync(cancellation);
    }

    private static readonly System.Text.Json.JsonSerializerOptions EventJson = new(ResultJson.Options) { WriteIndented = false };

    /// <summary>A search's numbers held to the ranges the command line's options have (<see cref="InputLimits"/>), named by their body field.</summary>
    private static IResult? OutOfRange(SearchStart start)
    {
        var problems = new (string Field, string? Problem)[]
        {
            ("max_latency_ms", start.MaxLatencyMs is { } budget ? InputLimits.MaxLatencyMs.Problem("max_latency_ms", budget) : null),
            ("target_samples", start.TargetSamples is { } k ? InputLimits.TargetSamples.Problem("target_samples", k) : null),
            ("evaluations", InputLimits.Evaluations.Problem("evaluations", start.Evaluations)),
            ("seed", InputLimits.Seed.Problem("seed", start.Seed)),
            ("evaluations_per_second", start.EvaluationsPerSecond is { } pace && !(pace > 0 && double.IsFinite(pace))
                ? $"evaluations_per_second must be a positive number of evaluations per second (got {pace.ToString(System.Globalization.CultureInfo.InvariantCulture)})." : null),
        };
        return problems.FirstOrDefault(p => p.Problem is not null) is { Problem: { } problem } first ? BadField(first.Field, problem) : null;
    }

    /// <summary>The methods the API takes on <paramref name="path"/> when it has the route, but not for the method asked.</summary>
    private static List<string> OtherMethods(EndpointDataSource endpoints, PathString path)
    {
        string asked = path.Value?.TrimEnd('/') ?? "";
        return endpoints.Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.Parameters.Count == 0 && string.Equals(e.RoutePattern.RawText?.TrimEnd('/'), asked, StringComparison.OrdinalIgnoreCase))
            .SelectMany(e => e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? [])
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>A route the API has, asked with a method it does not take: 405 with the methods it takes in Allow.</summary>
    private static IResult MethodNotAllowed(HttpContext context, List<string> allowed)
    {
        context.Response.Headers.Allow = string.Join(", ", allowed);
        return Results.Problem(statusCode: StatusCodes.Status405MethodNotAllowed, title: "Method not allowed",
            detail: $"{context.Request.Path} takes {string.Join(" and ", allowed)}, not {context.Request.Method}.");
    }

    private static IResult NoSearch()
        => Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "No search", detail: "No search has been started; POST /api/search starts one.");

    private static IResult ModelTooLarge(long? size, long limit) => Results.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Bad model",
        detail: $"The model{(size is { } bytes ? $" ({bytes:N0} bytes)" : "")} is larger than the workbench takes ({limit:N0} bytes); " +
                "predict it from the command line: latnas predict --onnx FILE --device DEVICE.",
        extensions: new Dictionary<string, object?> { ["field"] = "model" });

    private static IResult BadField(string field, string detail)
        => Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: $"Bad {field}", detail: detail, extensions: new Dictionary<string, object?> { ["field"] = field });

    /// <summary>The field a message quotes as <c>'field'</c> or names as an option (<c>--max-latency</c> → <c>max_latency_ms</c>), if any.</summary>
    private static string? FieldNamedIn(string message)
    {
        var quoted = System.Text.RegularExpressions.Regex.Match(message, "The field '([a-z_]+)'");
        if (quoted.Success)
        {
            return quoted.Groups[1].Value;
        }
        var option = System.Text.RegularExpressions.Regex.Match(message, "--([a-z-]+)");
        return option.Success ? option.Groups[1].Value switch { "max-latency" => "max_latency_ms", var name => name.Replace('-', '_') } : null;
    }

    /// <summary>
    /// Bodies are read as the API writes JSON, a field the body does not take is refused, not ignored, and a field without a
    /// default is required (a steering action without its kind is no ban).
    /// </summary>
    private static readonly JsonSerializerOptions BodyJson = new(ResultJson.Options)
    {
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
        RespectRequiredConstructorParameters = true,
    };

    /// <summary>
    /// A JSON body read as the API writes JSON (snake_case, kebab-case enums); unreadable, or with a field it does not take: a
    /// 400 naming the field.
    /// </summary>
    private static async Task<(T? Value, IResult? Bad)> ReadBody<T>(HttpContext context) where T : class
    {
        if (context.Request.HasJsonContentType() is false)
        {
            return (null, BadField("body", "Send the body as JSON (Content-Type: application/json)."));
        }
        var fields = typeof(T).GetProperties().Select(p => ResultJson.Options.PropertyNamingPolicy!.ConvertName(p.Name)).Order(StringComparer.Ordinal).ToList();
        try
        {
            var value = await context.Request.ReadFromJsonAsync<T>(BodyJson, context.RequestAborted);
            return value is null ? (null, BadField("body", "The body is empty.")) : (value, null);
        }
        catch (System.Text.Json.JsonException error) when (System.Text.RegularExpressions.Regex.Match(error.Message, "missing required properties including: '([^']*)'") is { Success: true } missing)
        {
            string field = missing.Groups[1].Value;
            var type = typeof(T).GetProperties().FirstOrDefault(p => ResultJson.Options.PropertyNamingPolicy!.ConvertName(p.Name) == field)?.PropertyType;
            type = type is null ? null : Nullable.GetUnderlyingType(type) ?? type;
            return (null, BadField(field, type is { IsEnum: true }
                ? $"The field '{field}' is required: one of {string.Join(", ", Enum.GetNames(type).Select(JsonNamingPolicy.KebabCaseLower.ConvertName))}."
                : $"The field '{field}' is required."));
        }
        catch (System.Text.Json.JsonException error) when (error.Path is "$" && error.Message.Contains("could not be converted", StringComparison.Ordinal))
        {
            // A list, a string or a number where the body's object should be: said without the type's .NET name.
            return (null, BadField("body", $"The body must be a JSON object, with the fields {string.Join(", ", fields)}."));
        }
        catch (System.Text.Json.JsonException error) when (System.Text.RegularExpressions.Regex.Match(error.Message, "The JSON property '([^']*)' could not be mapped") is { Success: true } unmapped)
        {
            string unknown = unmapped.Groups[1].Value;
            return (null, BadField(unknown, $"The body takes no field '{unknown}'; it takes {string.Join(", ", fields)}."));
        }
        catch (System.Text.Json.JsonException error)
        {
            string field = error.Path is { Length: > 2 } path && path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : "body";
            var property = typeof(T).GetProperties().FirstOrDefault(p => ResultJson.Options.PropertyNamingPolicy!.ConvertName(p.Name) == field);
            var type = property is null ? null : Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            string expected = type is null ? "valid JSON"
                : type.IsEnum ? $"one of {string.Join(", ", Enum.GetNames(type).Select(JsonNamingPolicy.KebabCaseLower.ConvertName))}"
                : type == typeof(string) ? "a string"
                : type == typeof(int) || type == typeof(double) ? "a number"
                : type == typeof(bool) ? "true or false"
                : "a list";
            return (null, BadField(field, field == "body" ? $"The body is not valid JSON: {error.Message.Split(" Path:")[0]}" : $"The field '{field}' must be {expected}."));
        }
    }

    /// <summary>A request that changes something must come from this page: no foreign Origin, and the antiforgery token.</summary>
    private static async Task<IResult?> RefuseForgery(HttpContext context, IAntiforgery antiforgery)
    {
        string origin = context.Request.Headers.Origin.ToString();
        if (origin.Length > 0 && (!Uri.TryCreate(origin, UriKind.Absolute, out var from) || !string.Equals(from.Authority, context.Request.Host.Value, StringComparison.OrdinalIgnoreCase)))
        {
            return Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Foreign origin",
                detail: $"A request from {origin} cannot change anything here; only the workbench's own page can.");
        }
        try
        {
            await antiforgery.ValidateRequestAsync(context);
            return null;
        }
        catch (AntiforgeryValidationException)
        {
            return BadField("antiforgery", $"Missing or wrong antiforgery token: GET /api/antiforgery, then send its token in the {AntiforgeryHeader} header.");
        }
    }

    /// <summary>A request's input that is wrong, with the query field it came from.</summary>
    private sealed class FieldException(string field, string message) : InvalidInputException(message)
    {
        public string Field { get; } = field;
    }

    /// <summary>
    /// Runs a use case and writes its result; bad input is a 400 naming the field: the one a parse failed on, else the
    /// one of <paramref name="named"/> whose value the use case's message quotes, else <paramref name="field"/>. A use case
    /// that answers nothing (null) gets 204.
    /// </summary>
    private static IResult Answer<T>(string field, Func<T?> run, params (string Field, string? Value)[] named)
    {
        try
        {
            return run() is { } record ? Results.Json(record, ResultJson.Options) : Results.NoContent();
        }
        catch (InvalidInputException error)
        {
            return BadField(Culprit(error, field, named), InFieldNames(error.Message, named));
        }
    }

    /// <summary>The option a use case's message names (<c>--target-samples 20</c>) as the query field it came from (<c>target_samples=20</c>).</summary>
    private static string InFieldNames(string message, (string Field, string? Value)[] named)
    {
        foreach (var (field, _) in named)
        {
            string option = "--" + field.Replace('_', '-');
            message = System.Text.RegularExpressions.Regex.Replace(message, $@"{option}(?![a-z-])( (?=\d)(\S+))?", m => m.Groups[2].Success ? $"{field}={m.Groups[2].Value}" : field);
        }
        return message;
    }

    /// <summary>The field a bad input came from: the one a parse failed on, else the one of <paramref name="named"/> whose value the message quotes, else <paramref name="fallback"/>.</summary>
    private static string Culprit(InvalidInputException error, string fallback, params (string Field, string? Value)[] named)
        => error is FieldException fieldError ? fieldError.Field
            : named.FirstOrDefault(n => n.Value is { Length: > 0 } && System.Text.RegularExpressions.Regex.IsMatch(error.Message, $"--{n.Field.Replace('_', '-')}(?![a-z-])")).Field
              ?? named.FirstOrDefault(n => n.Value is { Length: > 0 } value && error.Message.Contains($"'{value}'", StringComparison.Ordinal)).Field ?? fallback;

    private static T Field<T>(string field, Func<T> parse)
    {
        try
        {
            return parse();
        }
        catch (InvalidInputException error) when (error is not FieldException)
        {
            throw new FieldException(field, error.Message);
        }
    }

    /// <summary>A whole number given in the query (null when absent), in the range the command line's option has.</summary>
    private static int? Number(string? value, string field, IntegerRange range)
        => value is null ? null
            : !long.TryParse(value, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out long number)
                ? throw new FieldException(field, $"The query field '{field}' must be a whole number; '{value}' was given.")
            : range.Problem(field, number) is { } problem ? throw new FieldException(field, problem)
            : (int)number;

    /// <summary>
    /// Refuses a query field the route does not take (a 400 naming it and listing those it takes): a misspelt field would
    /// otherwise be ignored and the answer given for the default. The fields a route takes are its handler's query parameters.
    /// </summary>
    private static EndpointFilterDelegate RefuseUnknownQueryFields(EndpointFilterFactoryContext factory, EndpointFilterDelegate next)
    {
        var taken = factory.MethodInfo.GetParameters()
            .Where(p => p.ParameterType == typeof(string))
            .Select(p => p.Name!).ToHashSet(StringComparer.Ordinal);
        return context =>
        {
            var unknown = context.HttpContext.Request.Query.Keys.Where(k => !taken.Contains(k)).ToList();
            return unknown.Count == 0 ? next(context)
                : ValueTask.FromResult<object?>(BadField(unknown[0], $"This route takes no query field '{unknown[0]}'" +
                    (taken.Count == 0 ? "; it takes none." : $"; it takes {string.Join(", ", taken.Order(StringComparer.Ordinal))}.")));
        };
    }

    /// <summary>
    /// Choice effects, kept while the store is unchanged (its data version: an objective imported changes them too): the page
    /// asks for the compared devices' on every pair it opens, 0.7–0.9 s to read eight devices of 15,625 architectures. Asked
    /// for the same devices in another order (the page puts the pair's target first), the kept answer is reordered.
    /// </summary>
    private static ChoiceEffectsResult Effects(ChoiceEffectsRequest request, KeptAnswers<ChoiceEffectsResult> kept, DevicesCache devices)
    {
        ChoiceEffectsResult Compute(IReadOnlyList<string> names) => new ChoiceEffectsUseCase().Run(request with { Devices = names });
        bool plainNames = request.Devices.All(d => d != "all" && !d.Contains('*', StringComparison.Ordinal));
        if (devices.DataVersion() is not { } version || !plainNames)
        {
            return Compute(request.Devices);
        }
        var sorted = request.Devices.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var answer = kept.Get($"{string.Join(',', sorted)}|{request.Space.Name}|{request.Objective}", version.ToString(CultureInfo.InvariantCulture), () => Compute(sorted));
        var byName = answer.Series.Where(s => s.Quantity == "latency_ms").ToDictionary(s => s.Name, StringComparer.Ordinal);
        return answer with
        {
            Series = [.. request.Devices.Distinct(StringComparer.Ordinal).Select(d => byName[d]), .. answer.Series.Where(s => s.Quantity != "latency_ms")],
        };
    }

    private static string Required(string? value, string field)
        => string.IsNullOrWhiteSpace(value) ? throw new FieldException(field, $"The query field '{field}' is required.") : value;

    private static IReadOnlyList<string> Names(string? value, string field)
        => Required(value, field).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static SearchSpace Space(string? name)
        => name is null ? SearchSpaces.Default
            : SearchSpaces.TryGet(name) ?? throw new FieldException("space", $"Unknown space '{name}' (known: {string.Join(", ", SearchSpaces.All.Select(s => s.Name))}).");

    /// <summary>
    /// On loopback, a request must name a loopback host: a page of another site that rebinds its own name to
    /// 127.0.0.1 (DNS rebinding) is refused. Beyond loopback the token guards the workbench.
    /// </summary>
    private static Func<HttpContext, RequestDelegate, Task> RefuseForeignHosts(WorkbenchOptions options)
    {
        bool loopbackOnly = WorkbenchOptions.IsLoopback(new Uri(options.Url).Host);
        return (context, next) =>
        {
            if (loopbackOnly && !WorkbenchOptions.IsLoopback(context.Request.Host.Host))
            {
                return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Bad host",
                    detail: $"The workbench answers to 127.0.0.1 or localhost, not '{context.Request.Host.Host}'.").ExecuteAsync(context);
            }
            return next(context);
        };
    }

    /// <summary>
    /// Beyond loopback: the token as a bearer token, or once as <c>?token=</c> (then kept in a same-site, HTTP-only
    /// cookie), compared in constant time.
    /// </summary>
    private static Func<HttpContext, RequestDelegate, Task> RequireToken(string token)
    {
        byte[] expected = Encoding.UTF8.GetBytes(token);
        bool Matches(string? given) => given is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), expected);
        return (context, next) =>
        {
            string? bearer = context.Request.Headers.Authorization.ToString() is { } header && header.StartsWith("Bearer ", StringComparison.Ordinal) ? header[7..] : null;
            if (Matches(bearer) || Matches(context.Request.Cookies[TokenCookie]))
            {
                return next(context);
            }
            if (Matches(context.Request.Query["token"].ToString()))
            {
                context.Response.Cookies.Append(TokenCookie, token, new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Strict, Path = "/" });
                context.Response.Redirect(context.Request.Path);
                return Task.CompletedTask;
            }
            return Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Token required",
                detail: "Open the workbench with ?token=TOKEN once, or send 'Authorization: Bearer TOKEN'.").ExecuteAsync(context);
        };
    }
}

/// <summary>The architecture spaces the workbench shows (the kernel spaces, profiled to predict ONNX models, are not browsed), and the one it opens with.</summary>
public sealed record SpacesResult(string Default, IReadOnlyList<string> Spaces);
