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
    public void Of_architectures_tied_on_the_objective_the_search_returns_the_fastest_as_its_ranking_does()
    {
        // The objective counts only decision a; within a, the latency falls as b rises, so the last one evaluated of a tie is the fastest.
        var space = new TinySpace();
        var latency = new FunctionLatency(a => 10 + a[0] - 0.1 * a[1] - 0.01 * a[2]);
        var objective = new ComputedObjective("score", archs => archs.Select(a => (double)a[0]).ToArray());
        var result = new ExhaustiveSearch().Search(new SearchProblem(space, latency, objective, MaxLatencyMs: 100), budget: 0, seed: 0);
        Assert.Equal("221", result.Best!.Architecture.Digits);
        Assert.Same(result.Ranked[0], result.Best);
        Assert.Single(result.BestTrace, t => t.Objective == 2); // a tie broken by latency is not an improvement of the objective
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

    /// <summary>
    /// Five layers of four blocks each (1,024 members): block b of layer l costs b·w[l] ms and b MACs, and
    /// adds v[l]·√b to the objective, so each layer gains less for each further millisecond — a
    /// small knapsack whose optimum the test finds by listing every member.
    /// </summary>
    private sealed class LayeredSpace : SearchSpace
    {
        public static readonly double[] Weights = [1.0, 2.5, 0.7, 1.8, 1.2];
        public static readonly double[] Values = [3.0, 5.0, 1.0, 4.5, 2.0];

        public override string Name => "layered";

        public override IReadOnlyList<Decision> Decisions { get; } =
            Enumerable.Range(1, 5).Select(l => new Decision($"layer{l}", ["b0", "b1", "b2", "b3"])).ToArray();

        public override IReadOnlyList<Dataset> Datasets => [Dataset.Cifar10];

        public override string Format(Architecture architecture) => architecture.Digits;

        protected override Architecture ParseLongForm(string text) => throw new Core.InvalidInputException("layered has only digits");

        public override ArchitectureFeatures Features(Architecture architecture, Dataset dataset)
            => new(0, Enumerable.Range(0, 5).Sum(l => (long)architecture[l]), [], false, []);

        public static double Latency(Architecture a) => 0.5 + Enumerable.Range(0, 5).Sum(l => a[l] * Weights[l]);

        public static double Objective(Architecture a) => Enumerable.Range(0, 5).Sum(l => Values[l] * Math.Sqrt(a[l]));
    }

    [Theory]
    [InlineData(4.0)]
    [InlineData(7.5)]
    [InlineData(11.0)]
    public void Shrinking_search_reaches_the_known_optimum_of_a_small_space_from_its_costliest_member(double budget)
    {
        var space = new LayeredSpace();
        var problem = new SearchProblem(space, new FunctionLatency(LayeredSpace.Latency),
            new ComputedObjective("value", archs => archs.Select(LayeredSpace.Objective).ToArray()), budget);
        var optimum = new ExhaustiveSearch().Search(problem, 0, 0).Best!;

        var shrunk = new ShrinkingSearch().Search(problem, budget: 1_024, seed: 0);

        Assert.Equal("shrink", shrunk.Strategy);
        Assert.Equal(optimum.Objective, shrunk.Best!.Objective, 12);
        Assert.True(shrunk.Best.LatencyMs <= budget);
        Assert.True(shrunk.Evaluations < space.Size / 2, $"{shrunk.Evaluations} evaluations: no fewer than listing half the space");
    }

    [Fact]
    public void Shrinking_starts_from_the_costliest_member_and_stops_there_when_it_fits()
    {
        var space = new LayeredSpace();
        var problem = new SearchProblem(space, new FunctionLatency(LayeredSpace.Latency),
            new ComputedObjective("value", archs => archs.Select(LayeredSpace.Objective).ToArray()), MaxLatencyMs: 100);
        var outcome = new ShrinkingSearch().Search(problem, budget: 1_024, seed: 0);
        Assert.Equal("33333", outcome.Best!.Architecture.Digits);
        // The costliest member, then one refinement step over its 15 neighbours, none better.
        Assert.Equal(16, outcome.Evaluations);
        Assert.Equal(Nb201Space.Instance.Parse("333333"), ShrinkingSearch.Costliest(Nb201Space.Instance, ShrinkingSearch.ChoiceCosts(Nb201Space.Instance)));
        var fbnet = Core.Spaces.Fbnet.FbnetSpace.Instance;
        Assert.Equal(new string('7', 22), ShrinkingSearch.Costliest(fbnet, ShrinkingSearch.ChoiceCosts(fbnet)).Digits);
        Assert.Equal("k5_e6", Core.Spaces.Fbnet.FbnetSpace.Blocks[7].Name);
    }

    [Fact]
    public void Shrinking_search_spends_no_more_than_its_evaluation_budget_and_finds_nothing_below_every_latency()
    {
        var latency = new MeasuredLatencies(shared.Device("pixel3"));
        var accuracy = new TableObjective("cifar10_test_acc", shared.Accuracy);
        var tight = new ShrinkingSearch().Search(new SearchProblem(Nb201Space.Instance, latency, accuracy, 10.0), budget: 40, seed: 3);
        Assert.InRange(tight.Evaluations, 1, 40);
        var impossible = new ShrinkingSearch().Search(new SearchProblem(Nb201Space.Instance, latency, accuracy, 0.001), budget: 5_000, seed: 3);
        Assert.Null(impossible.Best);
    }
}
