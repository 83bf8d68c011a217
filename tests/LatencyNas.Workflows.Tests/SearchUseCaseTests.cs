using LatencyNas.Analysis;
using LatencyNas.Analysis.Search;
using LatencyNas.Core;
using LatencyNas.Core.Spaces;
using LatencyNas.Profiling;
using LatencyNas.Profiling.Devices;
using LatencyNas.Profiling.Store;
using LatencyNas.Tests;
using LatencyNas.Workflows.Runners;
using LatencyNas.Workflows.Tests.Runners;

namespace LatencyNas.Workflows.Tests;

[Collection(RealStoreCollection.Name)]
public sealed class SearchUseCaseTests(RealStore real) : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private static SearchUseCase Search() => new(DeviceRunnerFactory.Instance);

    [Fact]
    public async Task Measured_latency_with_exhaustive_search_finds_the_true_optimum_of_the_tables()
    {
        var result = await Search().RunAsync(new SearchRequest(new SearchLatency("raspi4", Mode: LatencyMode.Measured), "cifar10_test_acc", 20,
            RealStore.Space, real.Location, SearchStrategyKind.Exhaustive, Verify: true));

        // The optimum computed here from the two shared tables, independently of the product.
        var optimum = real.Accuracy.Where(p => real.Latency("raspi4", p.Key) <= 20).MaxBy(p => p.Value);
        Assert.Equal(optimum.Value, result.Objective);
        Assert.Equal(real.Latency("raspi4", result.Ops!), result.PredictedMs!.Value, 9);
        Assert.Equal(real.Latency("raspi4", result.Ops!), result.MeasuredMs!.Value, 9); // verified by looking the imported table up
        Assert.True(result.Verified);
        Assert.True(result.WithinBudget);
        Assert.Equal(15_625, result.Evaluations);
        Assert.Empty(result.TrainedPredictors);
    }

    [Fact]
    public async Task A_search_asked_for_its_record_writes_one_that_replays_to_the_same_evaluations()
    {
        string record = _directory.File("run.json");
        string replayed = _directory.File("replayed.json");
        var request = new SearchRequest(new SearchLatency("raspi4", Mode: LatencyMode.Measured), "cifar10_test_acc", 20, RealStore.Space, real.Location,
            SearchStrategyKind.Evolution, Evaluations: 200, Seed: 5, RecordPath: record);
        var result = await Search().RunAsync(request);

        var written = SearchRecord.Read(record);
        Assert.Equal(result.Ops, written.Result!.Ops);
        Assert.Equal(200, written.Evaluated.Count);
        var replay = await Search().ReplayAsync(written, real.Location, recordPath: replayed);
        Assert.True(replay.Identical);
        Assert.Equal(written.Evaluated, SearchRecord.Read(replayed).Evaluated);
    }

    [Fact]
    public async Task A_record_of_another_format_is_refused_with_what_to_do_not_replayed_into_a_difference()
    {
        string record = _directory.File("run.json");
        await Search().RunAsync(new SearchRequest(new SearchLatency("raspi4", Mode: LatencyMode.Measured), "cifar10_test_acc", 20, RealStore.Space, real.Location,
            SearchStrategyKind.Random, Evaluations: 50, Seed: 1, RecordPath: record));
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(record))!.AsObject();
        Assert.Equal(SearchRecord.CurrentFormat, (int)json["format"]!);

        json.Remove("format"); // as records written before the format was
        File.WriteAllText(record, json.ToJsonString());
        var older = Assert.Throws<InvalidInputException>(() => SearchRecord.Read(record));
        Assert.Contains("format 0", older.Message);
        Assert.Contains("run the search again", older.Message);

        json["format"] = SearchRecord.CurrentFormat + 1;
        File.WriteAllText(record, json.ToJsonString());
        Assert.Contains("newer than this latnas reads", Assert.Throws<InvalidInputException>(() => SearchRecord.Read(record)).Message);
    }

    [Fact]
    public async Task A_predictor_the_search_must_train_is_saved_as_train_saves_it_and_used_the_next_time()
    {
        var store = real.Copy(_directory);
        var status = new List<string>();
        var first = await Search().RunAsync(new SearchRequest(new SearchLatency("fpga"), "cifar10_test_acc", 3.5, RealStore.Space, store, Seed: 3),
            new Synchronous<string>(status.Add));

        string saved = Assert.Single(first.TrainedPredictors);
        Assert.Equal(PredictorCatalog.PathFor(store, "fpga", RealStore.Space, Prediction.PredictorModel.Auto), saved);
        Assert.Contains(status, s => s.Contains("training one on 1,000 of its 15,625"));
        var listed = Assert.Single(new PredictorsListUseCase().Run(new PredictorsListRequest(store)).Predictors);
        Assert.Equal(("fpga", "auto", 1_000), (listed.Device, listed.Model, listed.TrainedOn));
        Assert.True(listed.TestMetrics!.Srcc > 0.99, $"SRCC {listed.TestMetrics.Srcc}"); // fpga is additive: the saved predictor was tested like train's

        // What `latnas train --device fpga` would save: its defaults (auto, 1,000 architectures, seed 0), whatever the search's seed.
        var metadata = Prediction.PredictorFile.ReadMetadata(saved);
        var defaults = new TrainRequest("fpga", RealStore.Space, store);
        Assert.Equal((PredictorCatalog.Name(defaults.Model), defaults.Seed, PredictorCatalog.DefaultTrainSize), (metadata.Requested, metadata.Seed, metadata.TrainedOn));

        var second = await Search().RunAsync(new SearchRequest(new SearchLatency("fpga"), "cifar10_test_acc", 3.5, RealStore.Space, store, Seed: 3));
        Assert.Empty(second.TrainedPredictors);
        Assert.Equal(first.Ops, second.Ops);
        Assert.True(second.PredictedMs <= 3.5);
    }

    [Fact]
    public async Task Bad_objective_budget_devices_or_samples_are_refused_before_anything_is_trained()
    {
        var store = real.Copy(_directory);
        async Task<InvalidInputException> Refused(SearchRequest request)
            => await Assert.ThrowsAnyAsync<InvalidInputException>(() => Search().RunAsync(request));

        var misspelt = await Refused(new SearchRequest(new SearchLatency("raspi4"), "cifar10_tst_acc", 20, RealStore.Space, store));
        Assert.Contains("cifar10_test_acc", misspelt.Message); // names what the store holds
        await Refused(new SearchRequest(new SearchLatency("raspi4"), "cifar10_test_acc", double.NaN, RealStore.Space, store));
        await Refused(new SearchRequest(new SearchLatency("raspi4"), "cifar10_test_acc", -1, RealStore.Space, store));
        await Refused(new SearchRequest(new SearchLatency("pixel9"), "cifar10_test_acc", 20, RealStore.Space, store));
        await Refused(new SearchRequest(new SearchLatency("raspi4", Proxy: "pixel9"), "cifar10_test_acc", 20, RealStore.Space, store));
        await Refused(new SearchRequest(new SearchLatency("raspi4", TargetSamples: 10), "cifar10_test_acc", 20, RealStore.Space, store));
        await Refused(new SearchRequest(new SearchLatency("tiny", Proxy: "pixel3", TargetSamples: 21), "cifar10_test_acc", 20, RealStore.Space, store)); // tiny has 20
        await Refused(new SearchRequest(new SearchLatency("raspi4"), "cifar10_test_acc", 20, RealStore.Space, store, Evaluations: 0));

        Assert.Empty(new PredictorsListUseCase().Run(new PredictorsListRequest(store)).Predictors);
    }

    /// <summary>A rescaled proxy is linear in ms and used to predict below zero for pixel3's cheapest cells, which "met" any budget.</summary>
    [Fact]
    public async Task A_budget_below_anything_the_device_can_do_finds_nothing_whatever_the_model_extrapolates()
    {
        var result = await Search().RunAsync(new SearchRequest(new SearchLatency("pixel3", "raspi4", 10, AdaptationMethod.Rescale), "cifar10_test_acc", 1e-7,
            RealStore.Space, real.Location, SearchStrategyKind.Exhaustive));
        Assert.Equal(15_625, result.Evaluations);
        Assert.Null(result.Arch);
        Assert.False(result.WithinBudget);
    }

    [Theory]
    [InlineData(AdaptationMethod.Rescale, "rescaled with 10 target samples")]
    [InlineData(null, "chosen by leave-one-out cross-validation on the 10 target samples (held-out error none ")]
    public async Task A_proxy_adapted_with_target_samples_is_the_latency_source(AdaptationMethod? method, string described)
    {
        var result = await Search().RunAsync(new SearchRequest(new SearchLatency("eyeriss", "pixel3", 10, method), "cifar10_test_acc", 5.12,
            RealStore.Space, real.Location, SearchStrategyKind.Exhaustive, Verify: true));
        Assert.Contains(described, result.LatencySource);
        // The method used is named whether it was asked for or chosen.
        Assert.Contains(result.Method!, new[] { "none", "rescale", "proxy-feature", "device-mix", "device-prior" });
        if (method is not null)
        {
            Assert.Equal(ProxyAdaptation.Name(method.Value), result.Method);
        }
        Assert.True(result.PredictedMs <= 5.12);
        Assert.Equal(real.Latency("eyeriss", result.Ops!), result.MeasuredMs!.Value, 9);
        Assert.Equal(result.MeasuredMs <= 5.12, result.WithinBudget);
        // The adapted model is not the target's table: its prediction differs from the truth.
        Assert.NotEqual(result.MeasuredMs!.Value, result.PredictedMs!.Value, 6);
    }

    [Fact]
    public async Task Verify_on_a_live_device_measures_the_choice_with_the_device_runner_and_stores_it()
    {
        var store = real.Copy(_directory);
        var board = DeviceDescriptorReader.Resolve("ort-cpu-1t") with { Name = "board" };
        // A live device whose latency is known: 0.2 ms plus 1 ms per 50 M multiply-accumulates.
        double Known(Core.Measurements.ModelRequest r) => 0.2 + RealStore.Space.Features(r.Architecture, r.Dataset).Macs / 5e7;
        var runner = new KnownTimesRunner(board, Known);
        using (var opened = store.OpenExisting())
        {
            var profiled = await new Profiler(runner, opened, new ProfileOptions()).RunAsync(RealStore.Space, RealStore.Space.SampleDistinct(300, seed: 4));
            Assert.Equal(300, profiled.Measured);
        }

        double budget = 2.0;
        var result = await new SearchUseCase(runner).RunAsync(new SearchRequest(new SearchLatency("board"), "cifar10_test_acc", budget, RealStore.Space, store,
            Seed: 1, Verify: true));

        Assert.Equal("board", runner.Device.Name);
        Assert.Equal(result.Ops, runner.Measured[^1]); // the choice was measured by the device's runner…
        double truth = Known(board.RequestFor(RealStore.Space, RealStore.Space.FromDigits(result.Ops!)));
        Assert.Equal(truth, result.MeasuredMs!.Value, 9); // …and its latency is what the runner measured
        Assert.Equal(truth <= budget, result.WithinBudget);
        using var reopened = store.OpenExisting();
        Assert.Equal(truth, reopened.Measurements.Latencies(reopened.Devices.Get("board"), RealStore.Space)[result.Ops!], 9);
    }

    /// <summary>--verify used to say "OVER the budget" for the best prediction and stop there.</summary>
    [Fact]
    public async Task Verify_walks_down_the_ranking_until_a_candidate_measures_within_the_budget_and_a_margin_avoids_the_walk()
    {
        var store = real.Copy(_directory);
        var board = DeviceDescriptorReader.Resolve("ort-cpu-1t") with { Name = "board" };
        double Known(Core.Measurements.ModelRequest r) => 0.2 + RealStore.Space.Features(r.Architecture, r.Dataset).Macs / 5e7;
        using (var opened = store.OpenExisting())
        {
            await new Profiler(new KnownTimesRunner(board, Known), opened, new ProfileOptions()).RunAsync(RealStore.Space, RealStore.Space.SampleDistinct(300, seed: 4));
        }
        // The board has become 25% slower than it was profiled: the predictions read low.
        var slower = new KnownTimesRunner(board, r => 1.25 * Known(r));
        const double Budget = 2.0;

        var walked = await new SearchUseCase(slower).RunAsync(new SearchRequest(new SearchLatency("board"), "cifar10_test_acc", Budget, RealStore.Space, store,
            Seed: 1, Verify: true, VerifyCandidates: 500));
        Assert.True(walked.WithinBudget, walked.Note);
        Assert.True(walked.VerifiedCandidates > 1, $"{walked.VerifiedCandidates} measured");
        // Each candidate measured at most once (one the profile had stored is looked up, not measured again)…
        Assert.Equal(slower.Measured.Count, slower.Measured.Distinct().Count());
        Assert.InRange(slower.Measured.Count, 1, walked.VerifiedCandidates);
        Assert.True(walked.MeasuredMs <= Budget);
        // …and every one measured before the choice was over the budget: the walk stopped at the first that fitted.
        var over = slower.Measured.Where(d => d != walked.Ops).Select(d => 1.25 * Known(board.RequestFor(RealStore.Space, RealStore.Space.FromDigits(d)))).ToList();
        Assert.All(over, ms => Assert.True(ms > Budget, $"{ms} ms was within the budget, but the walk went on"));

        var margin = await new SearchUseCase(new KnownTimesRunner(board, r => 1.25 * Known(r))).RunAsync(new SearchRequest(new SearchLatency("board"),
            "cifar10_test_acc", Budget, RealStore.Space, store, Seed: 1, Verify: true, Margin: 0.3));
        Assert.Equal(0.7 * Budget, margin.SearchedUnderMs, 12);
        Assert.True(margin.PredictedMs <= 0.7 * Budget);
    }

    [Fact]
    public async Task Nothing_fits_is_a_result_not_an_error()
    {
        var result = await Search().RunAsync(new SearchRequest(new SearchLatency("raspi4", Mode: LatencyMode.Measured), "cifar10_test_acc", 0.0001,
            RealStore.Space, real.Location, SearchStrategyKind.Exhaustive));
        Assert.False(result.Found);
        Assert.False(result.WithinBudget);
        Assert.Null(result.Ops);
    }

    [Fact]
    public void A_sweep_writes_its_front_and_plots_and_returns_each_budget()
    {
        string csv = _directory.File("front/front.csv");
        var result = new SweepUseCase().Run(new SweepRequest(new SearchLatency("pixel3", Mode: LatencyMode.Measured), "cifar10_test_acc", csv,
            RealStore.Space, real.Location, [2, 5, 10, 20], SearchStrategyKind.Exhaustive));
        Assert.Equal([2.0, 5, 10, 20], result.Points.Select(p => p.MaxLatencyMs));
        Assert.All(result.Points, p => Assert.True(p.PredictedMs <= p.MaxLatencyMs));
        Assert.True(result.Points.Zip(result.Points.Skip(1)).All(p => p.First.Objective <= p.Second.Objective), "a larger budget never does worse");
        Assert.Equal(5, File.ReadAllLines(csv).Length);
        Assert.Equal([csv, Path.ChangeExtension(csv, ".png"), Path.ChangeExtension(csv, ".svg")], result.Files);
        Assert.All(result.Files, f => Assert.True(new FileInfo(f).Length > 0));
    }

    /// <summary>Evolution under a larger budget can find worse than under a smaller one; a sweep once wrote 93.845 at 5.05 ms, then 93.84 at 5.36 ms.</summary>
    [Fact]
    public void A_sweep_by_evolution_never_falls_with_a_larger_budget_and_budgets_come_out_in_order()
    {
        string csv = _directory.File("evolution/front.csv");
        double[] budgets = [9, 3, 4, 5, 6, 7, 8, 3.5, 4.5, 5.5];
        var result = new SweepUseCase().Run(new SweepRequest(new SearchLatency("fpga", Mode: LatencyMode.Measured), "cifar10_test_acc", csv,
            RealStore.Space, real.Location, budgets, SearchStrategyKind.Evolution, Evaluations: 60, Seed: 2));
        Assert.Equal(budgets.Order(), result.Points.Select(p => p.MaxLatencyMs));
        Assert.All(result.Points, p => Assert.True(p.PredictedMs <= p.MaxLatencyMs));
        Assert.True(result.Points.Zip(result.Points.Skip(1)).All(p => p.First.Objective <= p.Second.Objective),
            string.Join(", ", result.Points.Select(p => $"{p.MaxLatencyMs}: {p.Objective}")));
    }

    [Fact]
    public async Task The_default_strategy_lists_a_small_space_and_a_raw_proxy_is_refused_with_the_fix()
    {
        var result = await Search().RunAsync(new SearchRequest(new SearchLatency("raspi4", Mode: LatencyMode.Measured), "cifar10_test_acc", 20, RealStore.Space, real.Location));
        Assert.Equal("exhaustive", result.Strategy);
        Assert.Equal(real.Accuracy.Where(p => real.Latency("raspi4", p.Key) <= 20).Max(p => p.Value), result.Objective);

        var raw = await Assert.ThrowsAnyAsync<InvalidInputException>(() => Search().RunAsync(
            new SearchRequest(new SearchLatency("eyeriss", Proxy: "pixel3"), "cifar10_test_acc", 5, RealStore.Space, real.Location)));
        Assert.Contains("add --target-samples K", raw.Message);
    }
}

/// <summary>Reports on the calling thread, in order.</summary>
internal sealed class Synchronous<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
