using System.Diagnostics;
using System.Globalization;
using LatencyNas.Tests;
using Xunit.Abstractions;

namespace LatencyNas.Cli.Tests;

/// <summary>
/// A fleet's faults with real processes: four sleep devices with two workers each on one PostgreSQL server;
/// three workers killed mid-run and others started; the server stopped mid-run and started again. What
/// was measured is counted by the sleep device's calls, not by stored rows (a unique key keeps those unique anyway).
/// The outage lasts 6 s here; <c>LATNAS_FLEET_OUTAGE_SECONDS</c> sets another (the README's run: 20).
/// </summary>
public sealed class FleetFaultTests(ITestOutputHelper output) : IDisposable
{
    private const int Devices = 4, ArchitecturesPerDevice = 60, Batch = 3;
    private readonly TempDirectory _directory = new();
    private readonly List<Worker> _started = [];

    public void Dispose()
    {
        foreach (var worker in _started)
        {
            worker.Dispose();
        }
        _directory.Dispose();
    }

    [SkippableFact]
    public void Postgres_a_fleet_survives_three_kills_and_an_outage_measuring_again_only_the_killed_workers_batches()
    {
        double outageSeconds = double.TryParse(Environment.GetEnvironmentVariable("LATNAS_FLEET_OUTAGE_SECONDS"), CultureInfo.InvariantCulture, out double given) ? given : 6;
        using var cluster = PostgresCluster.Start();
        cluster.CreateDatabase("fleet");
        string store = $"postgresql://latnas@127.0.0.1:{cluster.Port}/fleet";
        var devices = Enumerable.Range(0, Devices).Select(i => Device((char)('a' + i))).ToList();
        foreach (var (device, index) in devices.Select((d, i) => (d, i)))
        {
            var add = Latnas.Run("queue", "add", "--device", device.File, "--count", $"{ArchitecturesPerDevice}", "--seed", $"{index + 1}", "--store", store);
            Assert.True(add.ExitCode == 0, add.ToString());
        }
        long Count(string sql)
        {
            using var connection = new Npgsql.NpgsqlConnection(cluster.ConnectionString("fleet"));
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
        }
        int total = Devices * ArchitecturesPerDevice;
        var clock = Stopwatch.StartNew();
        void WaitFor(Func<bool> condition, string what)
        {
            var waited = Stopwatch.StartNew();
            while (!condition())
            {
                Assert.True(waited.Elapsed < TimeSpan.FromMinutes(3), $"{what} did not happen within 3 minutes");
                Thread.Sleep(20);
            }
        }

        var workers = devices.SelectMany(d => new[] { Start(d, store), Start(d, store) }).ToList();
        WaitFor(() => Count("SELECT count(*) FROM measurements") >= total / 5, "a fifth of the work");
        // Three workers of three devices, each holding claims of a batch being measured: killed, and others started in their place.
        var victims = workers.Where(w => !w.Process.HasExited).GroupBy(w => w.Device).Take(3).Select(g => g.First()).ToList();
        Assert.Equal(3, victims.Count);
        var killedAt = DateTimeOffset.UtcNow;
        foreach (var victim in victims)
        {
            victim.Process.Kill();
            victim.Process.WaitForExit();
        }
        var replacements = victims.Select(v => Start(v.Device, store)).ToList();
        workers.AddRange(replacements);
        // A worker that cannot reach the server when it starts exits 1 after its retries; once working, it rides out an outage.
        // (One that found its device's rest claimed by the other worker may have exited 0 with nothing to do.)
        WaitFor(() => replacements.All(r => r.Process.HasExited || File.Exists(Path.Combine(r.Device.CallLog, $"{r.Process.Id}.calls"))),
            "the replacements' first measurements");

        WaitFor(() => Count("SELECT count(*) FROM measurements") >= total / 2, "half of the work");
        int runningAtOutage = workers.Count(w => !victims.Contains(w) && !w.Process.HasExited);
        cluster.Stop();
        Thread.Sleep(TimeSpan.FromSeconds(outageSeconds)); // the workers measure on, and their commits and claims meet a closed server
        cluster.Resume();

        var survivors = workers.Where(w => !victims.Contains(w)).ToList();
        var runs = survivors.Select(w => w.Finish(TimeSpan.FromMinutes(4))).ToList();
        double elapsed = clock.Elapsed.TotalSeconds;
        Assert.All(runs, run => Assert.True(run.ExitCode == 0, run.ToString()));
        Assert.True(runningAtOutage >= 4, $"only {runningAtOutage} workers were running when the server stopped: the outage came too late to test anything");
        Assert.Equal((long)total, Count("SELECT count(*) FROM measurements WHERE status = 'ok'"));
        Assert.Equal(0L, Count("SELECT count(*) FROM claims"));

        // Counted by the runner's calls: every architecture measured, at most once by the workers that lived, and more
        // than once only when a killed worker had started it without committing it — within its last batch.
        var victimIds = victims.Select(v => v.Process.Id).ToHashSet();
        int again = 0;
        var takeovers = new List<double>();
        foreach (var device in devices)
        {
            var calls = Directory.GetFiles(device.CallLog, "*.calls").SelectMany(file => File.ReadAllLines(file).Select(line => line.Split(' ')).Select(f =>
                (Pid: int.Parse(Path.GetFileNameWithoutExtension(file), CultureInfo.InvariantCulture), At: DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(f[0], CultureInfo.InvariantCulture)), Digits: f[2])))
                .ToList();
            Assert.Equal(ArchitecturesPerDevice, calls.Select(c => c.Digits).Distinct().Count());
            foreach (var byArchitecture in calls.GroupBy(c => c.Digits))
            {
                Assert.True(byArchitecture.Count(c => !victimIds.Contains(c.Pid)) <= 1,
                    $"{device.Name} {byArchitecture.Key} was measured {byArchitecture.Count(c => !victimIds.Contains(c.Pid))} times by workers that were not killed");
            }
            foreach (var victim in calls.Where(c => victimIds.Contains(c.Pid)).GroupBy(c => c.Pid))
            {
                var lastBatch = victim.OrderBy(c => c.At).TakeLast(Batch).Select(c => c.Digits).ToHashSet();
                var measuredAgain = victim.Where(v => calls.Any(c => c.Pid != victim.Key && c.Digits == v.Digits)).ToList();
                Assert.All(measuredAgain, c => Assert.Contains(c.Digits, lastBatch));
                again += measuredAgain.Count;
                takeovers.AddRange(measuredAgain.Select(v => (calls.Where(c => c.Pid != victim.Key && c.Digits == v.Digits).Min(c => c.At) - killedAt).TotalSeconds));
            }
        }
        double lease = Profiling.Profiler.ClaimLease.TotalSeconds;
        Assert.All(takeovers, seconds => Assert.InRange(seconds, 0, lease));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{Devices} devices x 2 workers, {total} architectures, 3 killed, outage {outageSeconds} s with {runningAtOutage} workers running: " +
            $"{runs.Count} workers exited 0, {total} measured, {again} measured again (killed batches), " +
            $"takeover after {(takeovers.Count > 0 ? $"{takeovers.Min():F1}-{takeovers.Max():F1}" : "-")} s (lease {lease} s), {elapsed:F0} s in all"));
    }

    private Worker Start(SleepDevice device, string store)
    {
        var worker = new Worker(device, Process.Start(Latnas.StartInfo("worker", "--device", device.File, "--chunk", "6", "--store", store))!);
        _started.Add(worker);
        return worker;
    }

    private sealed record SleepDevice(string Name, string File, string CallLog);

    private SleepDevice Device(char letter)
    {
        string name = $"fleet-{letter}";
        string callLog = Path.Combine(_directory.Path, name + ".calls");
        string file = Path.Combine(_directory.Path, name + ".json");
        File.WriteAllText(file, $$"""
            { "name": "{{name}}", "runtime": "sleep", "sleep": { "ms": 200, "ms_per_choice": 5, "call_log": "{{callLog}}" },
              "protocol": { "architectures_per_batch": {{Batch}}, "reference_architectures": 0 } }
            """);
        return new SleepDevice(name, file, callLog);
    }

    /// <summary>A worker process; killed if the test ends before it does.</summary>
    private sealed class Worker : IDisposable
    {
        private readonly Task<string> _stdout, _stderr;

        public Worker(SleepDevice device, Process process)
        {
            Device = device;
            Process = process;
            _stdout = process.StandardOutput.ReadToEndAsync();
            _stderr = process.StandardError.ReadToEndAsync();
        }

        public SleepDevice Device { get; }

        public Process Process { get; }

        public Latnas.Result Finish(TimeSpan within)
        {
            if (!Process.WaitForExit(within))
            {
                Process.Kill();
                Assert.Fail($"a worker of {Device.Name} did not finish within {within.TotalMinutes} minutes");
            }
            return new Latnas.Result(Process.ExitCode, _stdout.Result, _stderr.Result);
        }

        public void Dispose()
        {
            if (!Process.HasExited)
            {
                Process.Kill();
            }
            Process.Dispose();
        }
    }
}
