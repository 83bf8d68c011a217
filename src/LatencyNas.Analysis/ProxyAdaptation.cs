using LatencyNas.Core;
using LatencyNas.Core.Spaces;
using LatencyNas.Core.Statistics;
using LatencyNas.Prediction;

namespace LatencyNas.Analysis;

/// <summary>The ways a proxy's knowledge is carried to a target from a few target measurements.</summary>
public enum AdaptationMethod
{
    /// <summary>
    /// No adaptation: the proxy as it is (measured, else predicted), scaled by the median of target ÷ proxy over
    /// the samples so its error can be compared; it ranks the target exactly as the proxy does. A candidate of
    /// the cross-validation, so that the default never adapts where the samples say adapting does worse.
    /// </summary>
    None,

    /// <summary>
    /// "One Proxy Device Is Enough": the proxy's additive weights rescaled, w_t = w ⊙ (a + b) + c,
    /// a and c free, b penalised by λ‖b‖² (λ by leave-one-out on the K samples).
    /// </summary>
    Rescale,

    /// <summary>
    /// The proxy's best predictor as a feature of a small target model: log t = α·log p(x) + β + Σ γ·onehot,
    /// γ penalised (λ by leave-one-out). Carries what the proxy's additive model cannot (pruned dead cells, fusions).
    /// </summary>
    ProxyFeature,

    /// <summary>
    /// The target as a non-negative mix of every other known device's latencies (NNLS on the K samples);
    /// uses more than the one proxy, so it needs those devices' latencies on the architectures asked for.
    /// </summary>
    DeviceMix,

    /// <summary>
    /// The target's own additive model, its weights drawn toward what the known devices' additive models look like
    /// (<see cref="Analysis.DevicePrior"/>), blended 0.7 : 0.3 with the device mix where the store can mix.
    /// </summary>
    DevicePrior,
}

/// <summary>An adapted latency model for the target; like a trained predictor, it never predicts below the floor of its samples.</summary>
public sealed class AdaptedEstimator(
    AdaptationMethod method, string description, Func<IReadOnlyList<Architecture>, double[]> predict, double? lambda, double floorMs, AdaptationChoice? choice = null)
    : ILatencyEstimator
{
    public AdaptationMethod Method { get; } = method;

    public string Description { get; } = choice is null ? description : $"{description}; {choice.Reason}";

    /// <summary>The penalty chosen on the target samples, where the method has one.</summary>
    public double? Lambda { get; } = lambda;

    /// <summary>The lowest latency it returns: <see cref="LatencyFloor"/> of the target samples.</summary>
    public double FloorMs { get; } = floorMs;

    /// <summary>Why this method, when it was chosen by cross-validation rather than named.</summary>
    public AdaptationChoice? Choice { get; } = choice;

    public double[] Predict(IReadOnlyList<Architecture> architectures) => LatencyFloor.Apply(predict(architectures), FloorMs);

    internal AdaptedEstimator WithChoice(AdaptationChoice made) => new(Method, Description, predict, Lambda, FloorMs, made);
}

/// <summary>One method's score in the cross-validation on the K target samples: its held-out predictions pooled over the folds.</summary>
/// <param name="Srcc">SRCC of the pooled held-out predictions against the samples.</param>
/// <param name="Mape">Mean absolute percentage error of the same predictions.</param>
public sealed record CrossValidationScore(AdaptationMethod Method, double Srcc, double Mape);

/// <summary>The method the K target samples chose, and the scores that chose it (none when K is too small to cross-validate).</summary>
public sealed record AdaptationChoice(AdaptationMethod Method, int Folds, IReadOnlyList<CrossValidationScore> Scores, string Reason);

