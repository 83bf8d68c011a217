using System.Text.Json;
using System.Text.RegularExpressions;
using LatencyNas.Tests;
using Microsoft.Data.Sqlite;

namespace LatencyNas.Cli.Tests;

/// <summary>The prediction, monotonicity, Pareto, report and search verbs on a store filled from the shared real data.</summary>
public sealed class AnalysisStore : IDisposable
{
    public AnalysisStore()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("latnas-cli-analysis-").FullName;
        Store = Path.Combine(Directory, "profiles", "latnas.db");
        var devices = Latnas.Run("import", "--csv", SharedData.File("nb201_help_latency_ms.csv"), "--columns", "pixel3,raspi4,eyeriss,fpga,gold_6226", "--store", Store);
        if (devices.ExitCode != 0) throw new InvalidOperationException(devices.ToString());
        var accuracy = Latnas.Run("import", "--csv", SharedData.File("nb201_accuracy.csv"), "--objectives", "cifar10_test_acc", "--store", Store);
        if (accuracy.ExitCode != 0) throw new InvalidOperationException(accuracy.ToString());
    }

    public string Directory { get; }

    public string Store { get; }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}

public sealed class AnalysisCommandTests(AnalysisStore fixture) : IClassFixture<AnalysisStore>
{
    private string Store => fixture.Store;

    [Fact]
    public void Show_prints_one_architecture_by_its_index_and_refuses_an_unknown_one()
    {
        var show = Latnas.Run("show", "#1462", "--json", "--store", Store);
        Assert.True(show.ExitCode == 0, show.ToString());
        using var json = JsonDocument.Parse(show.Stdout);
        Assert.Equal("333333", json.RootElement.GetProperty("architecture").GetProperty("ops").GetString());
        var pixel3 = json.RootElement.GetProperty("devices").EnumerateArray().Single(d => d.GetProperty("device").GetString() == "pixel3");
        Assert.Equal(SharedData.Number(SharedData.ReadCsv("nb201_help_latency_ms.csv").Single(r => r["ops"] == "333333")["pixel3"]),
            pixel3.GetProperty("measured_ms").GetDouble(), 9);

        var text = Latnas.Run("show", "333333", "--store", Store);
        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.Contains("index         #1462", text.Stdout);
        Assert.Contains("objective     cifar10_test_acc", text.Stdout);

        var unknown = Latnas.Run("show", "999999", "--store", Store);
        Assert.True(unknown.ExitCode == 2, unknown.ToString());
        Assert.Single(unknown.Stderr.Trim().Split('\n'));
    }

    [Fact]
    public void Train_then_predict_with_the_saved_predictor()
    {
        var train = Latnas.Run("train", "--device", "gold_6226", "--model", "lightgbm", "--train-size", "500", "--seed", "1", "--json", "--store", Store);
        Assert.True(train.ExitCode == 0, train.ToString());
        using var json = JsonDocument.Parse(train.Stdout);
        var evaluation = json.RootElement.GetProperty("evaluation");
        foreach (string key in new[] { "device", "model", "train", "test", "within10", "srcc", "mape" })
        {
            Assert.True(evaluation.TryGetProperty(key, out _), $"missing {key}");
        }
        Assert.Equal(500, evaluation.GetProperty("train").GetInt32());
        Assert.Equal(15_125, evaluation.GetProperty("test").GetInt32());
        Assert.True(evaluation.GetProperty("srcc").GetDouble() > 0.9);
        Assert.Equal(json.RootElement.GetProperty("predictor_path").GetString(),
            Path.Combine(fixture.Directory, "profiles", "latnas.predictors", "nb201", "gold_6226", "lightgbm.predictor"));
        Assert.True(File.Exists(Path.Combine(fixture.Directory, "profiles", "latnas.predictors", "nb201", "gold_6226", "lightgbm.predictor")));

        var predict = Latnas.Run("predict", "--device", "gold_6226", "--arch", "333333", "--json", "--store", Store);
        Assert.True(predict.ExitCode == 0, predict.ToString());
        using var prediction = JsonDocument.Parse(predict.Stdout);
        double value = prediction.RootElement.GetProperty("predictions")[0].GetProperty("predicted_ms").GetDouble();
        Assert.InRange(value, 1, 100);
    }

