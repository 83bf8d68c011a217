using System.Collections.Concurrent;
using LatencyNas.Core.Spaces;

namespace LatencyNas.Prediction;

/// <summary>How a space's analytic features are computed for predictors (and in an exported predictor's graph).</summary>
public enum AnalyticFeatureForm
{
    /// <summary>Every member's features in one table, looked up by the member's mixed-radix position (small spaces, e.g. NB201).</summary>
    Tabulated,

    /// <summary>A base vector plus one vector per decision's choice: features that add up over decisions (e.g. FBNet's parameters and MACs).</summary>
    Additive,

    /// <summary>Computed from the architecture each time: neither tabulated nor additive. Such a predictor cannot be exported.</summary>
    Direct,
}

/// <summary>
/// The analytic features of one space on one dataset (parameters and MACs in millions, per-op
/// counts, the disconnected flag, the space's extra features), in the form that computes them
/// fastest and that an exported predictor's graph can compute too: a table of every member (each
/// row filled on first use) where the space has at most <see cref="TabulatedSize"/>, else a sum over decisions where the features
/// are additive (checked on <see cref="AdditivityCheckSize"/> drawn members), else the space's own
/// computation. One instance per space and dataset is built per process, on first use.
/// </summary>
internal sealed class AnalyticFeatures
{
    /// <summary>The most members a space may have to be tabulated (NB201's 15,625 × 25 features take 1.6 MB).</summary>
    public const int TabulatedSize = 100_000;

    /// <summary>Drawn members on which a sum over decisions must reproduce the space's own features.</summary>
    public const int AdditivityCheckSize = 1_000;

    private static readonly ConcurrentDictionary<(string Space, Dataset Dataset), Lazy<AnalyticFeatures>> Cache = new();

    private readonly SearchSpace _space;
    private readonly Dataset _dataset;
    private readonly int[] _offsets;

    private AnalyticFeatures(SearchSpace space, Dataset dataset, int[] offsets, int length)
    {
        (_space, _dataset, _offsets, Length) = (space, dataset, offsets, length);
        Radices = space.Decisions.Select(d => (long)d.Choices.Count).ToArray();
        if (space.Size <= TabulatedSize)
        {
            Form = AnalyticFeatureForm.Tabulated;
            _rows = new float[(int)space.Size * length];
            _filled = new bool[(int)space.Size];
            return;
        }
        var reference = space.FromPosition(0);
        Base = DirectDoubles(reference);
        int oneHotLength = offsets[^1] + space.Decisions[^1].Choices.Count;
        Deltas = new double[oneHotLength * length];
        for (int d = 0; d < offsets.Length; d++)
        {
            for (int choice = 1; choice < space.Decisions[d].Choices.Count; choice++)
            {
                double[] values = DirectDoubles(reference.With(d, choice));
                for (int f = 0; f < length; f++)
                {
                    Deltas[(offsets[d] + choice) * length + f] = values[f] - Base[f];
                }
            }
        }
        Form = space.SampleDistinct(AdditivityCheckSize, seed: 1).All(IsReproducedBySum) ? AnalyticFeatureForm.Additive : AnalyticFeatureForm.Direct;
    }

    public static AnalyticFeatures For(SearchSpace space, Dataset dataset, int[] offsets, int length)
        => Cache.GetOrAdd((space.Name, dataset), _ => new Lazy<AnalyticFeatures>(() => new AnalyticFeatures(space, dataset, offsets, length))).Value;

    public AnalyticFeatureForm Form { get; }

    /// <summary>Number of analytic features.</summary>
    public int Length { get; }

    /// <summary>Choices per decision: the radices of a member's position (the first decision varies slowest).</summary>
    public long[] Radices { get; }

    // Tabulated: member p's features at [p·Length, (p+1)·Length), each row computed when first asked
    // for (a single prediction need not pay for 15,625 members). Two threads filling one row write the
    // same values; the flag is set after the row, so a reader that sees it sees the row.
    private readonly float[] _rows = [];
    private readonly bool[] _filled = [];

    /// <summary>Tabulated: every member's features, member p's at [p·Length, (p+1)·Length).</summary>
    public float[] Table
    {
        get
        {
            Parallel.For(0, _filled.Length, position => Row(position));
            return _rows;
        }
    }

    /// <summary>Additive: the features of the member whose every decision takes its first choice.</summary>
    public double[] Base { get; } = [];

    /// <summary>Additive: row j (one-hot column j) holds what that choice adds to <see cref="Base"/>; a first choice's row is zero.</summary>
    public double[] Deltas { get; } = [];

    /// <summary>Writes the architecture's features into <paramref name="destination"/> (<see cref="Length"/> values).</summary>
    public void Write(Architecture architecture, Span<float> destination)
    {
        switch (Form)
        {
            case AnalyticFeatureForm.Tabulated:
                long position = 0;
                for (int d = 0; d < Radices.Length; d++)
                {
                    position = position * Radices[d] + architecture[d];
                }
                Row((int)position).CopyTo(destination);
                break;
            case AnalyticFeatureForm.Additive:
                for (int f = 0; f < Length; f++)
                {
                    // Rounded once to float from the double sum, as the exported graph does.
                    destination[f] = (float)SumOverDecisions(architecture, f);
                }
                break;
            default:
                DirectFloats(architecture).CopyTo(destination);
                break;
        }
    }

    private ReadOnlySpan<float> Row(int position)
    {
        var row = _rows.AsSpan(position * Length, Length);
        if (!Volatile.Read(ref _filled[position]))
        {
            DirectFloats(_space.FromPosition(position)).CopyTo(row);
            Volatile.Write(ref _filled[position], true);
        }
        return row;
    }

    private bool IsReproducedBySum(Architecture architecture)
    {
        double[] direct = DirectDoubles(architecture);
        for (int f = 0; f < Length; f++)
        {
            if (Math.Abs(SumOverDecisions(architecture, f) - direct[f]) > 1e-9 * Math.Max(1, Math.Abs(direct[f])))
            {
                return false;
            }
        }
        return true;
    }

    private double SumOverDecisions(Architecture architecture, int feature)
    {
        double sum = Base[feature];
        for (int d = 0; d < _offsets.Length; d++)
        {
            sum += Deltas[(_offsets[d] + architecture[d]) * Length + feature];
        }
        return sum;
    }

    private float[] DirectFloats(Architecture architecture)
    {
        var vector = new float[Length];
        Write(_space.Features(architecture, _dataset), vector);
        return vector;
    }

    /// <summary>Writes features computed by the space as the predictor's numbers: parameters and MACs in millions, op counts, the disconnected flag, the extras.</summary>
    public static void Write(ArchitectureFeatures features, Span<float> destination)
    {
        int i = 0;
        destination[i++] = features.Parameters / 1e6f;
        destination[i++] = features.Macs / 1e6f;
        foreach (var count in features.OpCounts)
        {
            destination[i++] = count.Value;
        }
        destination[i++] = features.Disconnected ? 1 : 0;
        foreach (var extra in features.Extra)
        {
            destination[i++] = (float)extra.Value;
        }
    }

    private double[] DirectDoubles(Architecture architecture)
    {
        var features = _space.Features(architecture, _dataset);
        return
        [
            features.Parameters / 1e6,
            features.Macs / 1e6,
            .. features.OpCounts.Select(count => (double)count.Value),
            features.Disconnected ? 1 : 0,
            .. features.Extra.Select(extra => extra.Value),
        ];
    }
}
