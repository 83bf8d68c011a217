using LatencyNas.Analysis.Search;
using LatencyNas.Core.Spaces;
using LatencyNas.Core.Spaces.Fbnet;
using LatencyNas.Prediction;

namespace LatencyNas.Analysis.Tests.Search;

/// <summary>
/// A search problem in FBNet whose exact optimum is known. Every FBNet layer's widths, stride and
/// resolution are fixed by its position, so an additive per-block latency table and MACs are both a
/// constant plus one term per (layer, block): the best MACs within a latency budget is a
/// multiple-choice knapsack, solved here exactly by dynamic programming over whole 0.01 ms units.
/// The cost table is raspi4's (HW-NAS-Bench sums per-block measurements for it), fitted to its 5,000
/// HELP latencies and rounded to 0.01 ms; the budget is the median of those 5,000, so it binds.
/// </summary>
[Collection(RealTablesCollection.Name)]
public sealed class FbnetKnapsackSearchTests(RealTables shared)
{
    private static readonly FbnetSpace Space = FbnetSpace.Instance;
    private static readonly Dataset Cifar100 = Dataset.Cifar100;
    private const int Layers = 22, Blocks = 9;

    /// <summary>Latency (ms) as whole 0.01 ms units: a constant plus a cost per (layer, block).</summary>
    private sealed class BlockCostTable(int baseUnits, int[,] costs) : ILatencyEstimator
    {
        public int BaseUnits => baseUnits;

        public int Cost(int layer, int block) => costs[layer, block];

        public string Description => "per-block cost table (0.01 ms units)";

        public int Units(Architecture architecture)
        {
            int units = baseUnits;
            for (int layer = 0; layer < Layers; layer++)
            {
                units += costs[layer, architecture[layer]];
            }
            return units;
        }

        public double[] Predict(IReadOnlyList<Architecture> architectures) => architectures.Select(a => Units(a) / 100.0).ToArray();

        /// <summary>A device's additive weights, each layer shifted so its cheapest block costs 0, rounded to 0.01 ms.</summary>
        public static BlockCostTable FitTo(LatencyData device)
        {
            var fit = AdditivePredictor.Fit(new FeatureEncoder(Space, device.Dataset), device.Architectures, device.LatenciesMs);
            var costs = new int[Layers, Blocks];
            double constant = fit.Bias;
            for (int layer = 0; layer < Layers; layer++)
            {
                double cheapest = Enumerable.Range(0, Blocks).Min(block => fit.Weights[layer * Blocks + block]);
                constant += cheapest;
                for (int block = 0; block < Blocks; block++)
                {
                    costs[layer, block] = (int)Math.Round(100 * (fit.Weights[layer * Blocks + block] - cheapest));
                }
            }
            return new BlockCostTable((int)Math.Round(100 * constant), costs);
        }
    }

    /// <summary>MACs as the all-skip network's plus each layer's change from skip to its block, measured by differencing the space's own features.</summary>
    private sealed class LayerMacs
    {
        private readonly long[,] _ofBlock = new long[Layers, Blocks];

        public LayerMacs()
        {
            var allSkip = Space.FromDigits(new string('8', Layers));
            Constant = Space.Features(allSkip, Cifar100).Macs;
            for (int layer = 0; layer < Layers; layer++)
            {
                for (int block = 0; block < Blocks; block++)
                {
                    _ofBlock[layer, block] = Space.Features(allSkip.With(layer, block), Cifar100).Macs - Constant;
                }
            }
        }

        public long Constant { get; }

        public long Of(int layer, int block) => _ofBlock[layer, block];

        public long Of(Architecture architecture) => Constant + Enumerable.Range(0, Layers).Sum(layer => _ofBlock[layer, architecture[layer]]);
    }

