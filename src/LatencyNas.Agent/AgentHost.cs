using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using LatencyNas.Profiling.Remote;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace LatencyNas.Agent;

/// <summary>The agent's web server: Kestrel with a minimal API over <see cref="AgentService"/>.</summary>
public static class AgentHost
{
    /// <param name="log">Where the agent reports what it measured (default: standard output).</param>
    public static async Task RunAsync(AgentOptions options, CancellationToken cancellation, Action<string>? log = null)
    {
        log ??= Console.WriteLine;
        options = options.Validated();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
        // A start that fails (an address in use) is reported by the verb in one line; the host would log it first with its stack trace.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting", LogLevel.None);
        builder.WebHost.UseUrls([.. options.Urls]);
        // The largest body any endpoint takes; each endpoint lowers it to its own limit.
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = options.MaxBatchBytes);
        var app = builder.Build();
        var service = new AgentService(options, message => log($"{DateTime.UtcNow:HH:mm:ss} {message}"));
        byte[]? token = options.Token is null ? null : Encoding.UTF8.GetBytes(options.Token);

        app.Use(async (context, next) =>
        {
            if (context.Request.Path.StartsWithSegments("/v1") && token is not null && !Authorized(context.Request, token))
            {
                context.Response.Headers.WWWAuthenticate = "Bearer";
                await Error(context, StatusCodes.Status401Unauthorized, "missing or wrong bearer token");
                return;
            }
            await next(context);
        });

        app.MapGet(AgentContract.HealthPath, () => Results.Text("ok"));
        app.MapGet(AgentContract.InfoPath, () => Results.Json(service.Info, AgentContract.Json));
        app.MapPost(AgentContract.MeasurePath, async context =>
        {
            if (await ReadRequestAsync(context, options.MaxModelBytes, $"--max-model-mb {options.MaxModelMegabytes}") is not var (settings, body))
            {
                return;
            }
            if (!LooksLikeOnnx(body))
            {
                await Error(context, StatusCodes.Status400BadRequest, "the body is not an ONNX model (expected application/octet-stream holding a ModelProto)");
                return;
            }
            await AnswerAsync(context, service.MeasureAsync(body, settings, context.Request.Headers[AgentContract.IdempotencyHeader].FirstOrDefault(), context.RequestAborted), log);
        });
        app.MapPost(AgentContract.MeasureBatchPath, async context =>
        {
            if (await ReadRequestAsync(context, options.MaxBatchBytes, $"--max-batch-mb {options.MaxBatchMegabytes}") is not var (settings, body))
            {
                return;
            }
            IReadOnlyList<byte[]> models;
            try
            {
                models = BatchFraming.Read(body);
            }
            catch (FormatException error)
            {
                await Error(context, StatusCodes.Status400BadRequest, $"the body is not a batch of models ({AgentContract.BatchContentType}): {error.Message}");
                return;
            }
            if (models.FirstOrDefault(m => m.Length > options.MaxModelBytes || !LooksLikeOnnx(m)) is { } bad)
            {
                await Error(context, bad.Length > options.MaxModelBytes ? StatusCodes.Status413PayloadTooLarge : StatusCodes.Status400BadRequest,
                    bad.Length > options.MaxModelBytes
                        ? $"model {models.ToList().IndexOf(bad) + 1} of the batch has {bad.Length:N0} bytes, over the agent's limit of {options.MaxModelBytes:N0} (--max-model-mb {options.MaxModelMegabytes})"
                        : $"model {models.ToList().IndexOf(bad) + 1} of the batch is not an ONNX model");
                return;
            }
            await AnswerAsync(context, service.MeasureBatchAsync(models, settings, context.Request.Headers[AgentContract.IdempotencyHeader].FirstOrDefault(), context.RequestAborted), log);
        });

