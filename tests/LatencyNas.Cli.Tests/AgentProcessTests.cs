using System.Diagnostics;
using System.Text;
using LatencyNas.Tests;
using Microsoft.Data.Sqlite;

namespace LatencyNas.Cli.Tests;

/// <summary>Edge agents as real processes on 127.0.0.1, driven by a real `latnas profile` process.</summary>
public sealed class AgentProcessTests : IDisposable
{
    private const string Token = "agent-test-token-0123456789";
    private readonly string _directory = Directory.CreateTempSubdirectory("latnas-agent-").FullName;
    private readonly List<Process> _processes = [];
    private readonly Dictionary<Process, StringBuilder> _errors = [];

    public AgentProcessTests() => File.WriteAllText(TokenFile, Token);

    private string TokenFile => Path.Combine(_directory, "token");

    private string Store => Path.Combine(_directory, "latnas.db");

    public void Dispose()
    {
        foreach (var process in _processes.Where(p => !p.HasExited))
        {
            Resume(process);
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public void A_profile_through_an_agent_stores_what_a_local_profile_stores()
    {
        int port = LoopbackPort.Free();
        StartAgent(port, "agent-a");
        string device = Descriptor("edge", timeoutSeconds: 60, port);
        var remote = Latnas.Run(["profile", "--device", device, "--count", "4", "--seed", "2", "--store", Store ]);
        Assert.True(remote.ExitCode == 0, remote.ToString());
        var local = Latnas.Run(["profile", "--device", TestDevices.Local(_directory), "--count", "4", "--seed", "2", "--store", Store ]);
        Assert.True(local.ExitCode == 0, local.ToString());

        foreach (string name in new[] { "edge", "ort-cpu-1t" })
        {
            // The quick protocol's visits: at least min_rounds (3), one kept run each.
            Assert.Equal(4, Scalar($"SELECT count(*) FROM measurements m JOIN devices d ON d.id = m.device_id WHERE d.name = '{name}' AND m.status = 'ok' " +
                                   "AND m.median_ms > 0 AND m.mean_ms > 0 AND m.p10_ms > 0 AND m.p90_ms > 0 AND m.iqr_ms >= 0 AND m.cv >= 0 AND m.visits >= 3 AND m.runs = m.visits " +
                                   "AND m.precision_met IS NOT NULL AND m.session_ms > 0"));
        }
        Assert.Equal(4, Scalar("SELECT count(*) FROM measurements WHERE agent = 'agent-a'"));
        Assert.Equal(1, Scalar("SELECT count(*) FROM devices WHERE name = 'edge' AND kind = 'remote'"));
    }

    [Fact]
    public void An_fbnet_profile_through_an_agent_stores_fbnet_measurements_and_trains_a_predictor()
    {
        int port = LoopbackPort.Free();
        StartAgent(port, "agent-a");
        string device = Descriptor("edge", timeoutSeconds: 60, port);
        var profile = Latnas.Run(["profile", "--space", "fbnet", "--device", device, "--count", "6", "--seed", "4", "--store", Store]);
        Assert.True(profile.ExitCode == 0, profile.ToString());

        Assert.Equal(6, Scalar("SELECT count(*) FROM measurements m JOIN architectures a ON a.id = m.architecture_id " +
                               "WHERE a.space = 'fbnet' AND length(a.digits) = 22 AND m.status = 'ok' AND m.median_ms > 0 AND m.agent = 'agent-a'"));
        Assert.Equal(0, Scalar("SELECT count(*) FROM architectures WHERE space <> 'fbnet'"));

        // The remote column is an FBNet device like any other: a predictor learns from it.
        var train = Latnas.Run(["train", "--space", "fbnet", "--device", "edge", "--train-size", "5", "--store", Store]);
        Assert.True(train.ExitCode == 0, train.ToString());
    }

    [Fact]
    public void Wrong_token_gives_a_clear_client_error_and_exit_2()
    {
        int port = LoopbackPort.Free();
        StartAgent(port, "agent-a");
        File.WriteAllText(TokenFile, "this-is-the-wrong-token-xyz");
        var result = Latnas.Run(["profile", "--device", Descriptor("edge", 30, port), "--count", "2", "--store", Store]);
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("401", result.Stderr);
        Assert.Contains("token", result.Stderr);
    }

    /// <summary>A profile asking more runs than the agent allows used to store every architecture as failed and exit 1.</summary>
    [Fact]
    public void A_protocol_over_the_agents_limits_is_refused_before_anything_is_measured_or_stored()
    {
        int port = LoopbackPort.Free();
        var agent = StartAgent(port, "agent-a", "--max-runs", "100");
        string device = Path.Combine(_directory, "edge.json");
        File.WriteAllText(device, $$"""
            { "name": "edge", "runtime": "remote", "threads": 1, "protocol": { "max_rounds": 50, "extra_rounds": 20, "runs_per_visit": 2 },
              "remote": { "endpoints": ["http://127.0.0.1:{{port}}"], "token_file": "{{TokenFile}}", "timeout_seconds": 30 } }
            """);

        var result = Latnas.Run(["profile", "--device", device, "--count", "2", "--store", Store]);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Single(result.Stderr.Trim().Split('\n'));
        Assert.Contains("asks up to 143 runs of a model", result.Stderr);
        Assert.Contains("over the limit of 100", result.Stderr);
        Assert.Contains("--max-runs 143", result.Stderr);
        Assert.False(File.Exists(Store), "a refused profile created the store");
        Assert.False(agent.HasExited);
    }

    /// <summary>The host used to log its failure to start, with a stack trace, before the verb's one line.</summary>
    [Fact]
    public void An_agent_on_a_port_in_use_says_so_in_one_line_and_exits_1()
    {
        int port = LoopbackPort.Free();
        StartAgent(port, "agent-a");

        var second = Latnas.Run(["agent", "--urls", $"http://127.0.0.1:{port}", "--insecure"]);

        Assert.True(second.ExitCode == 1, second.ToString());
        Assert.Equal("", second.Stdout.Trim());
        Assert.Single(second.Stderr.Trim().Split('\n'));
        Assert.Contains("cannot listen", second.Stderr);
        Assert.DoesNotContain("   at ", second.ToString());
    }

    [Fact]
    public void Agent_killed_mid_profile_and_restarted_the_profile_completes_with_each_architecture_once()
    {
        int port = LoopbackPort.Free();
        var agent = StartAgent(port, "agent-a");
        string device = Descriptor("edge", timeoutSeconds: 20, port);
        var profile = StartLatnas(["profile", "--device", device, "--count", "14", "--seed", "3", "--store", Store, "--retries", "4" ]);
        WaitFor(() => File.Exists(Store) && Scalar("SELECT count(*) FROM sqlite_master WHERE name = 'measurements'") == 1
                      && Scalar("SELECT count(*) FROM measurements") >= 3, "three measurements");
        agent.Kill();
        agent.WaitForExit();
        Thread.Sleep(500);
        StartAgent(port, "agent-a-restarted");
        Assert.True(profile.WaitForExit(TimeSpan.FromMinutes(3)), "the profile did not finish");
        Assert.True(profile.ExitCode == 0, $"exit {profile.ExitCode}: {ErrorsOf(profile)}");
        Assert.Equal(14, Scalar("SELECT count(*) FROM measurements WHERE status = 'ok'"));
        Assert.Equal(14, Scalar("SELECT count(DISTINCT architecture_id) FROM measurements"));
        Assert.True(Scalar("SELECT count(*) FROM measurements WHERE agent = 'agent-a-restarted'") >= 1);
    }

    [Fact]
    public void An_agent_that_stalls_times_out_is_retried_and_the_run_continues()
    {
        int port = LoopbackPort.Free();
        var agent = StartAgent(port, "agent-a");
        string device = Descriptor("edge", timeoutSeconds: 1, port);
        var profile = StartLatnas(["profile", "--device", device, "--count", "8", "--seed", "4", "--store", Store, "--retries", "6" ]);
        WaitFor(() => File.Exists(Store) && Scalar("SELECT count(*) FROM sqlite_master WHERE name = 'measurements'") == 1
                      && Scalar("SELECT count(*) FROM measurements") >= 2, "two measurements");
        Signal(agent, "STOP");
        Thread.Sleep(3_000); // longer than the 1 s attempt timeout: attempts time out and are retried
        Resume(agent);
        Assert.True(profile.WaitForExit(TimeSpan.FromMinutes(3)), "the profile did not finish");
        Assert.True(profile.ExitCode == 0, $"exit {profile.ExitCode}: {ErrorsOf(profile)}");
        Assert.Equal(8, Scalar("SELECT count(*) FROM measurements WHERE status = 'ok'"));
    }

    [Fact]
    public void Two_agents_share_one_profile()
    {
        int first = LoopbackPort.Free(), second = LoopbackPort.Free();
        StartAgent(first, "agent-a");
        StartAgent(second, "agent-b");
        string device = Descriptor("edge", 60, first, second);
        var result = Latnas.Run(["profile", "--device", device, "--count", "12", "--seed", "5", "--store", Store ]);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(12, Scalar("SELECT count(*) FROM measurements WHERE status = 'ok'"));
        Assert.True(Scalar("SELECT count(*) FROM measurements WHERE agent = 'agent-a'") >= 1);
        Assert.True(Scalar("SELECT count(*) FROM measurements WHERE agent = 'agent-b'") >= 1);
    }

    [Fact]
    public async Task Two_workers_of_an_agent_device_share_its_queue_while_this_machines_cpu_lock_is_held()
    {
        int port = LoopbackPort.Free();
        StartAgent(port, "agent-a");
        string device = Descriptor("edge", 60, port);
        Assert.Equal(0, Latnas.Run("queue", "add", "--device", device, "--count", "12", "--seed", "6", "--store", Store).ExitCode);
        // Held here for the whole run (once another test's worker has let it go): a worker that waited for this machine's CPU would never start.
        Latnas.Result[] workers;
        using (await HoldHostCpuLock())
        {
            workers = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ =>
                Task.Run(() => Latnas.Run("worker", "--device", device, "--chunk", "4", "--store", Store))));
        }

        Assert.All(workers, run => Assert.True(run.ExitCode == 0, run.ToString()));
        Assert.Equal(12, workers.Sum(run => int.Parse(System.Text.RegularExpressions.Regex.Match(run.Stdout, @"(\d+) measured").Groups[1].Value)));
        Assert.Equal(12, Scalar("SELECT count(*) FROM measurements WHERE status = 'ok'"));
        Assert.Equal(0, Scalar("SELECT count(*) FROM claims"));
    }

