using System.Collections.Concurrent;
using System.Diagnostics;
using LatencyNas.Tests;

namespace LatencyNas.Agent.Tests;

/// <summary>
/// The stand-alone agent (<c>latnas-agent</c>, built beside the tests) as a real child process on a
/// fixed 127.0.0.1 port: it can be killed, started again on the same port, and stopped and
/// continued with SIGSTOP and SIGCONT, as an outage of an edge board would.
/// </summary>
internal sealed class AgentProcess : IAsyncDisposable
{
    private readonly string _tokenFile = Path.GetTempFileName();
    private readonly int _port = LoopbackPort.Free();
    private Process? _process;

    private AgentProcess()
    {
        File.WriteAllText(_tokenFile, RunningAgent.Token);
    }

    public string Endpoint => $"http://127.0.0.1:{_port}";

    public string TokenFile => _tokenFile;

    /// <summary>Every line the agent printed, across restarts.</summary>
    public ConcurrentQueue<string> Output { get; } = new();

    public static async Task<AgentProcess> StartAsync()
    {
        var agent = new AgentProcess();
        await agent.StartAgainAsync();
        return agent;
    }

    public async Task StartAgainAsync()
    {
        var start = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "latnas-agent"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string argument in new[] { "--urls", Endpoint, "--token-file", _tokenFile, "--name", "process-agent" })
        {
            start.ArgumentList.Add(argument);
        }
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, line) => { if (line.Data is not null) Output.Enqueue(line.Data); };
        _process.ErrorDataReceived += (_, line) => { if (line.Data is not null) Output.Enqueue(line.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        using var http = new HttpClient();
        for (int attempt = 0; attempt < 600; attempt++)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"the agent exited with {_process.ExitCode}: {string.Join(" | ", Output)}");
            }
            try
            {
                if ((await http.GetAsync(Endpoint + "/healthz")).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(50);
        }
        throw new TimeoutException("the agent did not start");
    }

    /// <summary>Waits (at most a minute) until the agent has printed <paramref name="count"/> lines containing <paramref name="text"/>.</summary>
    public async Task WaitForOutputAsync(string text, int count = 1)
    {
        for (int attempt = 0; attempt < 1200 && Output.Count(l => l.Contains(text, StringComparison.Ordinal)) < count; attempt++)
        {
            await Task.Delay(50);
        }
        Assert.True(Output.Count(l => l.Contains(text, StringComparison.Ordinal)) >= count, $"the agent never printed '{text}' {count} times: {string.Join(" | ", Output)}");
    }

    /// <summary>
    /// Waits (at most a minute) until the agent has used <paramref name="cpu"/> more processor time than when called: a sign
    /// that it is running a model's timed runs, where receiving a model and opening its session take a fraction of that.
    /// </summary>
    public async Task WaitForBusyAsync(TimeSpan cpu)
    {
        var start = _process!.TotalProcessorTime;
        for (int attempt = 0; attempt < 1200 && _process.TotalProcessorTime - start < cpu; attempt++)
        {
            await Task.Delay(50);
            _process.Refresh();
        }
        Assert.True(_process.TotalProcessorTime - start >= cpu, $"the agent used {(_process.TotalProcessorTime - start).TotalSeconds:F1} s of CPU in a minute: {string.Join(" | ", Output)}");
    }

    public void Kill()
    {
        _process!.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public void Signal(string signal) => Process.Start("kill", [$"-{signal}", _process!.Id.ToString()])!.WaitForExit();

    public ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            Signal("CONT");
            Kill();
        }
        File.Delete(_tokenFile);
        return ValueTask.CompletedTask;
    }

}