    /// <summary>The most MACs within <paramref name="budgetUnits"/> (exactly one block per layer) and an architecture that has them.</summary>
    private static (long Macs, Architecture Architecture) Knapsack(BlockCostTable table, LayerMacs macs, int budgetUnits)
    {
        int capacity = budgetUnits - table.BaseUnits;
        // best[l][c]: most layer MACs of layers 0..l-1 costing at most c units (long.MinValue: impossible).
        var best = new long[Layers + 1][];
        best[0] = new long[capacity + 1];
        for (int layer = 0; layer < Layers; layer++)
        {
            var next = best[layer + 1] = new long[capacity + 1];
            for (int c = 0; c <= capacity; c++)
            {
                next[c] = long.MinValue;
                for (int block = 0; block < Blocks; block++)
                {
                    int cost = table.Cost(layer, block);
                    if (cost <= c && best[layer][c - cost] != long.MinValue)
                    {
                        next[c] = Math.Max(next[c], best[layer][c - cost] + macs.Of(layer, block));
                    }
                }
            }
        }
        var digits = new char[Layers];
        int left = capacity;
        for (int layer = Layers - 1; layer >= 0; layer--)
        {
            int block = Enumerable.Range(0, Blocks).First(b => table.Cost(layer, b) <= left && best[layer][left - table.Cost(layer, b)] != long.MinValue
                                                             && best[layer][left - table.Cost(layer, b)] + macs.Of(layer, b) == best[layer + 1][left]);
            digits[layer] = (char)('0' + block);
            left -= table.Cost(layer, block);
        }
        return (macs.Constant + best[Layers][capacity], Space.FromDigits(new string(digits)));
    }

    private (BlockCostTable Table, LayerMacs Macs, int BudgetUnits, long Optimum, Architecture Best) Problem()
    {
        var raspi4 = shared.FbnetDevice("raspi4");
        var table = BlockCostTable.FitTo(raspi4);
        int[] units = raspi4.Architectures.Select(table.Units).Order().ToArray();
        int budget = units[units.Length / 2];
        var macs = new LayerMacs();
        var (optimum, best) = Knapsack(table, macs, budget);
        return (table, macs, budget, optimum, best);
    }

    /// <summary>Half a unit above the budget, so rounding in units / 100 cannot decide what fits.</summary>
    private static double BudgetMs(int units) => (units + 0.5) / 100;

    [Fact]
    public void Fbnet_macs_are_the_all_skip_networks_plus_a_term_per_layer_and_block()
    {
        var macs = new LayerMacs();
        foreach (var architecture in Space.SampleDistinct(2_000, seed: 3).Append(Space.FromDigits(new string('7', Layers))))
        {
            Assert.Equal(Space.Features(architecture, Cifar100).Macs, macs.Of(architecture));
        }
        Assert.All(Enumerable.Range(0, Layers), layer => Assert.True(macs.Of(layer, 7) > macs.Of(layer, 0), $"layer {layer + 1}: k5_e6 has no more MACs than k3_e1"));
    }

    [Fact]
    public void The_knapsack_optimum_fills_the_median_raspi4_budget_and_no_measured_architecture_within_it_has_more_macs()
    {
        var (table, macs, budget, optimum, best) = Problem();
        var raspi4 = shared.FbnetDevice("raspi4");

        // The rounded table is raspi4: at most 22 roundings of 0.005 ms plus the fit's 0.001 ms.
        double worst = raspi4.Architectures.Zip(raspi4.LatenciesMs).Max(p => Math.Abs(table.Units(p.First) / 100.0 - p.Second));
        Assert.True(worst <= 0.111, $"the table misses raspi4 by up to {worst} ms");
        // The optimum the DP names is real: it fits, and the space's own MACs are the DP's.
        Assert.True(table.Units(best) <= budget);
        Assert.Equal(optimum, Space.Features(best, Cifar100).Macs);
        // The budget binds: the block with the most MACs in every layer does not fit.
        var greediest = Space.FromDigits(string.Concat(Enumerable.Range(0, Layers).Select(l => (char)('0' + Enumerable.Range(0, Blocks).MaxBy(b => macs.Of(l, b))))));
        Assert.True(table.Units(greediest) > budget, $"{Space.Format(greediest)} fits {budget}");
        // Nothing measured beats it: half of the 5,000 fit, none with more MACs.
        var fitting = raspi4.Architectures.Where(a => table.Units(a) <= budget).ToList();
        Assert.InRange(fitting.Count, 2_500, 2_600);
        Assert.All(fitting, a => Assert.True(Space.Features(a, Cifar100).Macs <= optimum, a.Digits));
    }

