using LatencyNas.Core;
using LatencyNas.Core.Spaces;
using LatencyNas.Core.Spaces.Fbnet;
using LatencyNas.Prediction;
using LatencyNas.Tests;

namespace LatencyNas.Workflows.Tests;

/// <summary>The budget-search benchmark on two real FBNet columns: every figure it reports is checked against the CSV read here.</summary>
public sealed class BudgetSearchBenchmarkTests : IDisposable
{
    private const string Table = "fbnet_help_latency_ms.csv";
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Pool_winners_are_judged_on_their_measured_latency_and_the_search_curves_only_grow()
    {
        var store = new StoreLocation(_directory.File("profiles/latnas.db"));
        new ImportUseCase().Run(new ImportRequest(SharedData.File(Table), FbnetSpace.Instance, Dataset.Cifar100, store, ArchitectureColumn: "ops",
            Columns: ["raspi4", "gold_6226"]));
        var csv = SharedData.ReadCsv(Table).ToDictionary(r => r["ops"]);
        string folder = _directory.File("bench");

        var result = new BudgetSearchBenchmark().Run(new BudgetSearchRequest(FbnetSpace.Instance, ["all"], "macs", store, TrainSize: 900,
            Model: PredictorModel.Additive, Evaluations: 500, Repeats: 2, Out: folder));

        Assert.Equal(2 * BudgetSearchBenchmark.Percentiles.Count, result.Rows.Count);
        foreach (var device in result.Rows.GroupBy(r => r.Device))
        {
            var latencies = csv.Values.Select(r => SharedData.Number(r[device.Key])).Order().ToArray();
            var budgets = device.OrderBy(r => r.Percentile).Select(r => r.BudgetMs).ToList();
            Assert.Equal(budgets.Order(), budgets);
            Assert.All(budgets, b => Assert.InRange(b, latencies[0], latencies[^1]));
            foreach (var row in device)
            {
                var winner = row.Pool;
                Assert.NotNull(winner.Architecture);
                Assert.True(winner.PredictedMs <= row.BudgetMs, $"{row.Device} p{row.Percentile}: predicted {winner.PredictedMs} over the budget {row.BudgetMs}");
                Assert.Equal(SharedData.Number(csv[winner.Architecture!][row.Device]), winner.TrueMs!.Value, 1e-9);
                if (!winner.BreaksBudget(row.BudgetMs))
                {
                    Assert.InRange(winner.Regret!.Value, 0, 1); // only a winner over the budget can beat the best that truly fits
                }
                // Whole-space search maximises MACs under the same budget: it must beat the pool's winner, which is one of 4,100.
                double poolMacs = FbnetSpace.Instance.Features(FbnetSpace.Instance.Parse(winner.Architecture!), Dataset.Cifar100).Macs;
                Assert.True(row.EvolutionBest > poolMacs * 0.98, $"{row.Device} p{row.Percentile}: evolution {row.EvolutionBest} against the pool's {poolMacs}");
            }
        }
        foreach (var summary in result.Breaks)
        {
            var rows = result.Rows.Where(r => r.Percentile == summary.Percentile).ToList();
            Assert.Equal(rows.Count(r => r.Pool.TrueMs > r.BudgetMs), summary.Breaks);
            Assert.Equal(rows.Count, summary.Winners);
        }
        foreach (var curve in result.Progress.GroupBy(p => (p.Strategy, p.Percentile)))
        {
            var values = curve.OrderBy(p => p.Evaluations).Select(p => p.RelativeObjective).ToList();
            Assert.Equal(values.Order(), values);
            Assert.All(values, v => Assert.InRange(v, 0, 1));
        }
        Assert.Equal(BudgetSearchBenchmark.Checkpoints(500), result.Progress.Select(p => p.Evaluations).Distinct());
        Assert.Equal(["budget-search.csv", "objective-vs-evaluations.csv", "objective-vs-evaluations.png", "objective-vs-evaluations.svg"],
            result.Files.Select(Path.GetFileName));
        Assert.Equal(1 + result.Rows.Count, File.ReadAllLines(Path.Combine(folder, "budget-search.csv")).Length);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, File.ReadAllBytes(Path.Combine(folder, "objective-vs-evaluations.png"))[..4]);
    }

    [Fact]
    public void Checkpoints_follow_a_1_2_5_series_and_end_at_the_evaluations()
    {
        Assert.Equal([10, 20, 50, 100, 200, 500, 1_000], BudgetSearchBenchmark.Checkpoints(1_000));
        Assert.Equal([10, 20, 50, 100, 200, 300], BudgetSearchBenchmark.Checkpoints(300));
    }

    [Fact]
    public void A_device_not_measured_on_the_space_is_bad_input_before_any_work()
    {
        var store = new StoreLocation(_directory.File("profiles/latnas.db"));
        new ImportUseCase().Run(new ImportRequest(SharedData.File(Table), FbnetSpace.Instance, Dataset.Cifar100, store, ArchitectureColumn: "ops", Columns: ["raspi4"]));

        var error = Assert.ThrowsAny<LatencyNasException>(() => new BudgetSearchBenchmark().Run(
            new BudgetSearchRequest(FbnetSpace.Instance, ["pixel3"], "macs", store, Out: _directory.File("never"))));

        Assert.Contains("pixel3", error.Message);
        Assert.False(Directory.Exists(_directory.File("never")));
    }
}

/// <summary>Pareto-front re-use with a computed objective, on a space that has no accuracies: FBNet's MACs.</summary>
public sealed class ComputedObjectiveParetoTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Pareto_reuse_takes_macs_on_fbnet_and_the_true_front_is_judged_on_the_target_s_measurements()
    {
        var store = new StoreLocation(_directory.File("profiles/latnas.db"));
        new ImportUseCase().Run(new ImportRequest(SharedData.File("fbnet_help_latency_ms.csv"), FbnetSpace.Instance, Dataset.Cifar100, store, ArchitectureColumn: "ops",
            Columns: ["pixel3", "raspi4"]));
        var rows = SharedData.ReadCsv("fbnet_help_latency_ms.csv");

        var result = new ParetoUseCase().Run(new ParetoRequest("pixel3", "raspi4", "macs", FbnetSpace.Instance, store));

        var reuse = Assert.Single(result.Fronts);
        Assert.Equal(5_000, reuse.Candidates);
        // The true front, computed here: no architecture is both faster on raspi4 and bigger in MACs than a member.
        var points = rows.Select(r => (Ops: r["ops"], Ms: SharedData.Number(r["raspi4"]),
            Macs: (double)FbnetSpace.Instance.Features(FbnetSpace.Instance.Parse(r["ops"]), Dataset.Cifar100).Macs)).ToList();
        int trueFront = points.Count(p => !points.Any(o => o.Ms <= p.Ms && o.Macs >= p.Macs && (o.Ms < p.Ms || o.Macs > p.Macs)));
        Assert.Equal(trueFront, reuse.TrueFront);
        Assert.InRange(reuse.HypervolumeRatio, 0.5, 1.0);
    }
}
