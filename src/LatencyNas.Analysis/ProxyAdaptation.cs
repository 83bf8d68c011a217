using LatencyNas.Core;
using LatencyNas.Core.Spaces;
using LatencyNas.Core.Statistics;
using LatencyNas.Prediction;

namespace LatencyNas.Analysis;

/// <summary>The ways a proxy's knowledge is carried to a target from a few target measurements.</summary>
public enum AdaptationMethod
{
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
}

/// <summary>An adapted latency model for the target; like a trained predictor, it never predicts below the floor of its samples.</summary>
public sealed class AdaptedEstimator(string description, Func<IReadOnlyList<Architecture>, double[]> predict, double? lambda, double floorMs) : ILatencyEstimator
{
    public string Description { get; } = description;

    /// <summary>The penalty chosen on the target samples, where the method has one.</summary>
    public double? Lambda { get; } = lambda;

    /// <summary>The lowest latency it returns: <see cref="LatencyFloor"/> of the target samples.</summary>
    public double FloorMs { get; } = floorMs;

    public double[] Predict(IReadOnlyList<Architecture> architectures) => LatencyFloor.Apply(predict(architectures), FloorMs);
}

/// <summary>Proxy adaptation (rescaling the proxy's additive weights with a few target samples, README "Adaptation") and its stronger alternatives.</summary>
public static class ProxyAdaptation
{
    /// <summary>Penalty grid relative to the features' scale; the last is effectively "b = 0" (pure rescaling).</summary>
    private static readonly double[] LambdaGrid = [1e-8, 1e-6, 1e-4, 1e-3, 1e-2, 1e-1, 1, 10, 100, 1e4, 1e7];

    /// <summary>
    /// Adapts <paramref name="proxy"/> to the target described by <paramref name="samples"/> with one method.
    /// </summary>
    /// <param name="others">Known devices for <see cref="AdaptationMethod.DeviceMix"/> (the target itself is skipped).</param>
    /// <param name="needed">Architectures the adapted model will be asked about; device mixing can use only devices
    /// measured on all of them (null: the whole space).</param>
    /// <param name="proxyPredictor">Builds a predictor of the proxy, for architectures it was never measured on.</param>
    /// <returns>Null when device mixing finds no usable device.</returns>
    public static AdaptedEstimator? Adapt(AdaptationMethod method, LatencyData proxy, LatencyData samples, IReadOnlyList<LatencyData> others,
        IReadOnlyCollection<Architecture>? needed, Func<ILatencyEstimator> proxyPredictor)
    {
        switch (method)
        {
            case AdaptationMethod.Rescale:
                return Rescale(FitProxy(proxy), samples);
            case AdaptationMethod.ProxyFeature:
                return ProxyFeature(new MeasuredOrPredicted(proxy, proxyPredictor), new FeatureEncoder(samples.Space, samples.Dataset), samples);
            case AdaptationMethod.DeviceMix:
                var usable = others
                    .Where(o => o.Device != samples.Device)
                    .Where(o => needed is null ? o.Count == samples.Space.Size : true)
                    .Select(o => new MeasuredLatencies(o))
                    .Where(m => samples.Architectures.All(m.Covers) && (needed is null || needed.All(m.Covers)))
                    .Cast<ILatencyEstimator>()
                    .ToList();
                return usable.Count == 0 ? null : DeviceMix(usable, samples);
            default:
                throw new ArgumentOutOfRangeException(nameof(method), method, null);
        }
    }

    /// <summary>
    /// The default: mix the known devices where the store has any measured on what is needed
    /// (the strongest on the 28 real devices, README), else rescale the proxy's additive model.
    /// </summary>
    public static AdaptedEstimator AdaptDefault(LatencyData proxy, LatencyData samples, IReadOnlyList<LatencyData> others,
        IReadOnlyCollection<Architecture>? needed, Func<ILatencyEstimator> proxyPredictor)
        => Adapt(AdaptationMethod.DeviceMix, proxy, samples, others, needed, proxyPredictor)
           ?? Adapt(AdaptationMethod.Rescale, proxy, samples, others, needed, proxyPredictor)!;

    /// <summary>The proxy's additive predictor (ms target), trained on all its measurements.</summary>
    public static AdditivePredictor FitProxy(LatencyData proxy) => AdditivePredictor.Fit(new FeatureEncoder(proxy.Space, proxy.Dataset), proxy.Architectures, proxy.LatenciesMs);

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
        return new AdaptedEstimator(
            $"{proxy.Encoder.Space.Name} additive proxy rescaled with {samples.Count} target samples",
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
        return new AdaptedEstimator(
            $"{proxy.Description} as a feature, fitted on {samples.Count} target samples",
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
        return new AdaptedEstimator(
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
            var predictions = new double[rows.Count];
            bool solvable = true;
            for (int held = 0; held < rows.Count && solvable; held++)
            {
                var trainRows = rows.Where((_, i) => i != held).ToList();
                var trainTargets = targets.Where((_, i) => i != held).ToList();
                try
                {
                    predictions[held] = Dot(rows[held], RidgeRegression.Fit(trainRows, trainTargets, penaltiesFor(lambda)));
                }
                catch (ArgumentException)
                {
                    solvable = false; // an unpenalised column is degenerate without this sample
                }
            }
            if (!solvable)
            {
                continue;
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
