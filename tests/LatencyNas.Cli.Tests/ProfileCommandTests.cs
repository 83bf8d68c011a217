using System.Diagnostics;
using LatencyNas.Tests;
using Microsoft.Data.Sqlite;

namespace LatencyNas.Cli.Tests;

public sealed class ProfileCommandTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("latnas-profile-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private string Store => Path.Combine(_directory, "latnas.db");

    private static long Count(string store, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={store};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (long)command.ExecuteScalar()!;
    }

    /// <summary>Two profiles started together on a new store used to die on "UNIQUE constraint failed: devices.name" or measure everything twice.</summary>
    [Fact]
    public async Task Two_profiles_started_together_on_a_new_store_share_the_work()
    {
        string device = TestDevices.Local(_directory, batch: 2);
        string[] arguments = ["profile", "--device", device, "--count", "12", "--seed", "9", "--store", Store];
        var runs = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => Task.Run(() => Latnas.Run(arguments))));

        Assert.All(runs, run => Assert.True(run.ExitCode == 0, run.ToString()));
        int measured = runs.Sum(run => int.Parse(System.Text.RegularExpressions.Regex.Match(run.Stdout, @"(\d+) measured").Groups[1].Value));
        Assert.Equal(12, measured); // every architecture by exactly one of them
        Assert.Equal(12, Count(Store, "SELECT count(*) FROM measurements WHERE status = 'ok'"));
        Assert.Equal(0, Count(Store, "SELECT count(*) FROM claims")); // released
    }

    [Fact]
    public void Profile_killed_mid_run_resumes_and_measures_every_architecture_exactly_once()
    {
        // Batches of 3: a batch's outcomes are committed together, so a kill leaves whole batches behind.
        string[] arguments = ["profile", "--device", TestDevices.Local(_directory), "--space", "nb201", "--count", "14", "--seed", "5", "--store", Store];
        using (var victim = Process.Start(Latnas.StartInfo(arguments))!)
        {
            _ = victim.StandardOutput.ReadToEndAsync();
            _ = victim.StandardError.ReadToEndAsync();
            var waited = Stopwatch.StartNew();
            while (!(File.Exists(Store) && Count(Store, "SELECT count(*) FROM sqlite_master WHERE name = 'measurements'") == 1
                     && Count(Store, "SELECT count(*) FROM measurements") >= 4))
            {
                Assert.False(victim.HasExited, "the profile finished before it could be killed");
                Assert.True(waited.Elapsed < TimeSpan.FromMinutes(2), "no measurement was committed within 2 minutes");
                Thread.Sleep(20);
            }
            victim.Kill(); // SIGKILL: no chance to clean up
            victim.WaitForExit();
        }
        long before = Count(Store, "SELECT count(*) FROM measurements");
        Assert.InRange(before, 4, 13);
        Assert.Equal(0, before % 3); // no batch was half committed
        Assert.Equal(before, Count(Store, "SELECT count(DISTINCT measurement_id) FROM visits")); // and each with its visits
        using (var connection = new SqliteConnection($"Data Source={Store};Mode=ReadOnly;Pooling=False"))
        {
            connection.Open();
            using var check = connection.CreateCommand();
            check.CommandText = "PRAGMA integrity_check;";
            Assert.Equal("ok", check.ExecuteScalar());
        }

        var resumed = Latnas.Run(arguments);
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Contains($"{before} already stored", resumed.Stdout);
        Assert.Matches(@"batches measured for \d+\.\d s, the rest building, loading and storing", resumed.Stdout);

        string[] expected = Latnas.Run("space", "sample", "--count", "14", "--seed", "5", "--format", "ops").Stdout
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(14, Count(Store, "SELECT count(*) FROM measurements WHERE status = 'ok'"));
        Assert.Equal(14, Count(Store, "SELECT count(DISTINCT architecture_id) FROM measurements"));
        foreach (string digits in expected)
        {
            Assert.Equal(1, Count(Store, $"SELECT count(*) FROM measurements m JOIN architectures a ON a.id = m.architecture_id WHERE a.digits = '{digits}'"));
        }
    }

    [Fact]
    public void Cuda_device_on_this_machine_exits_2_naming_the_gpu_package()
    {
        var result = Latnas.Run(["profile", "--device", "ort-cuda0", "--count", "2", "--store", Store]);
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("Microsoft.ML.OnnxRuntime.Gpu", result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr);

        var torch = Latnas.Run(["profile", "--device", "torch-cuda0", "--count", "2", "--store", Store]);
        Assert.True(torch.ExitCode == 2, torch.ToString());
        Assert.Contains("libtorch-cuda", torch.Stderr);
    }

    [Fact]
    public void Malformed_device_file_exits_2_naming_every_bad_field()
    {
        string descriptor = Path.Combine(_directory, "bad.json");
        File.WriteAllText(descriptor, """{ "name": "bad", "runtime": "onnxruntime", "threads": 0, "batch": "one" }""");
        var result = Latnas.Run(["profile", "--device", descriptor, "--count", "2", "--store", Store]);
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("threads", result.Stderr);
        Assert.Contains("batch", result.Stderr);
        Assert.Single(result.Stderr.Trim().Split('\n'));
        Assert.False(File.Exists(Store));
    }

    [Fact]
    public void A_device_measured_with_warm_visits_is_not_continued_with_cold_ones_and_says_how_to_continue()
    {
        string cold = TestDevices.Local(_directory);
        string warm = Path.Combine(_directory, "warm", "ort-cpu-1t.json");
        Directory.CreateDirectory(Path.GetDirectoryName(warm)!);
        File.WriteAllText(warm, File.ReadAllText(cold).Replace("\"min_rounds\": 3", "\"runs_per_visit\": 2, \"min_rounds\": 3"));
        var first = Latnas.Run(["profile", "--device", warm, "--count", "2", "--seed", "4", "--store", Store]);
        Assert.True(first.ExitCode == 0, first.ToString());

        var refused = Latnas.Run(["profile", "--device", cold, "--count", "3", "--seed", "4", "--store", Store]);
        Assert.True(refused.ExitCode == 2, refused.ToString());
        Assert.Single(refused.Stderr.Trim().Split('\n'));
        Assert.Contains("holds 2 nb201 measurements estimated as fastest-visit", refused.Stderr);
        Assert.Contains("\"runs_per_visit\": 2", refused.Stderr);
        Assert.Equal(2, Count(Store, "SELECT count(*) FROM measurements"));
        Assert.Equal(2, Count(Store, "SELECT count(*) FROM measurements WHERE estimator = 'fastest-visit'"));
    }

    [Fact]
    public void Profile_from_an_architecture_file_then_export_and_list()
    {
        string archs = Path.Combine(_directory, "archs.txt");
        // Three forms: the NB201 index of 333333 (a '#' before a digit is an index, before anything else a comment), the arch string of 111111.
        File.WriteAllText(archs, "# two networks\n#1462 #is 333333\n|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|skip_connect~1|skip_connect~2|\n");
        var profile = Latnas.Run(["profile", "--device", TestDevices.Local(_directory), "--archs", archs, "--store", Store]);
        Assert.True(profile.ExitCode == 0, profile.ToString());
        Assert.Matches(@"precision met for 0 of 2; 0\.0 ?% of the visits were contended", profile.Stdout); // the test device counts no visit as contended
        Assert.Contains("2 estimates claim no precision: their batch stored the device's reference architectures", profile.Stdout); // the device's first batch

        string csv = Path.Combine(_directory, "out.csv");
        var export = Latnas.Run("profiles", "export", "--device", "ort-cpu-1t", "--out", csv, "--store", Store);
        Assert.True(export.ExitCode == 0, export.ToString());
        string[] lines = File.ReadAllLines(csv);
        Assert.Equal(3, lines.Length);
        Assert.StartsWith("space,arch,ops,index,session,status,latency_ms,protocol,estimator", lines[0]);
        Assert.All(lines.Skip(1), l => Assert.Contains(",interleaved,fastest-cold-visit,", l));
        Assert.Contains(lines, l => l.Contains(",111111,1835,1,ok,"));
        Assert.Contains(lines, l => l.Contains(",333333,1462,1,ok,"));

        var list = Latnas.Run("devices", "list", "--store", Store, "--json");
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains("\"measured\": 2", list.Stdout);
    }

    [Fact]
    public void Import_turns_each_column_into_a_table_device()
    {
        var import = Latnas.Run("import", "--csv", SharedData.File("nb201_help_latency_ms.csv"), "--space", "nb201", "--arch-column", "arch",
            "--columns", "pixel3,raspi4,eyeriss", "--prefix", "help:", "--store", Store);
        Assert.True(import.ExitCode == 0, import.ToString());
        Assert.Contains("imported 3 devices", import.Stdout);
        var list = Latnas.Run("devices", "list", "--store", Store);
        Assert.Contains("help:raspi4", list.Stdout);
        Assert.Contains("15,625", list.Stdout);

        var missing = Latnas.Run("import", "--csv", Path.Combine(_directory, "none.csv"), "--store", Store);
        Assert.Equal(2, missing.ExitCode);
        var badColumn = Latnas.Run("import", "--csv", SharedData.File("nb201_help_latency_ms.csv"), "--columns", "pixel99", "--store", Store);
        Assert.Equal(2, badColumn.ExitCode);
        Assert.Contains("pixel99", badColumn.Stderr);
    }

    [Fact]
    public void Reading_a_store_that_does_not_exist_exits_2()
    {
        var result = Latnas.Run("devices", "list", "--store", Path.Combine(_directory, "nothing.db"));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("No profile store", result.Stderr);
        var export = Latnas.Run("profiles", "export", "--device", "x", "--out", Path.Combine(_directory, "x.csv"), "--store", Path.Combine(_directory, "nothing.db"));
        Assert.Equal(2, export.ExitCode);
    }

    [Fact]
    public void Unknown_selection_combination_exits_2()
    {
        var result = Latnas.Run("profile", "--count", "3", "--all", "--store", Store);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("only one of", result.Stderr);
    }

    [Fact]
    public void The_store_comes_from_the_flag_else_from_LATNAS_STORE()
    {
        string fromEnvironment = Path.Combine(_directory, "env", "latnas.db");
        string csv = Path.Combine(_directory, "t.csv");
        File.WriteAllText(csv, "arch,dev\n333333,2.5\n111111,0.5\n");
        var import = Latnas.RunWith(("LATNAS_STORE", fromEnvironment), "import", "--csv", csv);
        Assert.True(import.ExitCode == 0, import.ToString());
        Assert.True(File.Exists(fromEnvironment));

        var listed = Latnas.RunWith(("LATNAS_STORE", fromEnvironment), "devices", "list", "--json");
        Assert.Contains("\"name\": \"dev\"", listed.Stdout);
        var flagWins = Latnas.RunWith(("LATNAS_STORE", fromEnvironment), "devices", "list", "--store", Path.Combine(_directory, "other.db"));
        Assert.Equal(2, flagWins.ExitCode);
        Assert.Contains("other.db", flagWins.Stderr);

        // A suggested command carries the store it was given.
        var predict = Latnas.Run("predict", "--device", "dev", "--arch", "333333", "--store", fromEnvironment);
        Assert.Equal(2, predict.ExitCode);
        Assert.Contains($"latnas train --device dev --store {fromEnvironment}", predict.Stderr);
    }

    [Fact]
    public void A_file_that_is_not_a_store_is_one_line_and_exit_2()
    {
        string notes = Path.Combine(_directory, "notes.db");
        File.WriteAllText(notes, "these are notes, not a profile store " + new string('.', 4000));
        var result = Latnas.Run("devices", "list", "--store", notes);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("not a LatencyNas profile store", Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
    }
}
