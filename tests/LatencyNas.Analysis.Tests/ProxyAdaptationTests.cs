using LatencyNas.Core.Spaces;
using LatencyNas.Core.Spaces.Nb201;
using LatencyNas.Core.Statistics;
using LatencyNas.Prediction;
using LatencyNas.Tests;

namespace LatencyNas.Analysis.Tests;

[Collection(RealTablesCollection.Name)]
public sealed class ProxyAdaptationTests(RealTables shared)
{
    private static LatencyData Additive(string name, Func<int, int, double> cost, double baseMs)
    {
        var architectures = Nb201Space.Instance.Enumerate().ToArray();
        var latencies = architectures.Select(a => baseMs + Enumerable.Range(0, 6).Sum(e => cost(e, a[e]))).ToArray();
        return new LatencyData(name, Nb201Space.Instance, Dataset.Cifar10, architectures, latencies);
    }

    [Fact]
    public void Rescaling_recovers_a_target_made_by_rescaling_the_proxy_op_costs()
    {
        double[] proxyOps = [0.0, 0.02, 0.20, 0.60, 0.10];
        // The target is the proxy with op costs rescaled unevenly (1×1 convolutions cheaper, pooling dearer), plus a fixed overhead.
        double[] targetScale = [1.0, 1.2, 0.7, 1.6, 3.0];
        var proxy = Additive("proxy", (e, op) => proxyOps[op] * (1 + 0.1 * e), 0.5);
        var target = Additive("target", (e, op) => proxyOps[op] * targetScale[op] * (1 + 0.1 * e), 0.9);

        // Five draws of K = 20 target samples: the mean SRCC after adaptation reaches 0.99, no draw falls far short.
        var after = Enumerable.Range(0, 5)
            .Select(seed => AdaptationExperiment.Run(proxy, target, samples: 20, seed, [AdaptationMethod.Rescale]))
            .ToList();
        Assert.All(after, r => Assert.True(r.SrccProxyMeasured < 0.96, $"the target should rank differently (SRCC {r.SrccProxyMeasured:F3})"));
        var srcc = after.Select(r => Assert.Single(r.Outcomes).Metrics.Srcc).ToList();
        Assert.True(srcc.Average() >= 0.99, $"SRCC after: {string.Join(", ", srcc.Select(s => s.ToString("F4")))}");
        Assert.All(srcc, s => Assert.True(s >= 0.98, $"SRCC after {s:F4}"));
    }

    [Theory]
    [InlineData("eyeriss")]
    [InlineData("fpga")]
    public void Adaptation_with_70_samples_lifts_the_accelerators_above_0_95(string target)
    {
        var report = AdaptationExperiment.Run(shared.Device("pixel3"), shared.Device(target), samples: 70, seed: 0,
            [AdaptationMethod.Rescale, AdaptationMethod.ProxyFeature]);
        Assert.True(report.SrccProxyMeasured < 0.95, $"before {report.SrccProxyMeasured:F4}");
        Assert.True(report.Best.Metrics.Srcc >= 0.95, $"{target}: after {string.Join(", ", report.Outcomes.Select(o => $"{o.Method} {o.Metrics.Srcc:F4}"))}");
        Assert.Equal(15_625 - 70, report.Test);
    }

    /// <summary>
    /// titan_rtx_1 adapted to the EAGLE i7 from 3 samples (seed 0): the free scale of rescaling came out
    /// negative and the adapted ranking was the proxy's reversed (SRCC −0.31 against 0.32 unadapted).
    /// </summary>
    [Fact]
    public void A_few_samples_never_reverse_the_proxys_ranking()
    {
        var report = AdaptationExperiment.Run(shared.Device("titan_rtx_1"), shared.Device("desktop_cpu_i7_7820x_fp32"), samples: 3, seed: 0,
            [AdaptationMethod.Rescale, AdaptationMethod.ProxyFeature]);
        foreach (var outcome in report.Outcomes)
        {
            Assert.True(outcome.Metrics.Srcc >= report.SrccProxyMeasured - 0.02, $"{outcome.Method}: {outcome.Metrics.Srcc:F4} against {report.SrccProxyMeasured:F4} before ({outcome.Description})");
        }
    }