        await app.StartAsync(cancellation);
        log($"latnas agent {service.Name} listening on {string.Join(", ", options.Urls)} " +
                          $"({(token is null ? "no token: loopback only" : "bearer token required")}, models up to {options.MaxModelMegabytes} MiB, ONNX Runtime {service.Info.RuntimeVersion})");
        try
        {
            await Task.Delay(Timeout.Infinite, cancellation);
        }
        catch (OperationCanceledException)
        {
        }
        await app.StopAsync(CancellationToken.None);
    }

    /// <summary>
    /// Reads a measurement request's settings and body within <paramref name="limit"/> bytes, or
    /// answers it with 400 or 413 and returns null.
    /// </summary>
    private static async Task<(MeasureSettings Settings, byte[] Body)?> ReadRequestAsync(HttpContext context, long limit, string option)
    {
        if (context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = limit;
        }
        if (context.Request.ContentLength is { } length && length > limit)
        {
            await DrainSmallExcessAsync(context, length, limit);
            await Error(context, StatusCodes.Status413PayloadTooLarge, $"a body of {length:N0} bytes exceeds the agent's limit of {limit:N0} bytes ({option})");
            return null;
        }
        MeasureSettings? settings;
        try
        {
            settings = JsonSerializer.Deserialize<MeasureSettings>(context.Request.Query[AgentContract.SettingsParameter].ToString(), AgentContract.Json);
        }
        catch (JsonException error)
        {
            await Error(context, StatusCodes.Status400BadRequest, SettingsProblem(error));
            return null;
        }
        if (settings?.Runtime is null || settings.Protocol is null)
        {
            await Error(context, StatusCodes.Status400BadRequest, $"the '{AgentContract.SettingsParameter}' query parameter must hold runtime and protocol settings");
            return null;
        }
        try
        {
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
            return (settings, buffer.ToArray());
        }
        catch (BadHttpRequestException error) when (error.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await Error(context, StatusCodes.Status413PayloadTooLarge, $"the body exceeds the agent's limit of {limit:N0} bytes ({option})");
            return null;
        }
    }

    /// <summary>
    /// What is wrong with the settings, in the contract's terms: the field as the client sent it and
    /// what it takes (the allowed values of a choice), never a .NET type name.
    /// </summary>
    private static string SettingsProblem(JsonException error)
    {
        string field = error.Path is { Length: > 2 } path && path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : "";
        Type? type = typeof(MeasureSettings);
        foreach (string name in field.Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            var property = type?.GetProperties().FirstOrDefault(p => AgentContract.Json.PropertyNamingPolicy!.ConvertName(p.Name) == name);
            type = property is null ? null : Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        }
        string? expected = field.Length == 0 || type is null ? null
            : type.IsEnum ? $"one of {string.Join("|", Enum.GetNames(type).Select(JsonNamingPolicy.SnakeCaseLower.ConvertName))}"
            : type == typeof(TimeSpan) ? "a duration such as \"00:00:05\" (hh:mm:ss)"
            : type == typeof(int) || type == typeof(long) ? "a whole number"
            : type == typeof(double) ? "a number"
            : type == typeof(bool) ? "true or false"
            : type == typeof(string) ? "a string"
            : type.IsClass ? "an object"
            : null;
        return expected is null
            ? $"settings are not valid JSON: {error.Message.Split(" Path:", 2)[0]}{(field.Length > 0 ? $" (at {field})" : "")}"
            : $"settings: {field} must be {expected}";
    }

    /// <summary>Answers with the measurement, a refusal's status and line, nothing to a client that went away, and one line (500) to anything unforeseen.</summary>
    private static async Task AnswerAsync<T>(HttpContext context, Task<T> measurement, Action<string> log)
    {
        try
        {
            await context.Response.WriteAsJsonAsync(await measurement, AgentContract.Json);
        }
        catch (AgentRefusal refusal)
        {
            if (refusal.Status is StatusCodes.Status429TooManyRequests or StatusCodes.Status503ServiceUnavailable)
            {
                context.Response.Headers.RetryAfter = "1";
            }
            await Error(context, refusal.Status, refusal.Message);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; there is no one to answer.
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            string line = $"{error.GetType().Name}: {error.Message.Split('\n', 2)[0].Trim()}";
            log($"failed a request: {line}");
            await Error(context, StatusCodes.Status500InternalServerError, $"the agent failed: {line}");
        }
    }

    /// <summary>
    /// A client that sent "Expect: 100-continue" never uploads a refused body. One that did not is
    /// still sending when the 413 is ready; closing on it makes the client see a reset instead of
    /// the answer, so a body up to four times the limit is read and discarded first.
    /// </summary>
    private static async Task DrainSmallExcessAsync(HttpContext context, long length, long limit)
    {
        if (context.Request.Headers.Expect.Count > 0 || length > 4 * limit)
        {
            return;
        }
        if (context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = null;
        }
        await context.Request.Body.CopyToAsync(Stream.Null, context.RequestAborted);
    }

    private static bool Authorized(HttpRequest request, byte[] token)
    {
        string header = request.Headers.Authorization.ToString();
        const string Prefix = "Bearer ";
        if (!header.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }
        byte[] given = Encoding.UTF8.GetBytes(header[Prefix.Length..].Trim());
        return CryptographicOperations.FixedTimeEquals(given, token);
    }

    /// <summary>
    /// A cheap check before ONNX Runtime sees the bytes: a serialized ModelProto starts with a
    /// protobuf field tag of the model message (ir_version, producer, graph, opset import…).
    /// </summary>
    private static bool LooksLikeOnnx(byte[] model)
        => model.Length >= 16 && model[0] is 0x08 or 0x12 or 0x1a or 0x22 or 0x28 or 0x32 or 0x3a or 0x42;

    private static Task Error(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new AgentError(message), AgentContract.Json);
    }
}
