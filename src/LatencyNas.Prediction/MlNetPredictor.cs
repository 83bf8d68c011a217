using System.Collections.Concurrent;
using LatencyNas.Core.Spaces;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.FastTree;
using Microsoft.ML.Trainers.LightGbm;

namespace LatencyNas.Prediction;

/// <summary>
/// An ML.NET regressor (FastTree or LightGbm) on the full feature vector. Trained single-threaded
/// with a fixed seed, so the same data gives the same model. Predicts by walking the ensemble
/// flattened into arrays (<see cref="CompiledTreeEnsemble"/>, large batches over all cores), with the
/// same scores as ML.NET's <c>Transform</c>, which remains the path for a model it cannot flatten.
/// </summary>
/// <remarks>
/// With a <see cref="Base"/>, the trees learn only what the additive model misses (on the log
/// target: the log-ratio of latency to the additive prediction). Trees alone cannot extrapolate a
/// sum of per-op costs to op combinations they rarely saw; the base does that, and the trees add
/// the interactions (fusions, a pruned dead cell) it cannot express. A kernel space's trees learn
/// the residual of a <see cref="WorkTrend"/> instead, for the same reason.
/// </remarks>
public sealed class MlNetPredictor : LatencyPredictor
{
    /// <summary>Architectures below which a batch is not worth spreading over cores.</summary>
    private const int ParallelChunk = 2_000;

    /// <summary>
    /// Parts a batch is split into per core: many, so that a core that falls behind (another process,
    /// a slow spell) does not hold up the batch while the others idle. With one part per core a
    /// million FBNet architectures took 30% longer.
    /// </summary>
    private const int PartsPerCore = 16;

    /// <summary>
    /// Architectures encoded together, which then walk each tree in turn: the walk's block, whose features stay in the
    /// nearest cache (FBNet: 27 KB, within a 32 KB L1). Measured on this machine: 64 beat 128, and 256 KB of features
    /// (300 FBNet architectures) was 15–25% slower; 32 beat 64 by 6–12% on a million FBNet architectures once the walk
    /// lost its bounds checks, and 16 was slower again.
    /// </summary>
    private const int ScoredTogether = CompiledTreeEnsemble.BlockRows;

    private readonly MLContext _context;
    private readonly Lazy<CompiledTreeEnsemble?> _compiled;

    private MlNetPredictor(FeatureEncoder encoder, TargetTransform target, ModelKind kind, MLContext context, ITransformer model,
        AdditivePredictor? baseModel, WorkTrend? trend, double floorMs)
        : base(encoder, target, floorMs)
    {
        if (trend is not null && (baseModel is not null || target != TargetTransform.Log))
        {
            throw new ArgumentException("A work trend is a log-latency base of trees without an additive one.", nameof(trend));
        }
        Kind = kind;
        _context = context;
        Model = model;
        Base = baseModel;
        Trend = trend;
        _compiled = new(() => CompiledTreeEnsemble.From(model));
    }

    public override ModelKind Kind { get; }

    public ITransformer Model { get; }

    /// <summary>The additive model whose residual the trees learn, or null for trees alone.</summary>
    public AdditivePredictor? Base { get; }

    /// <summary>The work trend whose residual (in log ms) the trees of a kernel space learn, or null (trees alone, or another space).</summary>
    public WorkTrend? Trend { get; }

    public override string Description => Base is not null ? base.Description + " on an additive base"
        : Trend is not null ? base.Description + " on a work trend"
        : base.Description;

    /// <summary>One row of the ML.NET data view: the label and the feature vector (its length is set at run time).</summary>
    internal sealed class Row
    {
        public float Label { get; set; }

        public float[] Features { get; set; } = [];
    }