/// <summary>
/// Adapts one proxy to a target from samples of the target, by a named method or by the one the
/// samples choose. Each piece it adapts from (the proxy's additive model, the devices that can be
/// mixed) is built once however often it adapts — the folds of a cross-validation adapt ten times.
/// </summary>
/// <param name="others">Known devices for <see cref="AdaptationMethod.DeviceMix"/> (the target itself is skipped).</param>
/// <param name="needed">Architectures the adapted model will be asked about; device mixing can use only devices
/// measured on all of them (null: the whole space).</param>
/// <param name="proxyPredictor">Builds a predictor of the proxy, for architectures it was never measured on (called at most once).</param>
/// <param name="drawnAtRandom">
/// False for samples chosen where the known devices disagree (<see cref="DisagreementSamples"/>). Such samples tell which edges an NB201
/// target computes on less evidence (<see cref="DevicePrior.Adapt"/>), and <see cref="Choose"/> does not cross-validate them: leave-one-out
/// assumes each held-out sample is drawn like the others, and an extreme one is not, so the known devices' prior is
/// used where it can be (three proxies × seeds 0–2 on the HELP tables: 0.972–0.974 mean SRCC, worst 0.881–0.897, from ten
/// such samples, where mixing devices gave 0.959–0.963 and 0.727–0.778; cross-validated before the prior, the choice gave
/// 0.947–0.957 and 0.687–0.765), else device mixing.
/// </param>
public sealed class ProxyAdapter(
    LatencyData proxy, IReadOnlyList<LatencyData> others, IReadOnlyCollection<Architecture>? needed, Func<ILatencyEstimator> proxyPredictor, bool drawnAtRandom = true)
{
    /// <summary>The fewest target samples cross-validation chooses from; below it the default mixes the store's devices where it can, else rescales.</summary>
    public const int MinimumSamplesToChoose = 6;

    /// <summary>Folds of the cross-validation: leave-one-out up to this many samples, this many folds above.</summary>
    public const int MaximumFolds = 10;

    private readonly Lazy<AdditivePredictor> _additive = new(() => ProxyAdaptation.FitProxy(proxy));
    private readonly Lazy<MeasuredOrPredicted> _proxy = new(() => new MeasuredOrPredicted(proxy, proxyPredictor));
    private readonly Dictionary<string, IReadOnlyList<MeasuredLatencies>> _mixable = [];
    private readonly Lazy<DevicePrior> _prior = new(() => new DevicePrior(proxy.Space, proxy.Dataset, [proxy, .. others.Where(o => o.Device != proxy.Device)]));

    /// <summary>The proxy's additive predictor, the one <see cref="AdaptationMethod.Rescale"/> rescales.</summary>
    public AdditivePredictor ProxyAdditive => _additive.Value;

    /// <summary>Adapts the proxy to the target described by <paramref name="samples"/> with one method.</summary>
    /// <returns>Null when device mixing finds no usable device.</returns>
    public AdaptedEstimator? Adapt(AdaptationMethod method, LatencyData samples) => method switch
    {
        AdaptationMethod.None => ProxyAdaptation.AsIs(_proxy.Value, samples),
        AdaptationMethod.Rescale => ProxyAdaptation.Rescale(_additive.Value, samples),
        AdaptationMethod.ProxyFeature => ProxyAdaptation.ProxyFeature(_proxy.Value, new FeatureEncoder(samples.Space, samples.Dataset), samples),
        AdaptationMethod.DeviceMix => Mixable(samples) is { Count: > 0 } usable ? ProxyAdaptation.DeviceMix(usable, samples) : null,
        AdaptationMethod.DevicePrior => ProxyAdaptation.DevicePrior(_prior.Value, Mixable(samples) is { Count: > 0 } mixable ? ProxyAdaptation.DeviceMix(mixable, samples) : null, samples, drawnAtRandom),
        _ => throw new ArgumentOutOfRangeException(nameof(method), method, null),
    };

    /// <summary>Adapts with the method <see cref="Choose"/> picks; the estimator carries the choice and its reason.</summary>
    /// <param name="candidates">The methods to choose from (null: all of them, "none" included).</param>
    public AdaptedEstimator AdaptChosen(LatencyData samples, IReadOnlyList<AdaptationMethod>? candidates = null)
    {
        var choice = Choose(samples, candidates ?? Enum.GetValues<AdaptationMethod>());
        return Adapt(choice.Method, samples)!.WithChoice(choice);
    }

    /// <summary>
    /// The method whose held-out predictions of the K samples are closest (mean absolute percentage
    /// error), in a k-fold cross-validation on the samples themselves (leave-one-out up to 10
    /// samples, 10 folds above); ties go to the better held-out ranking (SRCC), then to the method
    /// with fewer free parameters (none, rescale, proxy-feature, device-mix, device-prior). "None" — the proxy as it
    /// is — is a candidate like the others, so adapting must beat leaving the proxy alone on the samples. The error, not the ranking,
    /// decides: a rank correlation of ten held-out points is too coarse to tell methods apart, and
    /// on the 27 reference targets choosing by error was as good or better (README, "Adaptation"). A method that cannot adapt (device mixing with no device measured
    /// on what is needed, a device prior with fewer than two known devices) is not a candidate. Samples that show the known devices' prior
    /// an NB201 target computing fewer edges than they do go to the prior: neither a mix of those devices nor the proxy describes such a
    /// target, and ten random samples were too few for the cross-validation to see it (the EAGLE i7: 0.63–0.75 by the mix it chose, 0.87–0.89
    /// by the prior). Below 6 samples the held-out errors say little:
    /// device mixing is used where it can mix (over three proxies and K = 3–5 it kept a mean SRCC of
    /// 0.91–0.96 where rescaling gave 0.74–0.87), else rescaling, which fits the fewest free parameters.
    /// </summary>
    public AdaptationChoice Choose(LatencyData samples, IReadOnlyList<AdaptationMethod> candidates)
    {
        var ordered = Enum.GetValues<AdaptationMethod>().Where(candidates.Contains).ToList();
        if (ordered.Contains(AdaptationMethod.DeviceMix) && Mixable(samples).Count == 0)
        {
            ordered.Remove(AdaptationMethod.DeviceMix);
        }
        if (ordered.Contains(AdaptationMethod.DevicePrior) && _prior.Value.Devices.Count(d => d != samples.Device) < 2)
        {
            ordered.Remove(AdaptationMethod.DevicePrior);
        }
        if (ordered.Count == 0)
        {
            throw new InvalidInputException("No other device in the store is measured on every architecture needed; device mixing has nothing to mix. Use --method rescale or proxy-feature.");
        }
        bool usesKnownDevices = ordered.Contains(AdaptationMethod.DeviceMix) || ordered.Contains(AdaptationMethod.DevicePrior);
        if (ordered.Count == 1 || (!drawnAtRandom && usesKnownDevices))
        {
            var only = ordered.Count == 1 ? ordered[0] : ordered.Contains(AdaptationMethod.DevicePrior) ? AdaptationMethod.DevicePrior : AdaptationMethod.DeviceMix;
            return new AdaptationChoice(only, 0, [], ordered.Count == 1
                ? $"{ProxyAdaptation.Name(only)}: the only method that can adapt here"
                : $"{ProxyAdaptation.Name(only)}: the {samples.Count} target samples were chosen where the known devices disagree, not at random, " +
                  "so cross-validation on them cannot compare the methods; the known devices are what such samples are for (README, \"Adaptation\")");
        }
        if (ordered.Contains(AdaptationMethod.DevicePrior) && _prior.Value.Adapt(samples, drawnAtRandom) is { ComputedEdges: not ComputedEdges.Every } other)
        {
            return new AdaptationChoice(AdaptationMethod.DevicePrior, 0, [],
                $"{ProxyAdaptation.Name(AdaptationMethod.DevicePrior)}: the {samples.Count} target samples show it computing {ProxyAdaptation.Describe(other.ComputedEdges)}, " +
                "which most known devices do not; the prior's models price only the edges it computes (README, \"Which edges a device computes\")");
        }
        if (samples.Count < MinimumSamplesToChoose)
        {
            var only = ordered.Contains(AdaptationMethod.DeviceMix) ? AdaptationMethod.DeviceMix
                : ordered.Contains(AdaptationMethod.Rescale) ? AdaptationMethod.Rescale : ordered[0];
            return new AdaptationChoice(only, 0, [],
                $"{ProxyAdaptation.Name(only)}: {samples.Count} target samples are too few to cross-validate (at least {MinimumSamplesToChoose}); " +
                (only == AdaptationMethod.DeviceMix
                    ? "mixing known devices needs the fewest samples to be right (README, \"Adaptation\")"
                    : "it fits the fewest free parameters"));
        }
        int folds = Math.Min(samples.Count, MaximumFolds);
        var scores = new List<CrossValidationScore>();
        foreach (var method in ordered)
        {
            var heldOut = new double[samples.Count];
            for (int fold = 0; fold < folds; fold++)
            {
                var test = Enumerable.Range(0, samples.Count).Where(i => i % folds == fold).ToList();
                var train = samples.Subset(Enumerable.Range(0, samples.Count).Where(i => i % folds != fold).ToList());
                double[] predicted = Adapt(method, train)!.Predict(test.Select(i => samples.Architectures[i]).ToList());
                for (int t = 0; t < test.Count; t++)
                {
                    heldOut[test[t]] = predicted[t];
                }
            }
            var metrics = PredictionMetrics.Compute(samples.LatenciesMs, heldOut);
            scores.Add(new CrossValidationScore(method, double.IsNaN(metrics.Srcc) ? -1 : metrics.Srcc, metrics.Mape));
        }
        var best = scores.OrderBy(s => Math.Round(s.Mape, 6)).ThenByDescending(s => s.Srcc).First();
        string folding = folds == samples.Count ? "leave-one-out" : $"{folds}-fold";
        string table = string.Join(", ", scores.Select(s => $"{ProxyAdaptation.Name(s.Method)} {s.Mape * 100:F1}%"));
        return new AdaptationChoice(best.Method, folds, scores,
            $"{ProxyAdaptation.Name(best.Method)} chosen by {folding} cross-validation on the {samples.Count} target samples (held-out error {table})");
    }

    /// <summary>The other devices measured on the samples and on everything needed.</summary>
    private IReadOnlyList<MeasuredLatencies> Mixable(LatencyData samples)
    {
        if (!_mixable.TryGetValue(samples.Device, out var usable))
        {
            usable = others
                .Where(o => o.Device != samples.Device)
                .Where(o => needed is not null || o.Count == samples.Space.Size)
                .Select(o => new MeasuredLatencies(o))
                .Where(m => needed is null || needed.All(m.Covers))
                .ToList();
            _mixable[samples.Device] = usable;
        }
        return usable.Where(m => samples.Architectures.All(m.Covers)).ToList();
    }
}

