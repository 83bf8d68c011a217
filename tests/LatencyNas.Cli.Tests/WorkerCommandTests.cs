using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using LatencyNas.Tests;

namespace LatencyNas.Cli.Tests;

/// <summary>Queued work measured by worker processes: shared without measuring anything twice, and taken over from a killed worker.</summary>
public sealed class WorkerCommandTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private static int Measured(Latnas.Result run) => int.Parse(Regex.Match(run.Stdout, @"(\d+) measured").Groups[1].Value);

    [SkippableTheory]
    [MemberData(nameof(TestStore.Backends), MemberType = typeof(TestStore))]
    public async Task Two_workers_share_a_queue_measure_each_architecture_once_and_exit_0(string backend)
    {
        using var at = TestStore.Create(backend);
        string device = TestDevices.Local(_directory.Path, batch: 2);
        var add = Latnas.Run("queue", "add", "--device", device, "--count", "12", "--seed", "8", "--store", at.Location);
        Assert.True(add.ExitCode == 0, add.ToString());
        Assert.Contains("queued 12 of 12", add.Stdout);

        var workers = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ =>
            Task.Run(() => Latnas.Run("worker", "--device", device, "--chunk", "4", "--store", at.Location))));

        Assert.All(workers, run => Assert.True(run.ExitCode == 0, run.ToString()));
        Assert.Equal(12, workers.Sum(Measured)); // by one worker or the other, never both
        Assert.Equal(12L, Convert.ToInt64(at.Scalar("SELECT count(*) FROM measurements WHERE status = 'ok'")));
        Assert.Equal(0L, Convert.ToInt64(at.Scalar("SELECT count(*) FROM claims")));
        var status = JsonDocument.Parse(Latnas.Run("queue", "status", "--json", "--store", at.Location).Stdout).RootElement.GetProperty("rows")[0];
        Assert.Equal((12, 12, 0), (status.GetProperty("queued").GetInt32(), status.GetProperty("done").GetInt32(), status.GetProperty("left").GetInt32()));

        var idle = Latnas.Run("worker", "--device", device, "--store", at.Location);
        Assert.True(idle.ExitCode == 0, idle.ToString());
        Assert.Equal(0, Measured(idle));
    }

    [SkippableFact]
    public void Postgres_a_killed_workers_claims_are_taken_over_and_nothing_it_committed_is_measured_again()
    {
        using var at = TestStore.Create("postgres");
        string device = TestDevices.Local(_directory.Path, batch: 3);
        Assert.Equal(0, Latnas.Run("queue", "add", "--device", device, "--count", "14", "--seed", "5", "--store", at.Location).ExitCode);
        string[] worker = ["worker", "--device", device, "--store", at.Location];
        long committed;
        using (var victim = Process.Start(Latnas.StartInfo(worker))!)
        {
            _ = victim.StandardOutput.ReadToEndAsync();
            _ = victim.StandardError.ReadToEndAsync();
            var waited = Stopwatch.StartNew();
            while (Convert.ToInt64(at.Scalar("SELECT count(*) FROM measurements")) < 3)
            {
                Assert.False(victim.HasExited, "the worker finished before it could be killed");
                Assert.True(waited.Elapsed < TimeSpan.FromMinutes(2), "no batch was committed within 2 minutes");
                Thread.Sleep(20);
            }
            victim.Kill(); // SIGKILL: its claims stay behind
            victim.WaitForExit();
            committed = Convert.ToInt64(at.Scalar("SELECT count(*) FROM measurements"));
        }
        Assert.InRange(committed, 3, 13);

        var successor = Latnas.Run(worker);

        Assert.True(successor.ExitCode == 0, successor.ToString());
        Assert.Equal(14 - committed, Measured(successor)); // the killed worker's unfinished batch, and the rest; nothing it committed
        Assert.Equal(14L, Convert.ToInt64(at.Scalar("SELECT count(*) FROM measurements WHERE status = 'ok'")));
        Assert.Equal(0L, Convert.ToInt64(at.Scalar("SELECT count(*) FROM claims")));
    }

    [SkippableFact]
    public void Postgres_a_worker_rides_out_a_server_outage_and_exits_0_with_everything_measured_once()
    {
        using var cluster = PostgresCluster.Start();
        cluster.CreateDatabase("outage");
        string store = $"postgresql://latnas@127.0.0.1:{cluster.Port}/outage";
        string device = TestDevices.Local(_directory.Path, batch: 2);
        Assert.Equal(0, Latnas.Run("queue", "add", "--device", device, "--count", "12", "--seed", "6", "--store", store).ExitCode);
        long Count(string sql)
        {
            using var connection = new Npgsql.NpgsqlConnection(cluster.ConnectionString("outage"));
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            return Convert.ToInt64(command.ExecuteScalar());
        }

        using var worker = Process.Start(Latnas.StartInfo("worker", "--device", device, "--chunk", "4", "--store", store))!;
        var stdout = worker.StandardOutput.ReadToEndAsync();
        var stderr = worker.StandardError.ReadToEndAsync();
        var waited = Stopwatch.StartNew();
        while (Count("SELECT count(*) FROM measurements") < 2)
        {
            Assert.False(worker.HasExited, "the worker finished before the outage");
            Assert.True(waited.Elapsed < TimeSpan.FromMinutes(2), "no batch was committed within 2 minutes");
            Thread.Sleep(20);
        }
        cluster.Stop();
        Thread.Sleep(TimeSpan.FromSeconds(6)); // the worker measures on, and its commits meet a closed server
        Assert.False(worker.HasExited, "the worker gave up during the outage");
        cluster.Resume();

        Assert.True(worker.WaitForExit(TimeSpan.FromMinutes(3)), "the worker did not finish within 3 minutes of the outage");
        var run = new Latnas.Result(worker.ExitCode, stdout.Result, stderr.Result);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(12, Measured(run));
        Assert.Equal(12L, Count("SELECT count(*) FROM measurements WHERE status = 'ok'"));
        Assert.Equal(0L, Count("SELECT count(*) FROM claims"));
    }

    [SkippableFact]
    public void Postgres_a_worker_stopped_with_ctrl_c_releases_its_claims_at_once_and_exits_1()
    {
        using var at = TestStore.Create("postgres");
        string device = TestDevices.Local(_directory.Path, batch: 3);
        Assert.Equal(0, Latnas.Run("queue", "add", "--device", device, "--count", "30", "--seed", "4", "--store", at.Location).ExitCode);
        using var worker = Process.Start(Latnas.InterruptibleStartInfo("worker", "--device", device, "--store", at.Location))!;
        var stdout = worker.StandardOutput.ReadToEndAsync();
        var stderr = worker.StandardError.ReadToEndAsync();
        var waited = Stopwatch.StartNew();
        // Mid-run: a batch committed, and the next one claimed (a worker of another machine could not tell this one is gone).
        while (Convert.ToInt64(at.Scalar("SELECT count(*) FROM measurements")) < 3 || Convert.ToInt64(at.Scalar("SELECT count(*) FROM claims")) == 0)
        {
            Assert.False(worker.HasExited, "the worker finished before it could be stopped");
            Assert.True(waited.Elapsed < TimeSpan.FromMinutes(2), "no batch was committed within 2 minutes");
            Thread.Sleep(20);
        }

        using (var interrupt = Process.Start("kill", ["-INT", worker.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            interrupt.WaitForExit();
        }
        Assert.True(worker.WaitForExit(TimeSpan.FromSeconds(30)), "the worker did not stop within 30 s of Ctrl-C");

        var run = new Latnas.Result(worker.ExitCode, stdout.Result, stderr.Result);
        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains("worker cancelled; start it again to continue", run.Stderr);
        Assert.Equal(0L, Convert.ToInt64(at.Scalar("SELECT count(*) FROM claims"))); // released, not left to lapse
        Assert.True(Convert.ToInt64(at.Scalar("SELECT count(*) FROM measurements")) < 30);
    }

    [Fact]
    public void A_worker_refuses_a_device_the_store_knows_measured_with_another_fingerprint()
    {
        string store = _directory.File("latnas.db");
        string twoThreads = Path.Combine(_directory.Path, "two-threads.json");
        File.WriteAllText(twoThreads, $$"""{ "name": "ort-cpu-1t", "runtime": "onnxruntime", "threads": 2, "protocol": {{TestDevices.Protocol(3)}} }""");
        Assert.Equal(0, Latnas.Run("profile", "--device", twoThreads, "--count", "1", "--store", store).ExitCode);
        string oneThread = TestDevices.Local(_directory.Path);
        Assert.Equal(0, Latnas.Run("queue", "add", "--device", oneThread, "--count", "3", "--store", store).ExitCode);

        var run = Latnas.Run("worker", "--device", oneThread, "--store", store);

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains("different fingerprint", run.Stderr);
        Assert.DoesNotContain("   at ", run.Stderr);
    }
}