    public static MlNetPredictor Fit(ModelKind kind, FeatureEncoder encoder, IReadOnlyList<Architecture> architectures, IReadOnlyList<double> latenciesMs,
        TargetTransform target, int seed, bool onAdditiveBase = false)
    {
        var context = new MLContext(seed);
        var baseModel = onAdditiveBase ? AdditivePredictor.Fit(encoder, architectures, latenciesMs) : null;
        double floor = LatencyFloor.Of(latenciesMs);
        // A kernel space's trees on the log target always learn what the work trend misses: trees alone cannot extrapolate.
        var trend = target == TargetTransform.Log && WorkTrend.Applies(encoder)
            ? WorkTrend.Fit(encoder, architectures.Select(encoder.Full).ToList(), latenciesMs)
            : null;
        double[] offsets = Offsets(baseModel, trend, target, encoder, architectures) ?? new double[architectures.Count];
        var labels = latenciesMs.Select((l, i) => (float)(Transform(target, l) - offsets[i])).ToArray();
        var data = LoadRows(context, encoder, architectures, labels);
        // Small training sets (tens of rows, as in adaptation) need smaller leaves.
        int minimumPerLeaf = Math.Clamp(architectures.Count / 200, 1, 5);
        IEstimator<ITransformer> trainer = kind switch
        {
            ModelKind.FastTree => context.Regression.Trainers.FastTree(new FastTreeRegressionTrainer.Options
            {
                NumberOfLeaves = 32,
                NumberOfTrees = 600,
                LearningRate = 0.08,
                MinimumExampleCountPerLeaf = minimumPerLeaf,
                NumberOfThreads = 1,
                FeatureFraction = 1.0,
            }),
            ModelKind.LightGbm => context.Regression.Trainers.LightGbm(new LightGbmRegressionTrainer.Options
            {
                NumberOfLeaves = 32,
                NumberOfIterations = 800,
                LearningRate = 0.06,
                MinimumExampleCountPerLeaf = minimumPerLeaf,
                NumberOfThreads = 1,
                Seed = seed,
                Silent = true,
                Verbose = false,
            }),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Not an ML.NET model kind."),
        };
        // On a thread-pool thread: FastTree starts a task and waits for it at every split (thousands per model, even with one
        // thread), which a pool thread runs itself; any other thread waits for a pool thread, spinning meanwhile (28 fits
        // on two cores: 64 s with 41 s in the kernel, against 26 s on pool threads).
        var model = Thread.CurrentThread.IsThreadPoolThread ? trainer.Fit(data) : Task.Run(() => trainer.Fit(data)).GetAwaiter().GetResult();
        return new MlNetPredictor(encoder, target, kind, context, model, baseModel, trend, floor);
    }

    protected override double[] PredictTransformed(IReadOnlyList<Architecture> architectures)
    {
        double[] scores = IsCompiled ? CompiledScores(architectures) : TransformScores(architectures);
        if (Offsets(Base, Trend, Target, Encoder, architectures) is { } offsets)
        {
            for (int i = 0; i < scores.Length; i++)
            {
                scores[i] += offsets[i];
            }
        }
        return scores;
    }

    /// <summary>Whether predictions walk the flattened ensemble (every FastTree and LightGbm model without categorical splits).</summary>
    internal bool IsCompiled => _compiled.Value is not null;

    /// <summary>The ensemble's scores through ML.NET's own <c>Transform</c>: the reference for <see cref="CompiledScores"/>.</summary>
    internal double[] TransformScores(IReadOnlyList<Architecture> architectures)
    {
        var data = LoadRows(_context, Encoder, architectures, labels: null);
        return Model.Transform(data).GetColumn<float>("Score").Select(score => (double)score).ToArray();
    }

    internal double[] CompiledScores(IReadOnlyList<Architecture> architectures)
    {
        var compiled = _compiled.Value ?? throw new InvalidOperationException("The model could not be flattened.");
        var scores = new double[architectures.Count];
        var ranges = Partitioner.Create(0, architectures.Count, Math.Max(ParallelChunk, architectures.Count / (PartsPerCore * Environment.ProcessorCount) + 1));
        int length = Encoder.Length;
        Parallel.ForEach(ranges, range =>
        {
            var rows = new float[Math.Min(ScoredTogether, range.Item2 - range.Item1) * length];
            for (int start = range.Item1; start < range.Item2; start += ScoredTogether)
            {
                int count = Math.Min(ScoredTogether, range.Item2 - start);
                rows.AsSpan(0, count * length).Clear();
                for (int i = 0; i < count; i++)
                {
                    Encoder.Write(architectures[start + i], rows.AsSpan(i * length, length));
                }
                var block = scores.AsSpan(start, count);
                compiled.Score(rows, length, block);
                for (int i = 0; i < count; i++)
                {
                    // ML.NET reports the score as a float; rounding the same way keeps both paths equal.
                    block[i] = (float)block[i];
                }
            }
        });
        return scores;
    }