    [Fact]
    public void Device_mix_uses_other_devices_and_beats_the_single_proxy_with_ten_samples()
    {
        var others = new[] { "pixel3", "raspi4", "gold_6226", "titan_rtx_1", "samsung_a50", "fpga" }.Select(shared.Device).ToList();
        var report = AdaptationExperiment.Run(shared.Device("pixel3"), shared.Device("eyeriss"), samples: 10, seed: 1,
            [AdaptationMethod.Rescale, AdaptationMethod.DeviceMix], others);
        var mix = report.Outcomes.Single(o => o.Method == AdaptationMethod.DeviceMix);
        Assert.Contains("mix of", mix.Description);
        Assert.True(mix.Metrics.Srcc > report.SrccProxyMeasured, $"mix {mix.Metrics.Srcc:F4} vs proxy {report.SrccProxyMeasured:F4}");
    }

    [Fact]
    public void Five_samples_where_the_devices_disagree_mix_eyeriss_better_than_the_proxy_ranks_it_where_random_ones_may_not()
    {
        var others = EveryDevice(); // as `adapt --targets all` mixes them
        AdaptationReport Run(int seed, TargetSampling sampling) => AdaptationExperiment.Run(shared.Device("pixel3"), shared.Device("eyeriss"), samples: 5, seed,
            [AdaptationMethod.DeviceMix], others, sampling);
        double Mixed(AdaptationReport report) => report.Outcomes.Single().Metrics.Srcc;

        var diverse = Enumerable.Range(0, 3).Select(seed => Run(seed, TargetSampling.Diverse)).ToList();
        var random = Enumerable.Range(0, 3).Select(seed => Run(seed, TargetSampling.Random)).ToList();
        Assert.All(diverse, r => Assert.True(Mixed(r) > r.SrccProxyMeasured + 0.1, $"diverse mix {Mixed(r):F4} against the proxy's {r.SrccProxyMeasured:F4}"));
        Assert.True(diverse.Min(Mixed) > random.Min(Mixed), $"worst diverse {diverse.Min(Mixed):F4}, worst random {random.Min(Mixed):F4}");
        Assert.Contains(random, r => Mixed(r) < r.SrccProxyMeasured); // seed 1 draws five the mix cannot use
    }

    private IReadOnlyList<LatencyData> EveryDevice()
        => File.ReadLines(SharedData.File("nb201_help_latency_ms.csv")).First().Split(',').Skip(3).Append("desktop_cpu_i7_7820x_fp32").Select(shared.Device).ToList();

    [Fact]
    public void The_known_devices_models_as_a_prior_rank_eyeriss_from_ten_samples_where_no_mix_of_devices_does()
    {
        var report = AdaptationExperiment.Run(shared.Device("pixel3"), shared.Device("eyeriss"), samples: 10, seed: 0,
            [AdaptationMethod.DeviceMix, AdaptationMethod.DevicePrior], EveryDevice());
        double mix = report.Outcomes.Single(o => o.Method == AdaptationMethod.DeviceMix).Metrics.Srcc;
        var prior = report.Outcomes.Single(o => o.Method == AdaptationMethod.DevicePrior);
        Assert.True(prior.Metrics.Srcc > 0.97 && prior.Metrics.Srcc > mix + 0.05, $"prior {prior.Metrics.Srcc:F4}, mix {mix:F4}");
        Assert.Contains("prior of 27 known devices' models", prior.Description);
        Assert.Contains("0.7 : 0.3 with the non-negative mix", prior.Description);
    }