    /// <summary>One process, a line in and a line out before the next goes in: what a Python search loop does with `predict --stdin`.</summary>
    [Fact]
    public async Task Predict_from_stdin_answers_each_line_before_the_next_and_reports_bad_lines_without_stopping()
    {
        var train = Latnas.Run("train", "--device", "eyeriss", "--model", "fasttree", "--train-size", "300", "--store", Store);
        Assert.True(train.ExitCode == 0, train.ToString());
        string archs = Path.Combine(fixture.Directory, "stream-archs.txt");
        File.WriteAllLines(archs, ["123401", "#13869"]);
        var batch = Latnas.Run("predict", "--device", "eyeriss", "--model", "fasttree", "--archs", archs, "--json", "--store", Store);
        Assert.True(batch.ExitCode == 0, batch.ToString());
        using var reference = JsonDocument.Parse(batch.Stdout);
        var expected = reference.RootElement.GetProperty("predictions").EnumerateArray().Select(p => p.GetProperty("predicted_ms").GetDouble()).ToArray();

        var start = Latnas.StartInfo("predict", "--device", "eyeriss", "--model", "fasttree", "--stdin", "--store", Store);
        start.RedirectStandardInput = true;
        using var process = System.Diagnostics.Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        async Task<JsonElement> Ask(string line)
        {
            await process.StandardInput.WriteLineAsync(line);
            await process.StandardInput.FlushAsync();
            var answer = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromMinutes(1));
            Assert.NotNull(answer);
            return JsonDocument.Parse(answer).RootElement.Clone();
        }

        var first = await Ask("123401");
        Assert.Equal((1, "123401", 6200), (first.GetProperty("line").GetInt32(), first.GetProperty("ops").GetString(), first.GetProperty("index").GetInt32()));
        Assert.Equal(expected[0], first.GetProperty("predicted_ms").GetDouble(), 12);
        var bad = await Ask("1234567");
        Assert.Equal(2, bad.GetProperty("line").GetInt32());
        Assert.Contains("has 7 digits", bad.GetProperty("error").GetString());
        var tagged = await Ask("""{"arch": "#13869", "id": "candidate-7"}""");
        Assert.Equal(("candidate-7", "203122"), (tagged.GetProperty("id").GetString(), tagged.GetProperty("ops").GetString()));
        Assert.Equal(expected[1], tagged.GetProperty("predicted_ms").GetDouble(), 12);