    private static async Task<FileStream> HoldHostCpuLock()
    {
        string path = Path.Combine(Path.GetTempPath(), "latnas-host-cpu.lock");
        var waited = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (waited.Elapsed < TimeSpan.FromMinutes(2))
            {
                await Task.Delay(100); // a worker of another test is timing on this machine
            }
        }
    }

    private string Descriptor(string name, int timeoutSeconds, params int[] ports)
    {
        string path = Path.Combine(_directory, name + ".json");
        string endpoints = string.Join(", ", ports.Select(p => $"\"http://127.0.0.1:{p}\""));
        File.WriteAllText(path, $$"""
            { "name": "{{name}}", "runtime": "remote", "threads": 1, "protocol": {{TestDevices.Protocol(batch: 2)}},
              "remote": { "endpoints": [{{endpoints}}], "token_file": "{{TokenFile}}", "timeout_seconds": {{timeoutSeconds}} } }
            """);
        return path;
    }

    private Process StartAgent(int port, string name, params string[] options)
    {
        var agent = StartLatnas(["agent", "--urls", $"http://127.0.0.1:{port}", "--token-file", TokenFile, "--name", name, .. options]);
        using var http = new HttpClient();
        WaitFor(() =>
        {
            try
            {
                return http.GetAsync($"http://127.0.0.1:{port}/healthz").Result.IsSuccessStatusCode;
            }
            catch (AggregateException)
            {
                if (agent.HasExited)
                {
                    Assert.Fail($"the agent exited: {ErrorsOf(agent)}");
                }
                return false;
            }
        }, "the agent to answer");
        return agent;
    }

    /// <summary>Starts latnas with both outputs drained as it runs: a pipe nobody reads fills up and stops the process when it next writes.</summary>
    private Process StartLatnas(string[] arguments)
    {
        var process = Process.Start(Latnas.StartInfo(arguments))!;
        _processes.Add(process);
        var errors = new StringBuilder();
        _errors[process] = errors;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, line) =>
        {
            lock (errors)
            {
                errors.AppendLine(line.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private string ErrorsOf(Process process)
    {
        process.WaitForExit(); // after the exit, waits until the asynchronous reads have drained both pipes
        var errors = _errors[process];
        lock (errors)
        {
            return errors.ToString();
        }
    }

    private long Scalar(string sql)
    {
        using var connection = new SqliteConnection($"Data Source={Store};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (long)command.ExecuteScalar()!;
    }

    private static void WaitFor(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromMinutes(2), $"timed out waiting for {what}");
            Thread.Sleep(25);
        }
    }

    private static void Signal(Process process, string signal)
    {
        using var kill = Process.Start("kill", $"-{signal} {process.Id}");
        kill.WaitForExit();
    }

    private static void Resume(Process process)
    {
        if (!process.HasExited)
        {
            Signal(process, "CONT");
        }
    }

}
