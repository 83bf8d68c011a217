using LatencyNas.Analysis;
using LatencyNas.Core;
using LatencyNas.Core.Statistics;
using LatencyNas.Prediction;
using LatencyNas.Profiling.Store;
using LatencyNas.Tests;

namespace LatencyNas.Workflows.Tests;

[Collection(RealStoreCollection.Name)]
public sealed class AnalysisUseCaseTests(RealStore real) : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Pareto_reuse_judges_the_proxy_front_on_the_target_tables()
    {
        var result = new ParetoUseCase().Run(new ParetoRequest("pixel3", "raspi4", "cifar10_test_acc", RealStore.Space, real.Location, TargetSamples: 10, Seed: 0));
        Assert.Equal(2, result.Fronts.Count);
        var asIs = result.Fronts[0];
        Assert.Equal(15_625, asIs.Candidates);
        Assert.InRange(asIs.HypervolumeRatio, 0.95, 1.0);

        // The true front, computed here from the shared tables: no architecture is both faster and more accurate than a member.
        var raspi = real.Accuracy.Keys.ToDictionary(ops => ops, ops => real.Latency("raspi4", ops));
        Assert.Equal(asIs.TrueFront, asIs.TrueOps.Count);
        foreach (string member in asIs.TrueOps)
        {
            Assert.DoesNotContain(raspi.Keys, other => raspi[other] < raspi[member] && real.Accuracy[other] > real.Accuracy[member]);
        }
        // The best accuracy within each budget, computed the same way.
        foreach (var budget in asIs.Budgets)
        {
            double best = real.Accuracy.Where(p => raspi[p.Key] <= budget.BudgetMs).Max(p => p.Value);
            Assert.Equal(best, budget.BestTrue, 9);
            Assert.True(budget.BestReused <= budget.BestTrue);
        }
        Assert.Contains("adapted with K = 10", result.Fronts[1].Source);
    }

    [Fact]
    public void Pareto_refuses_an_unknown_objective_and_too_many_target_samples()
    {
        var unknown = Assert.Throws<InvalidInputException>(() => new ParetoUseCase().Run(new ParetoRequest("pixel3", "raspi4", "top1", RealStore.Space, real.Location)));
        Assert.Contains("'top1'", unknown.Message);
        Assert.Contains("cifar10_test_acc", unknown.Message); // what the store holds
        var error = Assert.Throws<InvalidInputException>(() => new ParetoUseCase().Run(
            new ParetoRequest("pixel3", "tiny", "cifar10_test_acc", RealStore.Space, real.Location, TargetSamples: 20)));
        Assert.Contains("tiny", error.Message);
    }

    [Fact]
    public void Adapt_reports_each_target_as_it_finishes_and_improves_the_accelerators()
    {
        var rows = new List<AdaptationReport>();
        var result = new AdaptUseCase().Run(new AdaptRequest("pixel3", ["eyeriss", "fpga", "pixel3"], RealStore.Space, real.Location, TargetSamples: 70,
            Methods: [AdaptationMethod.Rescale]), new Synchronous<AdaptationReport>(rows.Add));
        Assert.Equal(["eyeriss", "fpga"], result.Targets.Select(t => t.Target)); // the proxy is not its own target
        Assert.Equal(result.Targets, rows);
        Assert.All(result.Targets, t =>
        {
            Assert.Equal(15_625 - 70, t.Test);
            Assert.True(Assert.Single(t.Outcomes).Metrics.Srcc > t.SrccProxyMeasured, $"{t.Target}: {t.Outcomes[0].Metrics.Srcc} vs {t.SrccProxyMeasured}");
        });
        var srcc = result.Targets.Select(t => t.Outcomes[0].Metrics.Srcc).ToList();
        Assert.Equal([("mean", srcc.Average()), ("worst", srcc.Min())], result.Summaries.Select(s => (s.Aggregate, Assert.Single(s.Methods)!.Value)));
    }

    [Fact]
    public void Adapt_checks_every_target_before_the_first_adaptation()
    {
        var rows = new List<AdaptationReport>();
        var error = Assert.Throws<InvalidInputException>(() => new AdaptUseCase().Run(
            new AdaptRequest("pixel3", ["eyeriss", "tiny"], RealStore.Space, real.Location, TargetSamples: 30), new Synchronous<AdaptationReport>(rows.Add)));
        Assert.Contains("'tiny' has 20", error.Message);
        Assert.Empty(rows); // eyeriss, listed first, was not adapted before the failure was found
    }

    [Fact]
    public void Evaluate_checks_every_device_before_training_and_streams_rows()
    {
        var rows = new List<PredictorEvaluation>();
        var error = Assert.Throws<InvalidInputException>(() => new EvaluateUseCase().Run(
            new EvaluateRequest(["fpga", "tiny"], RealStore.Space, real.Location, PredictorModel.Additive, TrainSize: 1000), new Synchronous<PredictorEvaluation>(rows.Add)));
        Assert.Contains("tiny has 20", error.Message);
        Assert.Empty(rows);
        Assert.Throws<ProfileStoreException>(() => new EvaluateUseCase().Run(new EvaluateRequest(["fpga", "pixel9"], RealStore.Space, real.Location)));

        // Without an explicit size, a small device trains on 80% of its measurements.
        var result = new EvaluateUseCase().Run(new EvaluateRequest(["fpga", "tiny"], RealStore.Space, real.Location, PredictorModel.Additive),
            new Synchronous<PredictorEvaluation>(rows.Add));
        // Devices train in parallel: rows stream in finishing order, the result keeps the order asked.
        Assert.Equal(result.Rows.OrderBy(r => r.Device), rows.OrderBy(r => r.Device));
        Assert.Equal([("fpga", 1000, 14_625), ("tiny", 16, 4)], result.Rows.Select(r => (r.Device, r.Train, r.Test)));
        Assert.True(result.Rows[0].Within10 > 0.99);
    }

    [Fact]
    public void Monotonicity_intervals_do_not_depend_on_the_order_the_devices_are_listed_in()
    {
        var forward = new MonotonicityUseCase().Run(new MonotonicityRequest(["pixel3", "raspi4", "eyeriss"], RealStore.Space, real.Location, Count: 500, Bootstrap: 50));
        var backward = new MonotonicityUseCase().Run(new MonotonicityRequest(["eyeriss", "raspi4", "pixel3", "fpga"], RealStore.Space, real.Location, Count: 500, Bootstrap: 50));
        foreach (var pair in forward.Pairs)
        {
            var same = backward.Pairs.Single(p => new[] { p.First, p.Second }.Order().SequenceEqual(new[] { pair.First, pair.Second }.Order()));
            Assert.Equal(pair.Srcc, same.Srcc, 12);
            Assert.Equal((pair.CiLow, pair.CiHigh), (same.CiLow, same.CiHigh));
        }
        // The SRCC matches one computed here from the tables on all 15,625 shared architectures.
        var all = new MonotonicityUseCase().Run(new MonotonicityRequest(["pixel3", "raspi4"], RealStore.Space, real.Location, Bootstrap: 0));
        var ops = real.Help.Keys.ToList();
        Assert.Equal(RankCorrelation.Spearman(ops.Select(o => real.Latency("pixel3", o)).ToList(), ops.Select(o => real.Latency("raspi4", o)).ToList()),
            all.Srcc[0][1], 12);
    }

    [Fact]
    public void Recommend_ranks_the_proxies_and_suggests_the_next_command_with_the_store()
    {
        var result = new RecommendUseCase().Run(new RecommendRequest("raspi4", RealStore.Space, real.Location, TargetSamples: 30));
        Assert.Equal(30, result.TargetMeasurements);
        Assert.Equal("pixel3", result.Proxies[0].Device);
        var adapt = result.Proxies.First(p => p.Advice == ProxyAdvice.Adapt);
        Assert.Equal($"latnas adapt --proxy {adapt.Device} --targets raspi4 --store {real.Location.Path}", adapt.Next);

        var error = Assert.Throws<InvalidInputException>(() => new RecommendUseCase().Run(new RecommendRequest("raspi4", RealStore.Space, real.Location, TargetSamples: 20_000)));
        Assert.Contains("--target-samples 20000 asks for more", error.Message);
    }

    [Fact]
    public void Diverse_target_samples_are_drawn_where_the_other_devices_disagree_and_mixed()
    {
        var diverse = new ParetoUseCase().Run(new ParetoRequest("pixel3", "eyeriss", "cifar10_test_acc", RealStore.Space, real.Location, TargetSamples: 10, Seed: 0,
            Sampling: TargetSampling.Diverse));
        Assert.Contains("not at random", diverse.Fronts[1].Source);
        Assert.Contains("mix of", diverse.Fronts[1].Source);
        var random = new ParetoUseCase().Run(new ParetoRequest("pixel3", "eyeriss", "cifar10_test_acc", RealStore.Space, real.Location, TargetSamples: 10, Seed: 0));
        Assert.Contains("cross-validation on the 10 target samples", random.Fronts[1].Source);
    }

    [Fact]
    public void A_diverse_sample_is_drawn_among_what_every_device_measured_and_a_random_one_needs_no_store()
    {
        string[] named = ["pixel3", "raspi4", "eyeriss", "fpga", "gold_6226"];
        var diverse = new SampleUseCase().Run(new SampleRequest(RealStore.Space, 5, Seed: 1, TargetSampling.Diverse, named, real.Location));
        Assert.Equal(named, diverse.Devices);
        Assert.Equal(5, diverse.Architectures.Distinct().Count());
        Assert.Equal(diverse.Architectures, new SampleUseCase().Run(new SampleRequest(RealStore.Space, 5, Seed: 1, TargetSampling.Diverse, named, real.Location)).Architectures);

        // All the store's devices include "tiny": only its 20 architectures are measured on every one.
        var all = new SampleUseCase().Run(new SampleRequest(RealStore.Space, 5, Seed: 1, TargetSampling.Diverse, Store: real.Location));
        Assert.Contains("tiny", all.Devices);
        var tiny = RealStore.Space.SampleDistinct(20, seed: 99).ToHashSet();
        Assert.All(all.Architectures, a => Assert.Contains(a, tiny));
        Assert.Throws<InvalidInputException>(() => new SampleUseCase().Run(new SampleRequest(RealStore.Space, 20, Seed: 1, TargetSampling.Diverse, Store: real.Location)));

        Assert.Equal(RealStore.Space.SampleDistinct(5, 1), new SampleUseCase().Run(new SampleRequest(RealStore.Space, 5, Seed: 1)).Architectures);
        var one = Assert.Throws<InvalidInputException>(() => new SampleUseCase().Run(new SampleRequest(RealStore.Space, 5, Seed: 1, TargetSampling.Diverse, ["pixel3"], real.Location)));
        Assert.Contains("needs at least two", one.Message);
    }

    [Fact]
    public void Report_writes_whole_plots_and_refuses_a_file_as_its_folder()
    {
        string folder = _directory.File("report");
        var result = new ReportUseCase().Run(new ReportRequest(["pixel3", "raspi4", "eyeriss"], folder, RealStore.Space, real.Location, "cifar10_test_acc", Bootstrap: 10));
        Assert.Equal(10, result.Files.Count); // three plots as PNG, SVG and CSV, and index.html
        // A CSV is whole when it ends its last line (ReportUseCaseTests check their contents); the plots and the page are far larger.
        Assert.All(result.Files, f => Assert.True(f.EndsWith(".csv") ? File.ReadAllText(f).EndsWith('\n') : new FileInfo(f).Length > 500, f));
        Assert.Empty(Directory.GetFiles(folder, "*.tmp"));

        string file = _directory.File("not-a-folder");
        File.WriteAllText(file, "x");
        Assert.Throws<InvalidInputException>(() => new ReportUseCase().Run(new ReportRequest(["pixel3", "raspi4"], file, RealStore.Space, real.Location)));
    }

    /// <summary>A full disk used to leave a 0-byte PNG behind and exit as if the input were bad.</summary>
    [SkippableFact]
    public void A_report_on_a_full_disk_fails_the_run_and_leaves_no_partial_file()
    {
        using var disk = TmpfsMount.Tiny(_directory.File("tiny"), kilobytes: 256);
        string folder = Path.Combine(disk.Path, "report");
        Directory.CreateDirectory(folder);
        disk.Fill();

        var error = Assert.Throws<RunFailedException>(() => new ReportUseCase().Run(
            new ReportRequest(["pixel3", "raspi4", "eyeriss"], folder, RealStore.Space, real.Location, "cifar10_test_acc", Bootstrap: 10)));

        Assert.Contains("the disk is full", error.Message);
        Assert.DoesNotContain("\n", error.Message);
        Assert.Empty(Directory.GetFiles(folder)); // no 0-byte plot, no temporary file
    }

    [Fact]
    public void One_store_holds_both_spaces_and_all_means_the_devices_measured_on_the_space_asked_for()
    {
        var store = real.Copy(_directory);
        var fbnet = Core.Spaces.Fbnet.FbnetSpace.Instance;
        var import = new ImportUseCase().Run(new ImportRequest(SharedData.File("fbnet_help_latency_ms.csv"), fbnet, Core.Spaces.Dataset.Cifar100, store,
            ArchitectureColumn: "ops", Columns: ["pixel3", "raspi4", "gold_6226"]));
        Assert.Equal(3, import.Columns.Count);

        var onFbnet = new MonotonicityUseCase().Run(new MonotonicityRequest(["all"], fbnet, store, Bootstrap: 50));
        Assert.Equal(["gold_6226", "pixel3", "raspi4"], onFbnet.Devices.Order());
        Assert.Equal(5_000, onFbnet.Architectures);
        var onNb201 = new MonotonicityUseCase().Run(new MonotonicityRequest(["all"], RealStore.Space, store, Bootstrap: 50));
        Assert.Equal(["eyeriss", "fpga", "gold_6226", "pixel3", "raspi4", "tiny"], onNb201.Devices.Order());
    }
}