/// <summary>Proxy adaptation (rescaling the proxy's additive weights with a few target samples, README "Adaptation") and its stronger alternatives.</summary>
public static class ProxyAdaptation
{
    /// <summary>Penalty grid relative to the features' scale; the last is effectively "b = 0" (pure rescaling).</summary>
    private static readonly double[] LambdaGrid = [1e-8, 1e-6, 1e-4, 1e-3, 1e-2, 1e-1, 1, 10, 100, 1e4, 1e7];

    /// <summary>The method's name as the command line spells it.</summary>
    public static string Name(AdaptationMethod method) => method switch
    {
        AdaptationMethod.None => "none",
        AdaptationMethod.Rescale => "rescale",
        AdaptationMethod.ProxyFeature => "proxy-feature",
        AdaptationMethod.DeviceMix => "device-mix",
        AdaptationMethod.DevicePrior => "device-prior",
        _ => throw new ArgumentOutOfRangeException(nameof(method), method, null),
    };

    /// <summary>The proxy's additive predictor (ms target), trained on all its measurements.</summary>
    public static AdditivePredictor FitProxy(LatencyData proxy) => AdditivePredictor.Fit(new FeatureEncoder(proxy.Space, proxy.Dataset), proxy.Architectures, proxy.LatenciesMs);

