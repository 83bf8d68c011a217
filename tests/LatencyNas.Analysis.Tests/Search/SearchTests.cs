using LatencyNas.Analysis.Search;
using LatencyNas.Core.Spaces;
using LatencyNas.Core.Spaces.Nb201;
using LatencyNas.Prediction;

namespace LatencyNas.Analysis.Tests.Search;

[Collection(RealTablesCollection.Name)]
public sealed class SearchTests(RealTables shared)
{
    /// <summary>A 3-decision space small enough to check by hand.</summary>
    private sealed class TinySpace : SearchSpace
    {
        public override string Name => "tiny";

        public override IReadOnlyList<Decision> Decisions { get; } =
            [new("a", ["0", "1", "2"]), new("b", ["0", "1", "2"]), new("c", ["0", "1"])];

        public override IReadOnlyList<Dataset> Datasets => [Dataset.Cifar10];

        public override string Format(Architecture architecture) => architecture.Digits;

        protected override Architecture ParseLongForm(string text) => throw new Core.InvalidInputException("tiny has only digits");

        public override ArchitectureFeatures Features(Architecture architecture, Dataset dataset) => new(0, 0, [], false, []);
    }

    private sealed class FunctionLatency(Func<Architecture, double> latency) : ILatencyEstimator
    {
        public string Description => "synthetic";

        public double[] Predict(IReadOnlyList<Architecture> architectures) => architectures.Select(latency).ToArray();
    }

    [Fact]
    public void Exhaustive_search_returns_the_true_constrained_optimum_of_a_small_space()
    {
        var space = new TinySpace();
        var latency = new FunctionLatency(a => a[0] + 2.0 * a[1] + 0.5 * a[2]);
        var objective = new ComputedObjective("score", archs => archs.Select(a => 10.0 * a[0] + 7.0 * a[1] + 3.0 * a[2]).ToArray());
        var result = new ExhaustiveSearch().Search(new SearchProblem(space, latency, objective, MaxLatencyMs: 3.0), budget: 0, seed: 0);

        // By hand: the feasible (latency ≤ 3) maximum is a=2, b=0, c=1 → latency 2.5, score 23.
        Assert.Equal("201", result.Best!.Architecture.Digits);
        Assert.Equal(23, result.Best.Objective);
        Assert.Equal(18, result.Evaluations);
    }

    [Fact]
    public void Nothing_fits_a_budget_below_every_latency()
    {
        var space = new TinySpace();
        var latency = new FunctionLatency(a => 1 + a[0]);
        var objective = new ComputedObjective("score", archs => archs.Select(_ => 1.0).ToArray());
        foreach (var strategy in new ISearchStrategy[] { new ExhaustiveSearch(), new RandomSearch(), new RegularizedEvolution { PopulationSize = 8, TournamentSize = 3, BatchSize = 4 } })
        {
            var result = strategy.Search(new SearchProblem(space, latency, objective, MaxLatencyMs: 0.5), budget: 18, seed: 1);
            Assert.Null(result.Best);
        }
    }

    [Fact]
    public void Evolution_finds_the_exhaustive_optimum_on_nb201_with_table_latency_and_accuracy_within_3000_evaluations()
    {
        var latency = new MeasuredLatencies(shared.Device("pixel3"));
        var accuracy = new TableObjective("cifar10_test_acc", shared.Accuracy);
        var problem = new SearchProblem(Nb201Space.Instance, latency, accuracy, MaxLatencyMs: 10.0);
        var optimum = new ExhaustiveSearch().Search(problem, 0, 0);
        Assert.Equal(15_625, optimum.Evaluations);

        var first = new RegularizedEvolution().Search(problem, budget: 3_000, seed: 7);
        var again = new RegularizedEvolution().Search(problem, budget: 3_000, seed: 7);
        Assert.Equal(optimum.Best!.Objective, first.Best!.Objective);
        Assert.True(first.Best.LatencyMs <= 10.0);
        Assert.True(first.Evaluations <= 3_000);
        Assert.Equal(first.Best.Architecture, again.Best!.Architecture); // seeded: deterministic
        Assert.Equal(first.Evaluations, again.Evaluations);
    }

    [Fact]
    public void Random_search_spends_exactly_its_budget()
    {
        var latency = new MeasuredLatencies(shared.Device("pixel3"));
        var accuracy = new TableObjective("cifar10_test_acc", shared.Accuracy);
        var result = new RandomSearch().Search(new SearchProblem(Nb201Space.Instance, latency, accuracy, 20.0), budget: 300, seed: 2);
        Assert.Equal(300, result.Evaluations);
        Assert.NotNull(result.Best);
    }
}
