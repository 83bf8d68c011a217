using LatencyNas.Analysis.Search;
using LatencyNas.Core;
using LatencyNas.Prediction;

namespace LatencyNas.Workflows.Tests;

[Collection(RealStoreCollection.Name)]
public sealed class StrategyBenchmarkTests(RealStore real)
{
    [Fact]
    public void Regret_is_measured_against_the_exhaustive_optimum_of_a_completely_measured_device_and_shrinking_spends_what_it_reports()
    {
        var result = new StrategyBenchmark().Run(new StrategyBenchmarkRequest(RealStore.Space, ["pixel3"], "cifar10_test_acc", real.Location, Evaluations: 300, Repeats: 2));

        Assert.Equal("optimum", result.Best);
        Assert.Equal(StrategyBenchmarkRequest.Percentiles.Count * 5, result.Rows.Count);
        var latency = new MeasuredLatencies(Load("pixel3"));
        var accuracy = new TableObjective("cifar10_test_acc", real.Accuracy);
        foreach (var row in result.Rows.Where(r => r.Strategy == "shrink"))
        {
            // Recomputed independently: the optimum by listing the space, and shrinking's own runs.
            var problem = new SearchProblem(RealStore.Space, latency, accuracy, row.BudgetMs);
            double optimum = new ExhaustiveSearch().Search(problem, 0, 0).Best!.Objective;
            var runs = Enumerable.Range(0, 2).Select(seed => new ShrinkingSearch().Search(problem, 300, seed)).ToList();
            Assert.Equal(runs.Average(r => r.Evaluations), row.MeanEvaluations);
            Assert.Equal(runs.Average(r => (optimum - r.Best!.Objective) / optimum), row.MeanRegret, 12);
            Assert.InRange(row.MeanRegret, 0, 0.05);
            var matched = result.Rows.Single(r => r.Percentile == row.Percentile && r.Strategy == "evolution (matched)");
            Assert.Equal(row.MeanEvaluations, matched.MeanEvaluations);
        }
        Assert.All(result.Rows.Where(r => r.Strategy is "evolution" or "random"), r => Assert.Equal(300, r.MeanEvaluations));
    }

    [Fact]
    public void An_unknown_objective_or_too_few_evaluations_is_bad_input()
    {
        Assert.Throws<InvalidInputException>(() => new StrategyBenchmark().Run(new StrategyBenchmarkRequest(RealStore.Space, ["pixel3"], "beauty", real.Location)));
        Assert.Throws<InvalidInputException>(() => new StrategyBenchmark().Run(new StrategyBenchmarkRequest(RealStore.Space, ["pixel3"], "macs", real.Location, Evaluations: 5)));
    }

    private LatencyData Load(string device)
    {
        using var store = real.Location.OpenExisting();
        return StoredLatencies.Load(store, device, RealStore.Space);
    }
}