    /// <summary>The proxy's latencies (any estimator) scaled by the median of target ÷ proxy over the samples: no adaptation of the ranking.</summary>
    public static AdaptedEstimator AsIs(ILatencyEstimator proxy, LatencyData samples)
    {
        RequireSamples(samples, 1);
        double[] proxyOnSamples = proxy.Predict(samples.Architectures);
        double scale = Descriptive.Median(samples.LatenciesMs.Zip(proxyOnSamples).Where(p => p.Second > 0).Select(p => p.First / p.Second).DefaultIfEmpty(1).ToList());
        return new AdaptedEstimator(AdaptationMethod.None, $"{proxy.Description} as it is, scaled ×{scale:G3} to {samples.Count} target samples",
            architectures => proxy.Predict(architectures).Select(p => p * scale).ToArray(), lambda: null, LatencyFloor.Of(samples.LatenciesMs));
    }

    /// <summary>Rescales the proxy's additive weights to the target from the sample measurements.</summary>
    public static AdaptedEstimator Rescale(AdditivePredictor proxy, LatencyData samples)
    {
        RequireSamples(samples, 3);
        double[] Row(Architecture architecture)
        {
            double[] x = proxy.Encoder.OneHot(architecture);
            var row = new double[x.Length + 2];
            for (int j = 0; j < x.Length; j++)
            {
                row[j] = proxy.Weights[j] * x[j];  // b_j's feature: w_j·x_j
                row[^2] += row[j];                   // a's feature: Σ w_j·x_j
            }
            row[^1] = 1;                             // c
            return row;
        }
        var rows = samples.Architectures.Select(Row).ToList();
        double scale = rows.Average(r => r[^2] * r[^2]) + 1e-12;
        Func<double, double[]> penaltiesFor = lambda => Enumerable.Repeat(lambda * scale, rows[0].Length - 2).Append(0).Append(0).ToArray();
        double lambda = ChooseLambda(rows, samples.LatenciesMs, penaltiesFor, logTarget: false);
        double[] coefficients = RidgeRegression.Fit(rows, samples.LatenciesMs, penaltiesFor(lambda));
        string description = $"{proxy.Encoder.Space.Name} additive proxy rescaled with {samples.Count} target samples";
        if (ReversesProxy(rows, coefficients))
        {
            // A few samples can make the free scale a negative: the proxy's ranking reversed (seen: SRCC −0.31
            // with 3 samples). Latency grows with the proxy's cost, so scale the proxy as a whole instead.
            var proxyCosts = rows.Select(r => r[^2]).ToArray();
            double wholeScale = proxyCosts.Zip(samples.LatenciesMs).Sum(p => p.First * p.Second) / proxyCosts.Sum(c => c * c);
            coefficients = new double[coefficients.Length];
            coefficients[^2] = wholeScale;
            description += "; the samples would reverse the proxy's ranking, so it is scaled as a whole";
        }
        return new AdaptedEstimator(AdaptationMethod.Rescale, description,
            architectures => architectures.Select(a => Dot(Row(a), coefficients)).ToArray(),
            lambda, LatencyFloor.Of(samples.LatenciesMs));
    }

