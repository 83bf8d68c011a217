using System.Text.Json;
using LatencyNas.Tests;

namespace LatencyNas.Cli.Tests;

/// <summary>The commands on a store on a PostgreSQL server: the same flow as on a file, a login that never shows, and the exit codes of a bad or absent server.</summary>
public sealed class ServerStoreCommandTests : IDisposable
{
    private const string Password = "s3cret-pw";
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [SkippableFact]
    public void Postgres_import_profile_train_predict_and_analyse_on_a_server_store_never_showing_its_password()
    {
        using var at = TestStore.Create("postgres");
        // The test server trusts loopback logins, so the password is never checked: it is here to be hidden.
        string store = at.Location.Replace("@", $":{Password}@", StringComparison.Ordinal);
        var runs = new List<Latnas.Result>();
        Latnas.Result Run(params string[] arguments)
        {
            var run = Latnas.Run([.. arguments, "--store", store]);
            runs.Add(run);
            Assert.True(run.ExitCode == 0, run.ToString());
            return run;
        }

        Run("import", "--csv", SharedData.File("nb201_help_latency_ms.csv"), "--columns", "pixel3,raspi4");
        Run("profile", "--device", TestDevices.Local(_directory.Path), "--count", "6", "--seed", "3");
        var devices = JsonDocument.Parse(Run("devices", "list", "--json").Stdout).RootElement;
        var measured = devices.GetProperty("devices").EnumerateArray().ToDictionary(d => d.GetProperty("name").GetString()!, d => d.GetProperty("measured").GetInt32());
        Assert.Equal(15_625, measured["pixel3"]);
        Assert.Equal(6, measured["ort-cpu-1t"]);

        var trained = Run("train", "--device", "raspi4", "--model", "fasttree", "--train-size", "500");
        Assert.Contains("as predictors/nb201/raspi4/fasttree.predictor", trained.Stdout);

        // Another machine: an empty temporary folder, so the predictor can only come from the database.
        var elsewhere = Latnas.RunWith(("TMPDIR", _directory.File("")), "predict", "--device", "raspi4", "--arch", "333333", "--json", "--store", store);
        runs.Add(elsewhere);
        Assert.True(elsewhere.ExitCode == 0, elsewhere.ToString());
        double predicted = JsonDocument.Parse(elsewhere.Stdout).RootElement.GetProperty("predictions")[0].GetProperty("predicted_ms").GetDouble();
        double truth = SharedData.Number(SharedData.ReadCsv("nb201_help_latency_ms.csv").First(r => r["ops"] == "333333")["raspi4"]);
        Assert.InRange(predicted / truth, 0.7, 1.3);

        // The same analysis on a file store with the same table gives the same numbers.
        double onServer = JsonDocument.Parse(Run("monotonicity", "--devices", "pixel3,raspi4", "--json").Stdout).RootElement.GetProperty("srcc")[0][1].GetDouble();
        string file = _directory.File("file.db");
        Assert.Equal(0, Latnas.Run("import", "--csv", SharedData.File("nb201_help_latency_ms.csv"), "--columns", "pixel3,raspi4", "--store", file).ExitCode);
        var onFile = Latnas.Run("monotonicity", "--devices", "pixel3,raspi4", "--json", "--store", file);
        Assert.Equal(JsonDocument.Parse(onFile.Stdout).RootElement.GetProperty("srcc")[0][1].GetDouble(), onServer, 12);
        Assert.InRange(onServer, 0.5, 0.99);
        Assert.Contains("raspi4", Run("predictors", "list").Stdout);

        Assert.All(runs, run => Assert.DoesNotContain(Password, run.Stdout + run.Stderr));
        Assert.Contains(runs, run => run.Stdout.Contains(at.Location.Split('@')[1], StringComparison.Ordinal)); // the server is named, without the password
    }

    [SkippableFact]
    public void Postgres_a_refused_login_is_bad_input_and_an_absent_server_a_failed_run()
    {
        var server = TestStore.Server();
        var refused = Latnas.Run("devices", "list", "--store", $"postgresql://nobody_here:{Password}@{server.Host}:{server.Port}/postgres");
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("refused the login", refused.Stderr);
        Assert.DoesNotContain(Password, refused.Stderr + refused.Stdout);
        Assert.Single(refused.Stderr.Trim().Split('\n'));

        var absent = Latnas.Run("devices", "list", "--store", $"postgresql://latnas:{Password}@127.0.0.1:1/profiles");
        Assert.Equal(1, absent.ExitCode);
        Assert.Contains("Cannot reach the PostgreSQL server", absent.Stderr);
        Assert.DoesNotContain(Password, absent.Stderr + absent.Stdout);
    }
}
