using System.Collections.Concurrent;
using LatencyNas.Tests;

namespace LatencyNas.Agent.Tests;

/// <summary>A real agent (Kestrel) on a free 127.0.0.1 port, stopped when disposed.</summary>
internal sealed class RunningAgent : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _run;

    private RunningAgent(string endpoint, AgentOptions options)
    {
        Endpoint = endpoint;
        _run = AgentHost.RunAsync(options with { Urls = [endpoint] }, _stop.Token, Log.Enqueue);
    }

    /// <summary>What the agent reported.</summary>
    public ConcurrentQueue<string> Log { get; } = new();

    public const string Token = "test-token-0123456789abcdef";

    public string Endpoint { get; }

    public static async Task<RunningAgent> StartAsync(AgentOptions? options = null)
    {
        var agent = new RunningAgent($"http://127.0.0.1:{LoopbackPort.Free()}", options ?? new AgentOptions { Token = Token, Name = "test-agent" });
        using var http = new HttpClient();
        for (int attempt = 0; attempt < 200; attempt++)
        {
            if (agent._run.IsFaulted)
            {
                await agent._run; // surface the start-up error
            }
            try
            {
                if ((await http.GetAsync(agent.Endpoint + "/healthz")).IsSuccessStatusCode)
                {
                    return agent;
                }
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(50);
        }
        throw new TimeoutException("the agent did not start");
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await _run;
        _stop.Dispose();
    }

}