    /// <summary>Uses the proxy's prediction (any estimator) as the main feature of a small log-space target model.</summary>
    public static AdaptedEstimator ProxyFeature(ILatencyEstimator proxy, FeatureEncoder encoder, LatencyData samples)
    {
        RequireSamples(samples, 3);
        double[][] Rows(IReadOnlyList<Architecture> architectures)
        {
            double[] proxyPredictions = proxy.Predict(architectures);
            return architectures.Select((a, i) => encoder.OneHot(a).Append(Math.Log(Math.Max(proxyPredictions[i], 1e-6))).Append(1.0).ToArray()).ToArray();
        }
        var rows = Rows(samples.Architectures);
        var targets = samples.LatenciesMs.Select(l => Math.Log(l)).ToList();
        Func<double, double[]> penaltiesFor = lambda => Enumerable.Repeat(lambda, encoder.OneHotLength).Append(0).Append(0).ToArray();
        double lambda = ChooseLambda(rows, targets, penaltiesFor, logTarget: true);
        double[] coefficients = RidgeRegression.Fit(rows, targets, penaltiesFor(lambda));
        string description = $"{proxy.Description} as a feature, fitted on {samples.Count} target samples";
        if (ReversesProxy(rows, coefficients))
        {
            // As in rescaling: a fit that ranks the samples against the proxy. Keep log t = log p + β.
            coefficients = new double[coefficients.Length];
            coefficients[^2] = 1;
            coefficients[^1] = rows.Zip(targets).Average(p => p.Second - p.First[^2]);
            description += "; the samples would reverse the proxy's ranking, so only its scale is fitted";
        }
        return new AdaptedEstimator(AdaptationMethod.ProxyFeature, description,
            architectures => Rows(architectures).Select(r => Math.Exp(Dot(r, coefficients))).ToArray(),
            lambda, LatencyFloor.Of(samples.LatenciesMs));
    }