        process.StandardInput.Close();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
        Assert.Equal(2, process.ExitCode); // a bad line is bad input, reported when the stream ends
        string log = await stderr;
        Assert.Contains("2 predictions", log);
        Assert.Contains("1 line was not nb201 architectures", log);
    }

    [Fact]
    public void Prediction_verbs_reject_bad_input_with_exit_2()
    {
        Assert.Equal(2, Latnas.Run("train", "--device", "pixel9", "--store", Store).ExitCode);
        Assert.Equal(2, Latnas.Run("train", "--device", "pixel3", "--train-size", "20000", "--store", Store).ExitCode);
        Assert.Equal(2, Latnas.Run("train", "--device", "pixel3", "--model", "xgboost", "--store", Store).ExitCode);
        Assert.Equal(2, Latnas.Run("predict", "--device", "raspi4", "--arch", "333333", "--store", Store).ExitCode); // never trained

        string corrupt = Path.Combine(fixture.Directory, "profiles", "latnas.predictors", "nb201", "fpga", "additive.predictor");
        Directory.CreateDirectory(Path.GetDirectoryName(corrupt)!);
        File.WriteAllText(corrupt, "garbage");
        var result = Latnas.Run("predict", "--device", "fpga", "--arch", "333333", "--store", Store);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("corrupt", result.Stderr);
    }

    [Fact]
    public void Evaluate_prints_one_json_row_per_device()
    {
        var result = Latnas.Run("evaluate", "--devices", "pixel3,fpga", "--train-size", "300", "--model", "additive", "--json", "--store", Store);
        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Stdout);
        var rows = json.RootElement.GetProperty("rows");
        Assert.Equal(2, rows.GetArrayLength());
        Assert.Equal("fpga", rows[1].GetProperty("device").GetString());
        Assert.True(rows[1].GetProperty("within10").GetDouble() > 0.5);
    }

    [Fact]
    public void Monotonicity_reports_srcc_with_intervals_and_verdicts()
    {
        var result = Latnas.Run("monotonicity", "--devices", "pixel3,raspi4,eyeriss", "--bootstrap", "20", "--json", "--store", Store);
        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Stdout);
        Assert.Equal(15_625, json.RootElement.GetProperty("architectures").GetInt32());
        var pairs = json.RootElement.GetProperty("pairs").EnumerateArray().ToList();
        Assert.Equal(3, pairs.Count);
        var pixelRaspi = pairs.Single(p => p.GetProperty("second").GetString() == "raspi4" && p.GetProperty("first").GetString() == "pixel3");
        Assert.Equal("re-use", pixelRaspi.GetProperty("verdict").GetString());
        Assert.True(pixelRaspi.GetProperty("ci_low").GetDouble() <= pixelRaspi.GetProperty("srcc").GetDouble());
    }

    [Fact]
    public void An_interval_of_three_architectures_is_null_in_json_and_said_so_in_text()
    {
        var json = Latnas.Run("monotonicity", "--devices", "pixel3,raspi4", "--count", "3", "--json", "--store", Store);
        Assert.True(json.ExitCode == 0, json.ToString());
        Assert.DoesNotContain("NaN", json.Stdout);
        using var document = JsonDocument.Parse(json.Stdout);
        var pair = document.RootElement.GetProperty("pairs")[0];
        Assert.Equal(JsonValueKind.Null, pair.GetProperty("ci_low").ValueKind);
        Assert.Equal(JsonValueKind.Null, pair.GetProperty("ci_high").ValueKind);
        Assert.Contains("at least 4 architectures", pair.GetProperty("note").GetString());

        var text = Latnas.Run("monotonicity", "--devices", "pixel3,raspi4", "--count", "3", "--store", Store);
        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.DoesNotContain("NaN", text.Stdout);
        Assert.Contains("undefined: an analytic interval (Fisher's z) needs at least 4 architectures", text.Stdout);
    }

    [Fact]
    public void A_device_of_equal_latencies_is_undefined_never_NaN_nor_a_verdict_in_every_verb()
    {
        using var directory = new TempDirectory();
        string store = directory.File("flat.db");
        // 300 NB201 architectures: "flat" measured 5.0 ms on every one, "real" as pixel3 measured them.
        var rows = SharedData.ReadCsv("nb201_help_latency_ms.csv").Take(300).Select(r => $"{r["ops"]},5.0,{r["pixel3"]}");
        File.WriteAllLines(directory.File("flat.csv"), ["ops,flat,real", .. rows]);
        foreach (string[] import in (string[][])[
                     ["import", "--csv", directory.File("flat.csv"), "--arch-column", "ops", "--store", store],
                     ["import", "--csv", SharedData.File("nb201_accuracy.csv"), "--objectives", "cifar10_test_acc", "--store", store]])
        {
            var imported = Latnas.Run(import);
            Assert.True(imported.ExitCode == 0, imported.ToString());
        }

        var monotonicity = Latnas.Run("monotonicity", "--devices", "flat,real", "--store", store);
        Assert.True(monotonicity.ExitCode == 0, monotonicity.ToString());
        Assert.Matches(@"\| flat +\| real +\| undefined +\| – +\| undefined +\| undefined +\|", monotonicity.Stdout);
        Assert.Single(Regex.Matches(monotonicity.Stdout, "all latencies of flat are equal: no ranking"));
        var monotonicityJson = Latnas.Run("monotonicity", "--devices", "flat,real", "--json", "--store", store);
        using (var document = JsonDocument.Parse(monotonicityJson.Stdout))
        {
            var pair = document.RootElement.GetProperty("pairs")[0];
            Assert.Equal(JsonValueKind.Null, pair.GetProperty("srcc").ValueKind);
            Assert.Equal(JsonValueKind.Null, pair.GetProperty("kendall").ValueKind);
            Assert.Equal("undefined", pair.GetProperty("verdict").GetString());
        }

        var recommend = Latnas.Run("recommend", "--target", "real", "--store", store);
        Assert.True(recommend.ExitCode == 0, recommend.ToString());
        Assert.Matches(@"\| flat +\| undefined +\| – +\| 300 +\| undefined: no ranking to compare", recommend.Stdout);
        var recommendJson = Latnas.Run("recommend", "--target", "real", "--json", "--store", store);
        using (var document = JsonDocument.Parse(recommendJson.Stdout))
        {
            var flat = document.RootElement.GetProperty("proxies").EnumerateArray().Single(p => p.GetProperty("device").GetString() == "flat");
            Assert.Equal(JsonValueKind.Null, flat.GetProperty("estimated_srcc").ValueKind);
            Assert.Equal("undefined", flat.GetProperty("advice").GetString());
            Assert.Equal(JsonValueKind.Null, flat.GetProperty("next").ValueKind);
        }

        // The flat front is one architecture, slower on real than the low budgets: nothing of it fits them.
        var pareto = Latnas.Run("pareto", "--proxy", "flat", "--target", "real", "--objective", "cifar10_test_acc", "--store", store);
        Assert.True(pareto.ExitCode == 0, pareto.ToString());
        Assert.Contains("–: no member of the re-used front fits that budget on real", pareto.Stdout);
        var paretoJson = Latnas.Run("pareto", "--proxy", "flat", "--target", "real", "--objective", "cifar10_test_acc", "--json", "--store", store);
        using (var document = JsonDocument.Parse(paretoJson.Stdout))
        {
            var p10 = document.RootElement.GetProperty("fronts")[0].GetProperty("budgets")[0];
            Assert.Equal(JsonValueKind.Null, p10.GetProperty("best_reused").ValueKind);
            Assert.Equal(JsonValueKind.Null, p10.GetProperty("gap").ValueKind);
        }

        var report = Latnas.Run("report", "--devices", "flat,real", "--out", directory.File("report"), "--store", store);
        Assert.True(report.ExitCode == 0, report.ToString());
        Assert.Equal("device,flat,real\nflat,1,\nreal,,1\n", File.ReadAllText(directory.File("report/srcc-heatmap.csv")));
        Assert.Contains("undefined: all latencies of flat are equal: no ranking", File.ReadAllText(directory.File("report/index.html")));

        foreach (var run in new[] { monotonicity, monotonicityJson, recommend, recommendJson, pareto, paretoJson })
        {
            Assert.DoesNotContain("NaN", run.Stdout);
        }
    }

    [Fact]
    public void Adapt_and_pareto_and_recommend_run_on_real_devices()
    {
        var adapt = Latnas.Run("adapt", "--proxy", "pixel3", "--targets", "eyeriss", "--target-samples", "70", "--json", "--store", Store);
        Assert.True(adapt.ExitCode == 0, adapt.ToString());
        using var adaptJson = JsonDocument.Parse(adapt.Stdout);
        var target = adaptJson.RootElement.GetProperty("targets")[0];
        var outcomes = target.GetProperty("outcomes").EnumerateArray().ToList();
        Assert.Equal(["none", "rescale", "proxy-feature", "device-mix", "device-prior"], outcomes.Select(o => o.GetProperty("method").GetString()));
        Assert.True(outcomes.Max(o => o.GetProperty("metrics").GetProperty("srcc").GetDouble()) > target.GetProperty("srcc_proxy_measured").GetDouble());
        var choice = target.GetProperty("choice");
        Assert.Equal(10, choice.GetProperty("folds").GetInt32());
        Assert.Equal(5, choice.GetProperty("scores").GetArrayLength()); // "none" is a candidate
        Assert.Contains(choice.GetProperty("method").GetString(), outcomes.Select(o => o.GetProperty("method").GetString()));

        var pareto = Latnas.Run("pareto", "--proxy", "pixel3", "--target", "raspi4", "--objective", "cifar10_test_acc", "--target-samples", "20", "--json", "--store", Store);
        Assert.True(pareto.ExitCode == 0, pareto.ToString());
        using var paretoJson = JsonDocument.Parse(pareto.Stdout);
        var fronts = paretoJson.RootElement.GetProperty("fronts");
        Assert.Equal(2, fronts.GetArrayLength());
        Assert.Equal(9, fronts[0].GetProperty("budgets").GetArrayLength());

        var recommend = Latnas.Run("recommend", "--target", "raspi4", "--target-samples", "30", "--store", Store);
        Assert.True(recommend.ExitCode == 0, recommend.ToString());
        Assert.Contains("pixel3", recommend.Stdout);
    }

    [Fact]
    public void Report_writes_valid_png_svg_and_html()
    {
        string output = Path.Combine(fixture.Directory, "report");
        var result = Latnas.Run("report", "--devices", "pixel3,raspi4,eyeriss,fpga", "--objective", "cifar10_test_acc", "--bootstrap", "10", "--out", output, "--store", Store);
        Assert.True(result.ExitCode == 0, result.ToString());
        foreach (string name in new[] { "srcc-heatmap", "pareto-fronts", "proxy-target-scatter" })
        {
            byte[] png = File.ReadAllBytes(Path.Combine(output, name + ".png"));
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
            Assert.True(png.Length > 10_000);
            var svg = System.Xml.Linq.XDocument.Load(Path.Combine(output, name + ".svg"));
            Assert.Equal("svg", svg.Root!.Name.LocalName);
        }
        foreach (string name in new[] { "srcc-heatmap", "pareto-fronts", "proxy-target-scatter" })
        {
            Assert.True(File.ReadAllLines(Path.Combine(output, name + ".csv")).Length > 4, name);
        }
        string html = File.ReadAllText(Path.Combine(output, "index.html"));
        Assert.StartsWith("<!DOCTYPE html>", html);
        Assert.Contains("srcc-heatmap.png", html);
        Assert.Contains("</html>", html);
        // The page gives the command as typed, so it can be run again.
        Assert.Contains(System.Net.WebUtility.HtmlEncode(
            $"latnas report --devices pixel3,raspi4,eyeriss,fpga --objective cifar10_test_acc --bootstrap 10 --out {output} --store {Store}"), html);
    }

    [Theory]
    [InlineData("pixel3,raspi4", "pixel3,raspi4")]
    [InlineData("/tmp/a-b_c/report.d:1@x+y=z%", "/tmp/a-b_c/report.d:1@x+y=z%")]
    [InlineData("my report", "'my report'")]
    [InlineData("it's", "'it'\\''s'")]
    [InlineData("prefix*", "'prefix*'")]
    [InlineData("$HOME", "'$HOME'")]
    [InlineData("", "''")]
    public void The_command_line_quotes_what_a_shell_would_split_or_expand(string argument, string quoted)
        => Assert.Equal(quoted, ShellCommandLine.Quote(argument));

    [Fact]
    public void Search_reports_the_documented_keys_and_verifies_on_an_imported_device()
    {
        // Latency from pixel3 rescaled with 10 raspi4 samples; --verify looks the choice up in raspi4's own table.
        var result = Latnas.Run("search", "--space", "nb201", "--target", "raspi4", "--proxy", "pixel3", "--target-samples", "10", "--method", "rescale",
            "--max-latency", "20", "--objective", "cifar10_test_acc", "--strategy", "evolution", "--evaluations", "800", "--seed", "1", "--verify", "--json", "--store", Store);
        Assert.True(result.ExitCode is 0 or 1, result.ToString()); // 1 when the measured latency breaks the budget
        using var json = JsonDocument.Parse(result.Stdout);
        foreach (string key in new[] { "arch", "predicted_ms", "objective", "evaluations", "measured_ms", "within_budget" })
        {
            Assert.True(json.RootElement.TryGetProperty(key, out _), $"missing {key}");
        }
        string ops = json.RootElement.GetProperty("ops").GetString()!;
        var row = SharedData.ReadCsv("nb201_help_latency_ms.csv").Single(r => r["ops"] == ops);
        double truth = SharedData.Number(row["raspi4"]);
        double measured = json.RootElement.GetProperty("measured_ms").GetDouble();
        Assert.Equal(truth, measured, 9);
        Assert.NotEqual(truth, json.RootElement.GetProperty("predicted_ms").GetDouble()); // a prediction, not the table
        Assert.Equal(truth <= 20, json.RootElement.GetProperty("within_budget").GetBoolean());
        Assert.Equal(truth <= 20 ? 0 : 1, result.ExitCode);
        Assert.True(json.RootElement.GetProperty("predicted_ms").GetDouble() <= 20);
        Assert.Equal(SharedData.Number(SharedData.ReadCsv("nb201_accuracy.csv").Single(r => r["ops"] == ops)["cifar10_test_acc"]),
            json.RootElement.GetProperty("objective").GetDouble(), 9);
    }

    [Fact]
    public void A_budget_below_every_latency_says_nothing_fits_and_exits_1()
    {
        var result = Latnas.Run("search", "--target", "raspi4", "--latency", "measured", "--max-latency", "0.0001",
            "--objective", "cifar10_test_acc", "--strategy", "exhaustive", "--store", Store);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("nothing fits", result.Stderr);
    }

    [Fact]
    public void Sweep_writes_the_predicted_front()
    {
        string csv = Path.Combine(fixture.Directory, "front.csv");
        var result = Latnas.Run("search", "--target", "pixel3", "--latency", "measured", "--sweep", "--max-latency", "2,5,10,20",
            "--objective", "cifar10_test_acc", "--strategy", "exhaustive", "--out", csv, "--store", Store);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(5, File.ReadAllLines(csv).Length);
        Assert.True(File.Exists(Path.ChangeExtension(csv, ".png")));
        Assert.True(File.Exists(Path.ChangeExtension(csv, ".svg")));
    }

    [Fact]
    public void A_sweep_without_budgets_takes_the_default_percentiles_and_one_search_without_a_budget_asks_for_one()
    {
        string csv = Path.Combine(fixture.Directory, "default-front.csv");
        var sweep = Latnas.Run("search", "--target", "pixel3", "--latency", "measured", "--sweep",
            "--objective", "cifar10_test_acc", "--strategy", "exhaustive", "--out", csv, "--store", Store);
        Assert.True(sweep.ExitCode == 0, sweep.ToString());
        Assert.True(File.ReadAllLines(csv).Length > 2, File.ReadAllText(csv));

        var one = Latnas.Run("search", "--target", "pixel3", "--latency", "measured", "--objective", "cifar10_test_acc", "--store", Store);
        Assert.Equal(2, one.ExitCode);
        Assert.Equal("latnas: Give --max-latency MS (or --sweep).", one.Stderr.Trim());
    }

    [Fact]
    public void A_recorded_search_replays_to_the_identical_sequence_and_an_edited_record_is_reported_with_exit_1()
    {
        string record = Path.Combine(fixture.Directory, "search-record.json");
        var search = Latnas.Run("search", "--target", "eyeriss", "--latency", "measured", "--max-latency", "3", "--objective", "cifar10_test_acc",
            "--strategy", "evolution", "--evaluations", "300", "--seed", "4", "--record", record, "--store", Store);
        Assert.True(search.ExitCode == 0, search.ToString());

        var replay = Latnas.Run("search", "--replay", record, "--json", "--store", Store);
        Assert.True(replay.ExitCode == 0, replay.ToString());
        using (var json = JsonDocument.Parse(replay.Stdout))
        {
            Assert.True(json.RootElement.GetProperty("identical").GetBoolean());
            Assert.Equal(300, json.RootElement.GetProperty("replayed_evaluations").GetInt32());
            using var written = JsonDocument.Parse(File.ReadAllText(record));
            Assert.Equal(written.RootElement.GetProperty("result").GetProperty("ops").GetString(), json.RootElement.GetProperty("result").GetProperty("ops").GetString());
            Assert.Contains(written.RootElement.GetProperty("result").GetProperty("ops").GetString()!, search.Stdout);
        }

        // One evaluation changed in the file: the replay names it and fails.
        var node = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(record))!;
        string recorded = (string)node["evaluated"]![41]!["ops"]!;
        node["evaluated"]![41]!["ops"] = recorded == "000000" ? "111111" : "000000";
        string edited = Path.Combine(fixture.Directory, "search-record-edited.json");
        File.WriteAllText(edited, node.ToJsonString());
        var differs = Latnas.Run("search", "--replay", edited, "--store", Store);
        Assert.True(differs.ExitCode == 1, differs.ToString());
        Assert.Contains($"DIFFERS from the record at evaluation 42: recorded {node["evaluated"]![41]!["ops"]}, replayed {recorded}", differs.Stdout);

        var mixed = Latnas.Run("search", "--replay", record, "--target", "pixel3", "--store", Store);
        Assert.Equal(2, mixed.ExitCode);
        Assert.Contains("leave out --target", mixed.Stderr);
        node["evaluated"]![41]!["ops"] = recorded;
        node["seed"] = -1;
        File.WriteAllText(edited, node.ToJsonString());
        var unrunnable = Latnas.Run("search", "--replay", edited, "--store", Store);
        Assert.True(unrunnable.ExitCode == 2, unrunnable.ToString());
        Assert.Contains("holds settings no search runs with (seed -1", unrunnable.Stderr);
        File.WriteAllText(edited, "{\"space\": \"nb201\"");
        var broken = Latnas.Run("search", "--replay", edited, "--store", Store);
        Assert.Equal(2, broken.ExitCode);
        Assert.Contains("is not a search record", broken.Stderr);
        Assert.DoesNotContain("   at ", broken.Stderr);
    }

    [Fact]
    public void Explain_splits_the_prediction_into_a_reference_and_one_part_per_edge_that_add_up_to_what_predict_prints()
    {
        var train = Latnas.Run("train", "--device", "gold_6226", "--model", "additive", "--store", Store);
        Assert.True(train.ExitCode == 0, train.ToString());
        var explain = Latnas.Run("explain", "#1462", "--devices", "gold_6226", "--json", "--store", Store);
        Assert.True(explain.ExitCode == 0, explain.ToString());
        var predict = Latnas.Run("predict", "--device", "gold_6226", "--arch", "#1462", "--json", "--store", Store);
        Assert.True(predict.ExitCode == 0, predict.ToString());
        using var explained = JsonDocument.Parse(explain.Stdout);
        using var predicted = JsonDocument.Parse(predict.Stdout);
        var device = explained.RootElement.GetProperty("devices")[0];
        double expected = predicted.RootElement.GetProperty("predictions")[0].GetProperty("predicted_ms").GetDouble();
        Assert.Equal(expected, device.GetProperty("predicted_ms").GetDouble());
        Assert.Equal(expected, device.GetProperty("reference_ms").GetDouble() + device.GetProperty("parts").EnumerateArray().Sum(p => p.GetProperty("ms").GetDouble()), 9);

        var table = Latnas.Run("explain", "#1462", "--devices", "gold_6226", "--store", Store);
        Assert.Contains("reference 111111", table.Stdout);
        var missing = Latnas.Run("explain", "#1462", "--devices", "eyeriss", "--store", Store);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("latnas train --device eyeriss", missing.Stderr);
    }
}