    /// <summary>
    /// Predicted latencies (ms) of feature vectors given directly, for a space whose predictors see
    /// only features (<see cref="SearchSpace.EncodesChoices"/> false): a kernel configuration off the
    /// sampled grid has features but no architecture.
    /// </summary>
    /// <exception cref="InvalidOperationException">The model also sees choices, or learns an additive base's residual.</exception>
    public double[] PredictFeatures(IReadOnlyList<float[]> rows)
    {
        if (Encoder.OneHotLength > 0 || Base is not null)
        {
            throw new InvalidOperationException("Only a model on features alone predicts from feature vectors.");
        }
        var compiled = _compiled.Value ?? throw new InvalidOperationException("The model could not be flattened.");
        int length = Encoder.Length;
        var flat = new float[rows.Count * length];
        for (int i = 0; i < rows.Count; i++)
        {
            rows[i].CopyTo(flat.AsSpan(i * length, length));
        }
        var scores = new double[rows.Count];
        compiled.Score(flat, length, scores);
        for (int i = 0; i < scores.Length; i++)
        {
            double score = (float)scores[i] + (Trend?.LogMs(rows[i]) ?? 0);
            scores[i] = Target == TargetTransform.Log ? Math.Exp(score) : score;
        }
        return LatencyFloor.Apply(scores, FloorMs);
    }

    /// <summary>
    /// What the trees' scores are added to, on the model's scale: the additive base's prediction (it never predicts below
    /// its floor, so its log exists) or the work trend's log latency; null for trees alone.
    /// </summary>
    private static double[]? Offsets(AdditivePredictor? baseModel, WorkTrend? trend, TargetTransform target, FeatureEncoder encoder,
        IReadOnlyList<Architecture> architectures)
    {
        if (baseModel is not null)
        {
            double[] predictions = baseModel.Predict(architectures);
            return target == TargetTransform.Log ? predictions.Select(p => Math.Log(p)).ToArray() : predictions;
        }
        return trend is null ? null : architectures.Select(architecture => trend.LogMs(encoder.Full(architecture))).ToArray();
    }

    public void SaveModel(Stream stream)
    {
        var schema = LoadRows(_context, Encoder, [], labels: null).Schema;
        _context.Model.Save(Model, schema, stream);
    }

    /// <exception cref="FeatureCountMismatchException">The model was trained on feature vectors of another length than the encoder writes.</exception>
    public static MlNetPredictor LoadModel(ModelKind kind, FeatureEncoder encoder, TargetTransform target, Stream stream, AdditivePredictor? baseModel,
        WorkTrend? trend, double floorMs)
    {
        var context = new MLContext(0);
        var model = context.Model.Load(stream, out var inputSchema);
        if (inputSchema.GetColumnOrNull(nameof(Row.Features))?.Type is VectorDataViewType { Size: var trainedOn } && trainedOn != encoder.Length)
        {
            throw new FeatureCountMismatchException(trainedOn, encoder.Length);
        }
        return new MlNetPredictor(encoder, target, kind, context, model, baseModel, trend, floorMs);
    }

    private static IDataView LoadRows(MLContext context, FeatureEncoder encoder, IReadOnlyList<Architecture> architectures, float[]? labels)
    {
        var rows = new Row[architectures.Count];
        for (int i = 0; i < rows.Length; i++)
        {
            rows[i] = new Row { Label = labels?[i] ?? 0, Features = encoder.Full(architectures[i]) };
        }
        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, encoder.Length);
        return context.Data.LoadFromEnumerable(rows, schema);
    }
}

/// <summary>A saved model expects feature vectors of another length than this build computes for its space (features were added since it was trained).</summary>
public sealed class FeatureCountMismatchException(int trainedOn, int computed)
    : Exception($"it was trained on {trainedOn} features of each architecture, and this LatencyNas computes {computed}")
{
    public int TrainedOn { get; } = trainedOn;

    public int Computed { get; } = computed;
}