    /// <summary>Fits the target's latency as a non-negative combination of other devices' latencies.</summary>
    /// <param name="others">Estimators for the other known devices (measured tables or their predictors).</param>
    public static AdaptedEstimator DeviceMix(IReadOnlyList<ILatencyEstimator> others, LatencyData samples)
    {
        RequireSamples(samples, 2);
        if (others.Count == 0)
        {
            throw new InvalidInputException("Device mixing needs at least one other device in the store.");
        }
        var columns = others.Select(o => o.Predict(samples.Architectures)).ToArray();
        var rows = Enumerable.Range(0, samples.Count).Select(i => columns.Select(c => c[i]).ToArray()).ToList();
        // A tiny ridge keeps near-duplicate devices (the same GPU at two batch sizes) from making the solve singular.
        double scale = rows.Average(r => r.Average(v => v * v)) + 1e-12;
        double[] mix = NonNegativeLeastSquares.Solve(rows, samples.LatenciesMs, ridge: 1e-6 * scale);
        var used = others.Select((o, i) => (o, w: mix[i])).Where(p => p.w > 0).ToArray();
        return new AdaptedEstimator(AdaptationMethod.DeviceMix,
            $"non-negative mix of {used.Length} devices ({string.Join(", ", used.OrderByDescending(p => p.w).Take(3).Select(p => p.o.Description))}{(used.Length > 3 ? ", …" : "")})",
            architectures =>
            {
                var result = new double[architectures.Count];
                foreach (var (estimator, weight) in used)
                {
                    double[] values = estimator.Predict(architectures);
                    for (int i = 0; i < result.Length; i++)
                    {
                        result[i] += weight * values[i];
                    }
                }
                return result;
            },
            lambda: null, LatencyFloor.Of(samples.LatenciesMs));
    }

    /// <summary>Which edges of an NB201 cell a device computes, in words.</summary>
    public static string Describe(ComputedEdges computed) => computed switch
    {
        ComputedEdges.ReachingOutput => "only the edges that reach the cell output",
        ComputedEdges.Live => "only the live edges",
        _ => "every edge",
    };

    /// <summary>The blend weight of <see cref="AdaptationMethod.DevicePrior"/>'s own model against the device mix.</summary>
    public const double PriorShare = 0.7;

