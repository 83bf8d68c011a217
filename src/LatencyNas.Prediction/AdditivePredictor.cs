using LatencyNas.Core.Spaces;
using LatencyNas.Core.Statistics;

namespace LatencyNas.Prediction;

/// <summary>
/// The op-wise additive predictor: latency ≈ Σ wᵢ·onehotᵢ(arch) + bias, fitted by least squares
/// with a small ridge. Each weight is the cost of one op on one edge, which makes it the
/// predictor that proxy adaptation rescales. With features, the space's analytic features (what
/// the network computes, e.g. NB201's computed ReLUs and ONNX Runtime's reorders) are terms of the sum too:
/// a cost that does not belong to one edge's choice, but to how the choices combine.
/// </summary>
public sealed class AdditivePredictor : LatencyPredictor
{
    /// <summary>Default ridge: small, it only steadies weights of choices the training set rarely shows.</summary>
    public const double DefaultLambda = 1e-3;

    /// <param name="featureWeights">One weight per analytic feature, or null for the op-wise sum alone.</param>
    /// <exception cref="FeatureCountMismatchException">The feature weights are not one per analytic feature of the encoder's space.</exception>
    public AdditivePredictor(FeatureEncoder encoder, TargetTransform target, IReadOnlyList<double> weights, double bias, double floorMs,
        IReadOnlyList<double>? featureWeights = null) : base(encoder, target, floorMs)
    {
        if (weights.Count != encoder.OneHotLength)
        {
            throw new ArgumentException($"{weights.Count} weights for {encoder.OneHotLength} one-hot features.");
        }
        if (featureWeights is not null && featureWeights.Count != encoder.Length - encoder.OneHotLength)
        {
            throw new FeatureCountMismatchException(encoder.OneHotLength + featureWeights.Count, encoder.Length);
        }
        _weights = weights.ToArray();
        _featureWeights = featureWeights?.ToArray();
        Bias = bias;
    }

    public override ModelKind Kind => ModelKind.Additive;

    public IReadOnlyList<double> Weights => _weights;

    private readonly double[] _weights;

    /// <summary>The analytic features' weights, in the encoder's order; null for the op-wise sum alone.</summary>
    public IReadOnlyList<double>? FeatureWeights => _featureWeights;

    private readonly double[]? _featureWeights;

    public double Bias { get; }

    public override string Description => _featureWeights is null ? base.Description
        : $"additive with features{(Target == TargetTransform.Log ? " (log target)" : "")}";

    /// <summary>
    /// Fits the weights with each decision's first choice (NB201: <c>none</c>) as the reference
    /// level, weight 0: a weight is then the cost of an op relative to no op on that edge, and
    /// rescaling weights (proxy adaptation) means something. Without a reference the split of
    /// cost between bias and weights would be arbitrary.
    /// </summary>
    /// <param name="withFeatures">Whether the space's analytic features are terms of the sum too.</param>
    public static AdditivePredictor Fit(FeatureEncoder encoder, IReadOnlyList<Architecture> architectures, IReadOnlyList<double> latenciesMs,
        TargetTransform target = TargetTransform.Identity, double lambda = DefaultLambda, bool withFeatures = false)
    {
        int[] free = Enumerable.Range(0, encoder.OneHotLength).Where(j => !encoder.IsReferenceLevel(j)).ToArray();
        int features = withFeatures ? encoder.Length - encoder.OneHotLength : 0;
        // The op-wise sum reads only the one-hot block: no analytic features are computed for it.
        var rows = architectures.Select(a =>
        {
            IEnumerable<double> x = withFeatures ? encoder.Full(a).Select(v => (double)v) : encoder.OneHot(a);
            var row = x.ToArray();
            return free.Select(j => row[j]).Concat(row.Skip(encoder.OneHotLength).Take(features)).Append(1.0).ToArray();
        }).ToList();
        var targets = latenciesMs.Select(l => Transform(target, l)).ToList();
        var penalties = Enumerable.Repeat(lambda, free.Length + features).Append(0.0).ToArray(); // the bias is free
        double[] solution = RidgeRegression.Fit(rows, targets, penalties);
        var weights = new double[encoder.OneHotLength];
        for (int k = 0; k < free.Length; k++)
        {
            weights[free[k]] = solution[k];
        }
        return new AdditivePredictor(encoder, target, weights, solution[^1], LatencyFloor.Of(latenciesMs),
            withFeatures ? solution[free.Length..^1] : null);
    }

    protected override double[] PredictTransformed(IReadOnlyList<Architecture> architectures)
    {
        var predictions = new double[architectures.Count];
        var vector = _featureWeights is null ? [] : new float[Encoder.Length];
        for (int i = 0; i < architectures.Count; i++)
        {
            predictions[i] = Encoder.SumAtOnes(architectures[i], _weights, Bias);
            if (_featureWeights is not null)
            {
                Array.Clear(vector);
                Encoder.Write(architectures[i], vector);
                for (int f = 0; f < _featureWeights.Length; f++)
                {
                    predictions[i] += _featureWeights[f] * vector[Encoder.OneHotLength + f];
                }
            }
        }
        return predictions;
    }
}