    /// <summary>
    /// The HELP devices compute every edge of a cell; the EAGLE i7 only the live ones, and this project's export those reaching the
    /// output. Ten samples drawn where the known devices disagree — as measured, and as their models price other edges computed —
    /// tell the prior which, and the EAGLE i7 is ranked far better than any mix of the HELP devices ranks it.
    /// </summary>
    [Fact]
    public void Ten_diverse_samples_tell_the_prior_which_edges_a_device_computes()
    {
        var every = EveryDevice();
        var i7 = AdaptationExperiment.Run(shared.Device("pixel3"), shared.Device("desktop_cpu_i7_7820x_fp32"), samples: 10, seed: 0,
            [AdaptationMethod.DeviceMix, AdaptationMethod.DevicePrior], every, TargetSampling.Diverse);
        var prior = i7.Outcomes.Single(o => o.Method == AdaptationMethod.DevicePrior);
        double mix = i7.Outcomes.Single(o => o.Method == AdaptationMethod.DeviceMix).Metrics.Srcc;
        Assert.Contains("computing only the live edges", prior.Description);
        Assert.DoesNotContain("with the non-negative mix", prior.Description);
        Assert.True(prior.Metrics.Srcc > 0.88 && prior.Metrics.Srcc > mix + 0.1, $"prior {prior.Metrics.Srcc:F4}, mix {mix:F4}");

        var eyeriss = AdaptationExperiment.Run(shared.Device("pixel3"), shared.Device("eyeriss"), samples: 10, seed: 0, [AdaptationMethod.DevicePrior], every,
            TargetSampling.Diverse);
        Assert.DoesNotContain("computing only", Assert.Single(eyeriss.Outcomes).Description);

        // gold_6226 as it would measure the networks this project exports: each architecture timed as its cell without the edges that reach no output.
        var gold = shared.Device("gold_6226");
        var goldOf = gold.Architectures.Zip(gold.LatenciesMs).ToDictionary(p => p.First.Digits, p => p.Second);
        var exported = new LatencyData("gold_6226-exported", gold.Space, gold.Dataset, gold.Architectures,
            gold.Architectures.Select(a => goldOf[WithoutEdgesReachingNoOutput(a)]).ToList());
        var others = every.Where(d => d.Device != gold.Device).ToList();
        var fit = new DevicePrior(Nb201Space.Instance, Dataset.Cifar10, others).Adapt(DisagreementSamples.Split(exported, others, 10, seed: 0).Known, drawnAtRandom: false)!;
        Assert.Equal(ComputedEdges.ReachingOutput, fit.ComputedEdges);
        Assert.True(RankCorrelation.Spearman(fit.Predict(exported.Architectures), exported.LatenciesMs) > 0.95);
    }

    /// <summary>
    /// Ten random samples of the EAGLE i7 (seed 2) show the prior that it computes only live edges; cross-validated, the choice
    /// went to the mix of the HELP devices (0.754 against the prior's 0.892). A target that computes other edges than the
    /// known devices goes to the prior; one that computes every edge, like eyeriss, is cross-validated as before.
    /// </summary>
    [Fact]
    public void Random_samples_that_show_a_target_computing_fewer_edges_choose_the_prior()
    {
        var all = Enum.GetValues<AdaptationMethod>();
        var i7 = AdaptationExperiment.Run(shared.Device("pixel3"), shared.Device("desktop_cpu_i7_7820x_fp32"), samples: 10, seed: 2, all, EveryDevice());
        Assert.Equal(AdaptationMethod.DevicePrior, i7.Choice.Method);
        Assert.Equal(0, i7.Choice.Folds);
        Assert.Contains("only the live edges", i7.Choice.Reason);
        double mix = i7.Outcomes.Single(o => o.Method == AdaptationMethod.DeviceMix).Metrics.Srcc;
        Assert.True(i7.Chosen.Metrics.Srcc > mix + 0.1, $"prior {i7.Chosen.Metrics.Srcc:F4}, mix {mix:F4}");

        var eyeriss = AdaptationExperiment.Run(shared.Device("pixel3"), shared.Device("eyeriss"), samples: 10, seed: 2, all, EveryDevice());
        Assert.Equal(10, eyeriss.Choice.Folds);
    }

    private static string WithoutEdgesReachingNoOutput(Architecture architecture)
    {
        bool[] reaching = Nb201Cell.EdgesReachingOutput(architecture);
        return new string(architecture.Digits.Select((d, e) => reaching[e] ? d : '0').ToArray());
    }

    [Fact]
    public void The_device_prior_never_learns_from_the_target_itself_and_needs_two_other_devices()
    {
        var target = shared.Device("eyeriss");
        var samples = target.Split(10, seed: 2).Train;
        var known = new[] { "pixel3", "raspi4", "fpga", "gold_6226" }.Select(shared.Device).ToList();
        var architectures = target.Architectures.Take(500).ToList();
        var without = new DevicePrior(Nb201Space.Instance, Dataset.Cifar10, known).Adapt(samples)!.Predict(architectures);
        var with = new DevicePrior(Nb201Space.Instance, Dataset.Cifar10, [.. known, target]).Adapt(samples)!.Predict(architectures);
        Assert.Equal(without, with);

        var one = new DevicePrior(Nb201Space.Instance, Dataset.Cifar10, [shared.Device("pixel3"), target]);
        Assert.Null(one.Adapt(samples));
        var adapter = new ProxyAdapter(shared.Device("pixel3"), [target], needed: null, () => throw new InvalidOperationException());
        Assert.DoesNotContain(adapter.Choose(samples, Enum.GetValues<AdaptationMethod>()).Scores, s => s.Method == AdaptationMethod.DevicePrior);
    }

