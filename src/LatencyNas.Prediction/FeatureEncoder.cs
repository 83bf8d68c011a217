using LatencyNas.Core.Spaces;

namespace LatencyNas.Prediction;

/// <summary>
/// Turns architectures into numbers for predictors. Works for any <see cref="SearchSpace"/>:
/// a one-hot block per decision (NB201: 6 edges × 5 ops = 30; none where the space does not
/// <see cref="SearchSpace.EncodesChoices">encode choices</see>), then the analytic features of the
/// architecture on the device's dataset — parameters and MACs (in millions), per-op counts, the
/// disconnected flag and the space's extra features (NB201: live op counts, longest convolution path,
/// what the exported network computes, and the kernels ONNX Runtime's CPU provider adds to it).
/// </summary>
public sealed class FeatureEncoder
{
    private readonly int[] _offsets;
    private readonly Lazy<AnalyticFeatures> _analytic;

    public FeatureEncoder(SearchSpace space, Dataset dataset)
    {
        Space = space;
        Dataset = dataset;
        _offsets = new int[space.Decisions.Count];
        var names = new List<string>();
        for (int d = 0; d < space.Decisions.Count; d++)
        {
            _offsets[d] = names.Count;
            names.AddRange(space.Decisions[d].Choices.Select(choice => $"d{d}={choice}"));
        }
        if (!space.EncodesChoices)
        {
            names.Clear();
        }
        OneHotLength = names.Count;
        var probe = space.Features(space.FromPosition(0), dataset);
        names.Add("params_m");
        names.Add("macs_m");
        names.AddRange(probe.OpCounts.Select(p => "count_" + p.Key));
        names.Add("disconnected");
        names.AddRange(probe.Extra.Select(p => p.Key));
        Names = names;
        _analytic = new(() => AnalyticFeatures.For(space, dataset, _offsets, Length - OneHotLength));
    }

    public SearchSpace Space { get; }

    public Dataset Dataset { get; }

    /// <summary>Length of the one-hot block (the additive predictor's input).</summary>
    public int OneHotLength { get; }

    /// <summary>Length of the full vector (one-hot then analytic features).</summary>
    public int Length => Names.Count;

    public IReadOnlyList<string> Names { get; }

    /// <summary>How the analytic features are computed, which is also how an exported predictor computes them.</summary>
    public AnalyticFeatureForm AnalyticForm => Analytic.Form;

    internal AnalyticFeatures Analytic => _analytic.Value;

    /// <summary>Where each decision's block starts in the one-hot vector.</summary>
    internal IReadOnlyList<int> Offsets => _offsets;

    /// <summary>Whether one-hot column <paramref name="column"/> is a decision's first choice (the reference level of additive models).</summary>
    public bool IsReferenceLevel(int column) => OneHotLength > 0 && Array.IndexOf(_offsets, column) >= 0;

    public double[] OneHot(Architecture architecture)
    {
        var vector = new double[OneHotLength];
        for (int d = 0; d < _offsets.Length && OneHotLength > 0; d++)
        {
            vector[_offsets[d] + architecture[d]] = 1;
        }
        return vector;
    }

    /// <summary>
    /// <paramref name="bias"/> plus the one-hot vector's dot product with <paramref name="weights"/> (one per one-hot column),
    /// summed over its ones only — one per decision, in column order, so the same sum as over the whole vector.
    /// </summary>
    public double SumAtOnes(Architecture architecture, double[] weights, double bias)
    {
        double sum = bias;
        for (int d = 0; d < _offsets.Length && OneHotLength > 0; d++)
        {
            sum += weights[_offsets[d] + architecture[d]];
        }
        return sum;
    }

    public float[] Full(Architecture architecture)
    {
        var vector = new float[Length];
        Write(architecture, vector);
        return vector;
    }

    /// <summary>The full vector of features the space computed for something that is not one of its members (a kernel off the sampled grid); only for a space that does not encode choices.</summary>
    /// <exception cref="InvalidOperationException">The space encodes choices, which such features lack.</exception>
    public float[] Full(ArchitectureFeatures features)
    {
        if (OneHotLength > 0)
        {
            throw new InvalidOperationException($"{Space.Name} predictors also see each decision's choice.");
        }
        var vector = new float[Length];
        AnalyticFeatures.Write(features, vector);
        return vector;
    }

    /// <summary>Writes the full vector into <paramref name="destination"/>, which must hold <see cref="Length"/> zeros.</summary>
    public void Write(Architecture architecture, Span<float> destination)
    {
        for (int d = 0; d < _offsets.Length && OneHotLength > 0; d++)
        {
            destination[_offsets[d] + architecture[d]] = 1;
        }
        Analytic.Write(architecture, destination[OneHotLength..]);
    }
}
