using LatencyNas.Core.Spaces;
using LatencyNas.Core.Statistics;

namespace LatencyNas.Prediction;

/// <summary>
/// The op-wise additive predictor: latency ≈ Σ wᵢ·onehotᵢ(arch) + bias, fitted by least squares
/// with a small ridge. Each weight is the cost of one op on one edge, which makes it the
/// predictor that proxy adaptation rescales.
/// </summary>
public sealed class AdditivePredictor : LatencyPredictor
{
    /// <summary>Default ridge: small, it only steadies weights of choices the training set rarely shows.</summary>
    public const double DefaultLambda = 1e-3;

    public AdditivePredictor(FeatureEncoder encoder, TargetTransform target, IReadOnlyList<double> weights, double bias, double floorMs) : base(encoder, target, floorMs)
    {
        if (weights.Count != encoder.OneHotLength)
        {
            throw new ArgumentException($"{weights.Count} weights for {encoder.OneHotLength} one-hot features.");
        }
        _weights = weights.ToArray();
        Bias = bias;
    }

    public override ModelKind Kind => ModelKind.Additive;

    public IReadOnlyList<double> Weights => _weights;

    private readonly double[] _weights;

    public double Bias { get; }

    /// <summary>
    /// Fits the weights with each decision's first choice (NB201: <c>none</c>) as the reference
    /// level, weight 0: a weight is then the cost of an op relative to no op on that edge, and
    /// rescaling weights (proxy adaptation) means something. Without a reference the split of
    /// cost between bias and weights would be arbitrary.
    /// </summary>
    public static AdditivePredictor Fit(FeatureEncoder encoder, IReadOnlyList<Architecture> architectures, IReadOnlyList<double> latenciesMs,
        TargetTransform target = TargetTransform.Identity, double lambda = DefaultLambda)
    {
        int[] free = Enumerable.Range(0, encoder.OneHotLength).Where(j => !encoder.IsReferenceLevel(j)).ToArray();
        var rows = architectures.Select(a =>
        {
            double[] x = encoder.OneHot(a);
            return free.Select(j => x[j]).Append(1.0).ToArray();
        }).ToList();
        var targets = latenciesMs.Select(l => Transform(target, l)).ToList();
        var penalties = Enumerable.Repeat(lambda, free.Length).Append(0.0).ToArray(); // the bias is free
        double[] solution = RidgeRegression.Fit(rows, targets, penalties);
        var weights = new double[encoder.OneHotLength];
        for (int k = 0; k < free.Length; k++)
        {
            weights[free[k]] = solution[k];
        }
        return new AdditivePredictor(encoder, target, weights, solution[^1], LatencyFloor.Of(latenciesMs));
    }

    protected override double[] PredictTransformed(IReadOnlyList<Architecture> architectures)
    {
        var predictions = new double[architectures.Count];
        for (int i = 0; i < architectures.Count; i++)
        {
            predictions[i] = Encoder.SumAtOnes(architectures[i], _weights, Bias);
        }
        return predictions;
    }
}
