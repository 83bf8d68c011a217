using LatencyNas.Core.Spaces;

namespace LatencyNas.Prediction;

/// <summary>The families of predictors.</summary>
public enum ModelKind
{
    /// <summary>Op-wise additive: latency ≈ Σ w·onehot + bias, ridge least squares.</summary>
    Additive,

    /// <summary>ML.NET FastTree (gradient-boosted regression trees) on the full features.</summary>
    FastTree,

    /// <summary>ML.NET LightGbm on the full features.</summary>
    LightGbm,
}

/// <summary>The predictor a user asks for: one family, or the one that cross-validates best.</summary>
public enum PredictorModel
{
    /// <summary>Cross-validate the candidate families on the training set and keep the best.</summary>
    Auto,
    Additive,
    FastTree,
    LightGbm,
}

/// <summary>What a model is fitted to: latency in ms, or its logarithm (errors then count relatively).</summary>
public enum TargetTransform
{
    Identity,
    Log,
}

/// <summary>A trained latency predictor for one device. Predicts many architectures per call.</summary>
public abstract class LatencyPredictor : ILatencyEstimator
{
    /// <param name="floorMs">The lowest latency it may predict (<see cref="LatencyFloor"/>).</param>
    protected LatencyPredictor(FeatureEncoder encoder, TargetTransform target, double floorMs)
    {
        if (!double.IsFinite(floorMs) || floorMs <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(floorMs), floorMs, "A latency floor is a positive number of milliseconds.");
        }
        Encoder = encoder;
        Target = target;
        FloorMs = floorMs;
    }

    public abstract ModelKind Kind { get; }

    public TargetTransform Target { get; }

    public FeatureEncoder Encoder { get; }

    /// <summary>No prediction is lower than this (ms): half the smallest latency the model was fitted on.</summary>
    public double FloorMs { get; }

    public SearchSpace Space => Encoder.Space;

    public virtual string Description => $"{Kind.ToString().ToLowerInvariant()}{(Target == TargetTransform.Log ? " (log target)" : "")}";

    /// <summary>Predicted latency (ms) of each architecture, in order; never below <see cref="FloorMs"/>.</summary>
    public double[] Predict(IReadOnlyList<Architecture> architectures)
    {
        double[] raw = PredictTransformed(architectures);
        if (Target == TargetTransform.Log)
        {
            for (int i = 0; i < raw.Length; i++)
            {
                raw[i] = Math.Exp(raw[i]);
            }
        }
        return LatencyFloor.Apply(raw, FloorMs);
    }

    public double Predict(Architecture architecture) => Predict([architecture])[0];

    /// <summary>Predictions on the model's own scale (log ms for a log target).</summary>
    protected abstract double[] PredictTransformed(IReadOnlyList<Architecture> architectures);

    public static double Transform(TargetTransform target, double latencyMs) => target == TargetTransform.Log ? Math.Log(latencyMs) : latencyMs;
}
