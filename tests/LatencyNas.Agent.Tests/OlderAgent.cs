using System.Net.Http.Json;
using System.Net.Sockets;
using LatencyNas.Core.Measurements;
using LatencyNas.Profiling.Remote;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace LatencyNas.Agent.Tests;

/// <summary>
/// A real HTTP server on 127.0.0.1 that answers like an older agent: from before batches (/v1/info without batch limits, no
/// /v1/measure-batch), or from before instances (batches measured on one session each, whatever the protocol asks).
/// </summary>
internal sealed class OlderAgent : IAsyncDisposable
{
    private readonly WebApplication _app;

    private OlderAgent(WebApplication app, string endpoint)
    {
        _app = app;
        Endpoint = endpoint;
    }

    public string Endpoint { get; }

    public static async Task<OlderAgent> StartAsync(bool measuresBatchesOnOneSession = false)
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        string endpoint = $"http://127.0.0.1:{((System.Net.IPEndPoint)listener.LocalEndpoint).Port}";
        listener.Stop();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(endpoint);
        var app = builder.Build();
        string batchLimits = measuresBatchesOnOneSession ? """, "max_batch_models": 4, "max_batch_bytes": 67108864""" : "";
        app.MapGet("/v1/info", () => Results.Text($$"""
            { "agent": "old-agent", "cpu_model": "AMD EPYC", "cores": 2, "operating_system": "Linux", "runtime_version": "1.31.1",
              "providers": ["CPUExecutionProvider"], "max_model_bytes": 67108864, "queue_limit": 4, "requires_token": true{{batchLimits}} }
            """, "application/json"));
        if (measuresBatchesOnOneSession)
        {
            app.MapPost(AgentContract.MeasureBatchPath, async context =>
            {
                using var body = new MemoryStream();
                await context.Request.Body.CopyToAsync(body);
                Visit[] visits = [new(1, 1.2, 1), new(2, 1.1, 1), new(3, 1.15, 1), new(4, 1.1, 1)];
                var statistics = LatencyStatistics.FromVisits(visits, visits, [1.2, 1.1, 1.15, 1.1], 0.1, 3, 0, 4, LatencyStatistics.FastestColdVisit);
                var items = BatchFraming.Read(body.ToArray()).Select(_ => new BatchItem(5, statistics, visits, null)).ToList();
                await context.Response.WriteAsJsonAsync(new BatchResponse("old-agent", items), AgentContract.Json);
            });
        }
        await app.StartAsync();
        return new OlderAgent(app, endpoint);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
