using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace LatencyNas.Agent.Tests;

/// <summary>A real HTTP server on 127.0.0.1 that answers like an agent from before batches: /v1/info without batch limits, no /v1/measure-batch.</summary>
internal sealed class OlderAgent : IAsyncDisposable
{
    private readonly WebApplication _app;

    private OlderAgent(WebApplication app, string endpoint)
    {
        _app = app;
        Endpoint = endpoint;
    }

    public string Endpoint { get; }

    public static async Task<OlderAgent> StartAsync()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        string endpoint = $"http://127.0.0.1:{((System.Net.IPEndPoint)listener.LocalEndpoint).Port}";
        listener.Stop();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(endpoint);
        var app = builder.Build();
        app.MapGet("/v1/info", () => Results.Text("""
            { "agent": "old-agent", "cpu_model": "AMD EPYC", "cores": 2, "operating_system": "Linux", "runtime_version": "1.31.1",
              "providers": ["CPUExecutionProvider"], "max_model_bytes": 67108864, "queue_limit": 4, "requires_token": true }
            """, "application/json"));
        await app.StartAsync();
        return new OlderAgent(app, endpoint);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