    [Fact]
    public void Ten_diverse_samples_go_to_the_known_devices_without_cross_validating_ten_random_ones_are_cross_validated()
    {
        var others = new[] { "pixel3", "raspi4", "gold_6226", "titan_rtx_1", "samsung_a50", "fpga" }.Select(shared.Device).ToList();
        var all = Enum.GetValues<AdaptationMethod>();
        var diverse = AdaptationExperiment.Run(shared.Device("pixel3"), shared.Device("eyeriss"), samples: 10, seed: 0, all, others, TargetSampling.Diverse);
        Assert.Equal(AdaptationMethod.DevicePrior, diverse.Choice.Method);
        Assert.Equal(0, diverse.Choice.Folds);
        Assert.Contains("not at random", diverse.Choice.Reason);
        var withoutPrior = AdaptationExperiment.Run(shared.Device("pixel3"), shared.Device("eyeriss"), samples: 10, seed: 0, all.Where(m => m != AdaptationMethod.DevicePrior).ToList(),
            others, TargetSampling.Diverse);
        Assert.Equal(AdaptationMethod.DeviceMix, withoutPrior.Choice.Method);
        var random = AdaptationExperiment.Run(shared.Device("pixel3"), shared.Device("eyeriss"), samples: 10, seed: 0, all, others);
        Assert.Equal(10, random.Choice.Folds);
    }

    [Fact]
    public void Diverse_samples_need_other_devices()
    {
        var error = Assert.Throws<Core.InvalidInputException>(() => AdaptationExperiment.Run(shared.Device("pixel3"), shared.Device("eyeriss"), samples: 5, seed: 0,
            [AdaptationMethod.Rescale], [shared.Device("eyeriss")], TargetSampling.Diverse));
        Assert.Contains("needs other devices", error.Message);
    }

    [Fact]
    public void Too_few_samples_are_bad_input()
        => Assert.Throws<Core.InvalidInputException>(() => ProxyAdaptation.Rescale(ProxyAdaptation.FitProxy(shared.Device("pixel3")),
            shared.Device("fpga").Subset([0, 1])));

    [Fact]
    public void The_samples_choose_rescaling_for_eyeriss_where_device_mixing_ranks_worse()
    {
        // The case an outside tester found with a fixed default: eyeriss, K = 70, seed 1 — device mixing
        // ranks the rest at 0.88 where rescaling the pixel3 proxy ranks them at 0.997.
        var others = new[] { "raspi4", "gold_6226", "titan_rtx_1", "samsung_a50", "fpga", "1080ti_1" }.Select(shared.Device).ToList();
        var report = AdaptationExperiment.Run(shared.Device("pixel3"), shared.Device("eyeriss"), samples: 70, seed: 1,
            [AdaptationMethod.Rescale, AdaptationMethod.ProxyFeature, AdaptationMethod.DeviceMix], others);
        var mix = report.Outcomes.Single(o => o.Method == AdaptationMethod.DeviceMix);
        Assert.True(mix.Metrics.Srcc < report.Best.Metrics.Srcc - 0.02, $"mix {mix.Metrics.Srcc:F4}, best {report.Best.Method} {report.Best.Metrics.Srcc:F4}");
        Assert.Equal(report.Best.Method, report.Choice.Method);
        Assert.Equal(10, report.Choice.Folds);
        Assert.Equal(3, report.Choice.Scores.Count);
        Assert.Contains("10-fold cross-validation on the 70 target samples", report.Choice.Reason);
    }

    [Fact]
    public void The_chosen_estimator_is_the_named_method_and_says_why()
    {
        var proxy = shared.Device("pixel3");
        var samples = shared.Device("fpga").Split(8, seed: 3).Train;
        var adapter = new ProxyAdapter(proxy, [shared.Device("raspi4"), shared.Device("eyeriss")], needed: null, () => throw new InvalidOperationException("pixel3 is measured everywhere"));
        var chosen = adapter.AdaptChosen(samples);
        var named = adapter.Adapt(chosen.Method, samples)!;
        var architectures = Nb201Space.Instance.Enumerate().Take(500).ToList();
        Assert.Equal(named.Predict(architectures), chosen.Predict(architectures));
        Assert.NotNull(chosen.Choice);
        Assert.Equal(8, chosen.Choice!.Folds); // leave-one-out
        Assert.Contains("leave-one-out cross-validation on the 8 target samples", chosen.Description);
        // The chosen method has the smallest held-out error of the three.
        Assert.Equal(chosen.Choice.Scores.MinBy(s => s.Mape)!.Method, chosen.Method);
    }

