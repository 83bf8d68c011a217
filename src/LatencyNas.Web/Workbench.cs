using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using LatencyNas.Core;
using LatencyNas.Core.Spaces;
using LatencyNas.Workflows;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
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

    /// <exception cref="InvalidInputException">Options that cannot be used (<see cref="WorkbenchOptions.Problems"/>), or a store that is missing.</exception>
    public static WebApplication Build(WorkbenchOptions options)
    {
        if (options.Problems() is { Count: > 0 } problems)
        {
            throw new InvalidInputException($"Cannot serve the workbench: {string.Join("; ", problems)}.");
        }
        options.Store.OpenExisting().Dispose(); // a store that is missing or cannot be used is refused now, not on the first request
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(options.Url);
        builder.Services.AddProblemDetails();
        var app = builder.Build();
        app.UseExceptionHandler(new ExceptionHandlerOptions { StatusCodeSelector = _ => StatusCodes.Status500InternalServerError });
        app.UseStatusCodePages();
        app.Use(RefuseForeignHosts(options));
        if (options.Token is { Length: > 0 } token)
        {
            app.Use(RequireToken(token));
        }

        var assets = new EmbeddedAssets();
        var monotonicity = new ConcurrentDictionary<string, (string Counts, MonotonicityResult Result)>();
        var store = options.Store;

        app.MapGet("/api/devices", () => Answer("store", () => new DevicesListUseCase().Run(new DevicesListRequest(store))));
        app.MapGet("/api/monotonicity", (string? devices, string? space, int? count) => Answer("devices", () =>
        {
            var request = new MonotonicityRequest(Names(devices, "devices"), Space(space), store, Count: count);
            // One entry per question, valid while the store's measurement counts stay as they were (a running profile adds some).
            string question = $"{string.Join(',', request.Devices)}|{request.Space.Name}|{count}";
            string counts = string.Join(',', new DevicesListUseCase().Run(new DevicesListRequest(store)).Devices.Select(d => $"{d.Name}={d.Measured}"));
            if (monotonicity.TryGetValue(question, out var cached) && cached.Counts == counts)
            {
                return cached.Result;
            }
            var result = new MonotonicityUseCase().Run(request);
            monotonicity[question] = (counts, result);
            return result;
        }));
        app.MapGet("/api/latencies", (string? devices, string? space, string? objective) => Answer("devices",
            () => new LatencyColumnsUseCase().Run(new LatencyColumnsRequest(Names(devices, "devices"), Space(space), store, objective))));
        app.MapGet("/api/objectives", (string? space) => Answer("space", () => new ObjectivesListUseCase().Run(new ObjectivesListRequest(Space(space), store))));
        app.MapGet("/api/pareto", (string? proxy, string? target, string? objective, string? space, int? target_samples) => Answer("objective",
            () => new ParetoUseCase().Run(new ParetoRequest(
                Required(proxy, "proxy"), Required(target, "target"), Required(objective, "objective"), Space(space), store, target_samples)),
            ("proxy", proxy), ("target", target)));
        app.MapGet("/api/effects", (string? devices, string? space, string? objective) => Answer("devices",
            () => new ChoiceEffectsUseCase().Run(new ChoiceEffectsRequest(Names(devices, "devices"), Space(space), store, objective)), ("objective", objective)));
        app.MapGet("/api/show", (string? arch, string? space) => Answer("arch", () =>
        {
            var searchSpace = Space(space);
            var architecture = Field("arch", () => searchSpace.Parse(Required(arch, "arch")));
            return new ShowUseCase().Run(new ShowRequest(architecture, searchSpace, store));
        }));
        app.Map("/api/{**rest}", () => Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such API route",
            detail: "The API has /api/devices, /api/objectives, /api/monotonicity, /api/latencies, /api/pareto, /api/effects and /api/show."));
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

    /// <summary>A request's input that is wrong, with the query field it came from.</summary>
    private sealed class FieldException(string field, string message) : InvalidInputException(message)
    {
        public string Field { get; } = field;
    }

    /// <summary>
    /// Runs a use case and writes its result; bad input is a 400 naming the field: the one a parse failed on, else the
    /// one of <paramref name="named"/> whose value the use case's message quotes, else <paramref name="field"/>.
    /// </summary>
    private static IResult Answer<T>(string field, Func<T> run, params (string Field, string? Value)[] named)
    {
        try
        {
            return Results.Json(run(), ResultJson.Options);
        }
        catch (InvalidInputException error)
        {
            string culprit = error is FieldException fieldError ? fieldError.Field
                : named.FirstOrDefault(n => n.Value is { Length: > 0 } value && error.Message.Contains($"'{value}'", StringComparison.Ordinal)).Field ?? field;
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: $"Bad {culprit}", detail: error.Message,
                extensions: new Dictionary<string, object?> { ["field"] = culprit });
        }
    }

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
