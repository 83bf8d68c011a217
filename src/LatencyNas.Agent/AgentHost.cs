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
    public static async Task RunAsync(AgentOptions options, CancellationToken cancellation)
    {
        options = options.Validated();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseUrls([.. options.Urls]);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = options.MaxModelBytes);
        var app = builder.Build();
        var service = new AgentService(options, message => Console.WriteLine($"{DateTime.UtcNow:HH:mm:ss} {message}"));
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
            if (context.Request.ContentLength is { } length && length > options.MaxModelBytes)
            {
                await DrainSmallExcessAsync(context, length, options.MaxModelBytes);
                await Error(context, StatusCodes.Status413PayloadTooLarge, $"model of {length:N0} bytes exceeds the agent's limit of {options.MaxModelBytes:N0} bytes (--max-model-mb {options.MaxModelMegabytes})");
                return;
            }
            MeasureSettings? settings;
            try
            {
                settings = JsonSerializer.Deserialize<MeasureSettings>(context.Request.Query[AgentContract.SettingsParameter].ToString(), AgentContract.Json);
            }
            catch (JsonException error)
            {
                await Error(context, StatusCodes.Status400BadRequest, $"settings are not valid JSON: {error.Message}");
                return;
            }
            if (settings?.Runtime is null || settings.Protocol is null)
            {
                await Error(context, StatusCodes.Status400BadRequest, $"the '{AgentContract.SettingsParameter}' query parameter must hold runtime and protocol settings");
                return;
            }
            byte[] model;
            try
            {
                using var buffer = new MemoryStream();
                await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
                model = buffer.ToArray();
            }
            catch (BadHttpRequestException error) when (error.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                await Error(context, StatusCodes.Status413PayloadTooLarge, $"model exceeds the agent's limit of {options.MaxModelBytes:N0} bytes (--max-model-mb {options.MaxModelMegabytes})");
                return;
            }
            if (!LooksLikeOnnx(model))
            {
                await Error(context, StatusCodes.Status400BadRequest, "the body is not an ONNX model (expected application/octet-stream holding a ModelProto)");
                return;
            }
            try
            {
                var response = await service.MeasureAsync(model, settings, context.Request.Headers[AgentContract.IdempotencyHeader].FirstOrDefault());
                await context.Response.WriteAsJsonAsync(response, AgentContract.Json);
            }
            catch (AgentRefusal refusal)
            {
                if (refusal.Status == StatusCodes.Status429TooManyRequests)
                {
                    context.Response.Headers.RetryAfter = "1";
                }
                await Error(context, refusal.Status, refusal.Message);
            }
        });

        await app.StartAsync(cancellation);
        Console.WriteLine($"latnas agent {service.Name} listening on {string.Join(", ", options.Urls)} " +
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