    [Fact]
    public void Leaving_the_proxy_as_it_is_keeps_its_ranking_at_the_scale_of_the_samples()
    {
        var proxy = shared.Device("pixel3");
        var samples = shared.Device("raspi4").Split(10, seed: 2).Train;
        var adapter = new ProxyAdapter(proxy, [], needed: null, () => throw new InvalidOperationException("pixel3 is measured everywhere"));

        var asIs = adapter.Adapt(AdaptationMethod.None, samples)!;

        var architectures = proxy.Architectures.Take(2_000).ToList();
        var proxyMs = new MeasuredLatencies(proxy).Predict(architectures);
        double scale = Descriptive.Median(samples.LatenciesMs.Zip(new MeasuredLatencies(proxy).Predict(samples.Architectures), (t, p) => t / p).ToList());
        var predicted = asIs.Predict(architectures);
        // The proxy times one factor (and the floor every adapted model keeps): its ranking, unchanged.
        Assert.All(predicted.Zip(proxyMs), p => Assert.Equal(Math.Max(p.Second * scale, asIs.FloorMs), p.First, 9));
        Assert.StartsWith("pixel3 (measured) as it is, scaled", asIs.Description);
    }

    [Fact]
    public void Where_the_samples_say_adapting_does_worse_the_default_leaves_the_proxy_alone()
    {
        // A target that ranks exactly as pixel3 does, 1.3 times slower: any method that moves the ranking can only lose.
        var proxy = shared.Device("pixel3");
        var target = new LatencyData("pixel3-slower", proxy.Space, proxy.Dataset, proxy.Architectures, proxy.LatenciesMs.Select(l => 1.3 * l).ToArray());
        var samples = target.Split(10, seed: 4).Train;
        var adapter = new ProxyAdapter(proxy, [shared.Device("raspi4"), shared.Device("eyeriss")], needed: null, () => throw new InvalidOperationException());

        var chosen = adapter.AdaptChosen(samples);

        Assert.Equal(AdaptationMethod.None, chosen.Method);
        Assert.Equal(Enum.GetValues<AdaptationMethod>().Length, chosen.Choice!.Scores.Count); // every method was a candidate
        double asIsError = chosen.Choice.Scores.Single(s => s.Method == AdaptationMethod.None).Mape;
        Assert.True(asIsError < 1e-9, $"held-out error of the proxy as it is: {asIsError}");
        Assert.All(chosen.Choice.Scores, s => Assert.True(s.Mape >= asIsError, $"{s.Method} {s.Mape}"));
        Assert.All(chosen.Predict(target.Architectures).Zip(target.LatenciesMs), p => Assert.Equal(Math.Max(p.Second, chosen.FloorMs), p.First, 9));
    }

    [Fact]
    public void Below_six_samples_device_mixing_is_used_where_it_can_mix_else_rescaling()
    {
        var proxy = shared.Device("pixel3");
        var five = shared.Device("fpga").Split(5, seed: 0).Train;
        var adapter = new ProxyAdapter(proxy, [shared.Device("raspi4")], needed: null, () => throw new InvalidOperationException());
        var choice = adapter.Choose(five, Enum.GetValues<AdaptationMethod>());
        Assert.Equal(AdaptationMethod.DeviceMix, choice.Method);
        Assert.Empty(choice.Scores);
        Assert.Contains("too few to cross-validate", choice.Reason);

        var alone = new ProxyAdapter(proxy, [], needed: null, () => throw new InvalidOperationException());
        Assert.Equal(AdaptationMethod.Rescale, alone.Choose(five, Enum.GetValues<AdaptationMethod>()).Method);
        var ten = shared.Device("fpga").Split(10, seed: 0).Train;
        Assert.DoesNotContain(alone.Choose(ten, Enum.GetValues<AdaptationMethod>()).Scores, s => s.Method == AdaptationMethod.DeviceMix);
        Assert.Throws<Core.InvalidInputException>(() => alone.Choose(ten, [AdaptationMethod.DeviceMix]));
    }
}