    /// <summary>
    /// With the same 20,000 evaluations (of 9^22 ≈ 10^21 members), evolution ends
    /// 4.4–10.7% short of the optimum's MACs over seeds 0–4 (mean 6.9%), random search 12.0–16.5%
    /// (mean 14.9%), and evolution is ahead on every seed.
    /// </summary>
    [Fact]
    public void Evolution_beats_random_search_on_the_fbnet_knapsack_with_the_same_20000_evaluations()
    {
        var (table, _, budget, optimum, _) = Problem();
        var problem = new SearchProblem(Space, table, ComputedObjective.Analytic("macs", Space, Cifar100), BudgetMs(budget));
        var evolutionGaps = new List<double>();
        var randomGaps = new List<double>();
        for (int seed = 0; seed < 5; seed++)
        {
            var evolved = new RegularizedEvolution().Search(problem, 20_000, seed);
            var random = new RandomSearch().Search(problem, 20_000, seed);
            foreach (var outcome in new[] { evolved, random })
            {
                Assert.Equal(20_000, outcome.Evaluations);
                Assert.True(table.Units(outcome.Best!.Architecture) <= budget);
                Assert.True(outcome.Best.Objective <= optimum, $"{outcome.Strategy} found {outcome.Best.Objective} MACs within the budget, above the exact optimum {optimum}");
            }
            Assert.True(evolved.Best!.Objective > random.Best!.Objective, $"seed {seed}: evolution {evolved.Best.Objective} MACs, random {random.Best.Objective}");
            evolutionGaps.Add(Gap(evolved, optimum));
            randomGaps.Add(Gap(random, optimum));
        }
        string gaps = $"short of the optimum by: evolution {string.Join(", ", evolutionGaps.Select(g => g.ToString("P1")))}; random {string.Join(", ", randomGaps.Select(g => g.ToString("P1")))}";
        Assert.True(evolutionGaps.Max() <= 0.12, gaps);
        Assert.True(evolutionGaps.Average() <= 0.08, gaps);
        Assert.True(randomGaps.Average() >= 1.5 * evolutionGaps.Average(), gaps);
    }

    /// <summary>
    /// Evolution does not reach the exact optimum, even with 100,000 evaluations: seeds 0–2 end 1.4%,
    /// 2.5% and 1.0% short (5 of them: 1.0–2.5%). At the optimum the budget is full, so every further gain
    /// needs a cheaper block in one layer and a dearer one in another at once; one-decision mutation
    /// makes such pairs only after a parent's one-step neighbours are all known, one of 22·21/2·64 ≈ 15,000
    /// pairs at random. Hence a tolerance of 3% rather than equality; a broken evolution stays
    /// where random search is (12–16% short).
    /// </summary>
    [Fact]
    public void Evolution_with_100000_evaluations_comes_within_3_percent_of_the_exact_fbnet_knapsack_optimum()
    {
        var (table, _, budget, optimum, _) = Problem();
        var problem = new SearchProblem(Space, table, ComputedObjective.Analytic("macs", Space, Cifar100), BudgetMs(budget));
        for (int seed = 0; seed < 3; seed++)
        {
            var evolved = new RegularizedEvolution().Search(problem, 100_000, seed);
            Assert.True(table.Units(evolved.Best!.Architecture) <= budget);
            Assert.InRange(evolved.Best.Objective, (1 - 0.03) * optimum, optimum);
        }
    }

    /// <summary>
    /// Shrinking from all-k5_e6 by MACs lost per millisecond saved is the greedy order of this knapsack:
    /// it stops by itself within the budget after 5,248 evaluations, at the exact optimum (92,998,784
    /// MACs), where evolution given those evaluations ends 11.8% short. The test allows 1%.
    /// </summary>
    [Fact]
    public void Shrinking_search_comes_close_to_the_exact_fbnet_knapsack_optimum_and_beats_evolution_on_the_same_evaluations()
    {
        var (table, _, budget, optimum, _) = Problem();
        var problem = new SearchProblem(Space, table, ComputedObjective.Analytic("macs", Space, Cifar100), BudgetMs(budget));
        var shrunk = new ShrinkingSearch().Search(problem, 100_000, seed: 0);
        Assert.True(table.Units(shrunk.Best!.Architecture) <= budget);
        Assert.True(shrunk.Evaluations < 100_000, "shrinking should stop by itself");
        var evolved = new RegularizedEvolution().Search(problem, shrunk.Evaluations, seed: 0);
        string report = $"shrink {Gap(shrunk, optimum):P2} short in {shrunk.Evaluations} evaluations; evolution {Gap(evolved, optimum):P2}";
        Assert.True(Gap(shrunk, optimum) <= 0.01, report);
        Assert.True(shrunk.Best.Objective > evolved.Best!.Objective, report);
    }

    private static double Gap(SearchOutcome outcome, long optimum) => (optimum - outcome.Best!.Objective) / optimum;
}