    /// <summary>The target's additive model under the known devices' prior, blended with <paramref name="mix"/> when there is one.</summary>
    /// <returns>Null when fewer than two known devices can inform the prior.</returns>
    /// <param name="drawnAtRandom">See <see cref="DevicePrior.Adapt"/>.</param>
    public static AdaptedEstimator? DevicePrior(DevicePrior prior, AdaptedEstimator? mix, LatencyData samples, bool drawnAtRandom = true)
    {
        RequireSamples(samples, 2);
        if (prior.Adapt(samples, drawnAtRandom) is not { } own)
        {
            return null;
        }
        // A mix of the known devices' latencies describes a target that computes the edges most of them compute, not one that leaves some out.
        mix = own.ComputedEdges == ComputedEdges.Every ? mix : null;
        string description = $"{samples.Space.Name} additive model under a prior of {prior.Devices.Count(d => d != samples.Device)} known devices' models"
            + (own.ComputedEdges == ComputedEdges.Every ? "" : $", computing {Describe(own.ComputedEdges)}")
            + $", fitted on {samples.Count} target samples";
        return new AdaptedEstimator(AdaptationMethod.DevicePrior,
            mix is null ? description : $"{description}, {PriorShare:0.0} : {1 - PriorShare:0.0} with the {mix.Description}",
            architectures =>
            {
                double[] result = own.Predict(architectures);
                if (mix is not null)
                {
                    double[] mixed = mix.Predict(architectures);
                    for (int i = 0; i < result.Length; i++)
                    {
                        result[i] = PriorShare * result[i] + (1 - PriorShare) * mixed[i];
                    }
                }
                return result;
            },
            lambda: null, LatencyFloor.Of(samples.LatenciesMs));
    }

    /// <summary>
    /// Picks λ on the samples by leave-one-out: each sample is predicted by a model fitted on the
    /// others. With as few as ten samples the best-scoring λ is mostly luck, so the one-standard-
    /// error rule applies: the largest λ whose mean squared relative error is within one standard
    /// error of the best. Large λ means "trust the proxy", which is the safe side.
    /// </summary>
    private static double ChooseLambda(IReadOnlyList<double[]> rows, IReadOnlyList<double> targets, Func<double, double[]> penaltiesFor, bool logTarget)
    {
        var truth = logTarget ? targets.Select(t => Math.Exp(t)).ToArray() : targets.ToArray();
        var scores = new List<(double Lambda, double Mean, double StandardError)>();
        foreach (double lambda in LambdaGrid)
        {
            double[] predictions;
            try
            {
                predictions = RidgeRegression.LeaveOneOutPredictions(rows, targets, penaltiesFor(lambda));
            }
            catch (ArgumentException)
            {
                continue; // an unpenalised column is degenerate with or without some sample
            }
            var predicted = logTarget ? predictions.Select(p => Math.Exp(p)).ToArray() : predictions;
            double[] errors = truth.Zip(predicted).Select(p => Math.Pow((p.Second - p.First) / p.First, 2)).ToArray();
            scores.Add((lambda, errors.Average(), Descriptive.StandardDeviation(errors) / Math.Sqrt(errors.Length)));
        }
        if (scores.Count == 0)
        {
            return LambdaGrid[^1];
        }
        var best = scores.MinBy(s => s.Mean);
        return scores.Where(s => s.Mean <= best.Mean + best.StandardError).Max(s => s.Lambda);
    }

    /// <summary>
    /// Whether the fit ranks the samples against the proxy (column ^2 of each row is the proxy's own
    /// cost). Only the sign of the proxy's weight would be too strict: with many samples the one-hot
    /// terms can carry the ranking and leave the proxy a small negative weight, which reverses nothing.
    /// </summary>
    private static bool ReversesProxy(IReadOnlyList<double[]> rows, double[] coefficients)
        => coefficients[^2] <= 0
           && !(RankCorrelation.Spearman(rows.Select(r => Dot(r, coefficients)).ToArray(), rows.Select(r => r[^2]).ToArray()) > 0); // NaN (all tied) counts as reversed

    private static double Dot(double[] row, double[] coefficients)
    {
        double sum = 0;
        for (int i = 0; i < row.Length; i++)
        {
            sum += row[i] * coefficients[i];
        }
        return sum;
    }

    private static void RequireSamples(LatencyData samples, int minimum)
    {
        if (samples.Count < minimum)
        {
            throw new InvalidInputException($"Adaptation needs at least {minimum} target samples (got {samples.Count}).");
        }
    }
}
