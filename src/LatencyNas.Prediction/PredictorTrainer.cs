using LatencyNas.Core;
using LatencyNas.Core.Spaces;
using LatencyNas.Core.Statistics;

namespace LatencyNas.Prediction;

/// <summary>A model family with the target it is fitted to.</summary>
/// <param name="OnAdditiveBase">For tree models: learn the residual of an additive model (see <see cref="MlNetPredictor"/>).</param>
/// <param name="WithFeatures">For the additive model: the space's analytic features are terms of the sum too (see <see cref="AdditivePredictor"/>).</param>
public sealed record PredictorChoice(ModelKind Kind, TargetTransform Target, bool OnAdditiveBase = false, bool WithFeatures = false)
{
    public override string ToString()
        => $"{Kind.ToString().ToLowerInvariant()}{(WithFeatures ? "+features" : "")}{(Target == TargetTransform.Log ? "/log" : "")}{(OnAdditiveBase ? "+base" : "")}";
}

/// <summary>The cross-validated score of one candidate in an automatic choice.</summary>
public sealed record CandidateScore(PredictorChoice Choice, double CvWithin10, double CvSrcc, double CvMape);

/// <summary>A trained predictor and, for an automatic choice, how each candidate scored.</summary>
/// <param name="FitSeconds">Seconds spent fitting it, summed over the fits of an automatic choice (which run on several cores at once).</param>
public sealed record TrainedPredictor(LatencyPredictor Predictor, IReadOnlyList<CandidateScore> CandidateScores, double FitSeconds = 0);

/// <summary>
/// Trains predictors on a device's measurements: a named family, or <c>auto</c>, which
/// cross-validates the candidates on the training set and keeps the one with the largest share
/// of predictions within ±10% (then the highest SRCC). That share, unlike MAPE, is not swamped by
/// the few near-zero latencies of pruned, disconnected cells some devices report.
/// </summary>
public static class PredictorTrainer
{
    /// <summary>
    /// The variant each family uses when named explicitly, chosen by measurement on real devices
    /// (README): the additive model on milliseconds (latency adds up in ms, not in log ms); trees
    /// on the log target over an additive base, which keeps them exact where latency is additive.
    /// </summary>
    public static PredictorChoice DefaultChoice(ModelKind kind) => kind == ModelKind.Additive
        ? new(kind, TargetTransform.Identity)
        : new(kind, TargetTransform.Log, OnAdditiveBase: true);

    /// <summary>
    /// What <c>auto</c> chooses from where the space can be listed. The additive model with features follows what a
    /// runtime adds on top of the ops (NB201 on ONNX Runtime: reorders, plain kernels), which trees on 1,000 samples
    /// split on but do not add up (README). LightGBM on an additive base on ms (not log ms) was one more: it won five of the 28 NB201 devices by at most 0.1 point and made a third of the LightGBM fits, which ML.NET
    /// runs one at a time (README).
    /// </summary>
    public static IReadOnlyList<PredictorChoice> Candidates { get; } =
    [
        new(ModelKind.Additive, TargetTransform.Identity),
        new(ModelKind.Additive, TargetTransform.Log),
        new(ModelKind.Additive, TargetTransform.Identity, WithFeatures: true),
        new(ModelKind.FastTree, TargetTransform.Log, OnAdditiveBase: true),
        new(ModelKind.LightGbm, TargetTransform.Log, OnAdditiveBase: true),
        new(ModelKind.LightGbm, TargetTransform.Log),
    ];

    /// <summary>
    /// The candidates <c>auto</c> cross-validates in <paramref name="space"/>. Where the space cannot be
    /// listed, only those that extrapolate: trees alone predict every architecture beyond the
    /// training sample's range at the range's edge (FBNet's all-k5_e6 network, twice the latency of
    /// anything in a random sample of 40, was predicted under a 2 ms budget), and a search there goes
    /// exactly where the sample is thin. Trees on an additive base add up per-layer costs first.
    /// Cross-validation on a random sample cannot see this: its folds are drawn like the training set.
    /// </summary>
    public static IReadOnlyList<PredictorChoice> CandidatesFor(SearchSpace space)
        => !space.EncodesChoices ? FeatureOnlyCandidates
            : space.CanBeListed ? Candidates
            : Candidates.Where(c => c.Kind == ModelKind.Additive || c.OnAdditiveBase).ToList();

    /// <summary>
    /// For a space whose predictors see only features (the kernel spaces): trees alone, on the log
    /// target — latency spans orders of magnitude across kernel sizes, and errors count relatively.
    /// </summary>
    private static readonly IReadOnlyList<PredictorChoice> FeatureOnlyCandidates =
        [new(ModelKind.LightGbm, TargetTransform.Log), new(ModelKind.FastTree, TargetTransform.Log)];

    /// <summary>
    /// Folds of <c>auto</c>'s cross-validation. Three, not five: on the 28 NB201 devices with 1,000
    /// training architectures each, five folds took 229 s and three 153 s, chose the same family on 22
    /// devices and a near tie on the other six (within ±10% on the test set 0.7 points apart at most),
    /// mean within ±10% 88.8% against 88.7%.
    /// </summary>
    public const int DefaultFolds = 3;

    /// <param name="model">A family (with its <see cref="DefaultChoice"/>), or <see cref="PredictorModel.Auto"/> to choose by cross-validation.</param>
    public static TrainedPredictor Train(PredictorModel model, LatencyData data, int seed, int folds = DefaultFolds)
        => TrainAll([data], model, seed, folds: folds)[0];

    /// <summary>
    /// Trains a predictor on each training set, all in one pool of fits over the cores there are (<see cref="FitPool"/>):
    /// each candidate's fit on each fold of an automatic choice is one piece of work, so one set's candidates spread over
    /// the cores and ML.NET's one-at-a-time LightGBM fits run beside the rest. A set's final fit goes ahead of the
    /// cross-validation still queued, so predictors come out roughly in the order of the sets. Every fit depends only on
    /// its data and seed: the predictors are those each set would get alone.
    /// </summary>
    /// <param name="trained">Called with a set's index and predictor as soon as that one is trained; calls may come from several threads at once.</param>
    /// <returns>The predictors in the order of <paramref name="sets"/>.</returns>
    /// <exception cref="InvalidInputException">An additive model for a space whose predictors see only features.</exception>
    public static IReadOnlyList<TrainedPredictor> TrainAll(IReadOnlyList<LatencyData> sets, PredictorModel model, int seed,
        Action<int, TrainedPredictor>? trained = null, int folds = DefaultFolds, CancellationToken cancellation = default)
    {
        var results = new TrainedPredictor[sets.Count];
        var pool = new FitPool(cancellation);
        for (int i = 0; i < sets.Count; i++)
        {
            int set = i;
            var data = sets[set];
            void AddFinalFit(PredictorChoice choice, IReadOnlyList<CandidateScore> scores, double secondsSoFar)
                => pool.Add(() =>
                {
                    var (predictor, seconds) = Timed(() => Fit(choice, data, seed));
                    var result = results[set] = new TrainedPredictor(predictor, scores, secondsSoFar + seconds);
                    if (trained is not null)
                    {
                        // Apart from the fit, which may hold the LightGBM turn: what the caller does with it need not.
                        pool.Add(() => trained(set, result), oneAtATime: false, stage: 0);
                    }
                }, choice.Kind == ModelKind.LightGbm, stage: 0);

            if (model != PredictorModel.Auto)
            {
                AddFinalFit(DefaultChoice(ModelKindOf(model)), [], 0);
            }
            else if (data.Count < 2 * folds)
            {
                // Too few to cross-validate: the first candidate (the additive model, which has the fewest parameters, where there is one).
                AddFinalFit(CandidatesFor(data.Space)[0], [], 0);
            }
            else
            {
                var choice = new AutoChoice(data, CandidatesFor(data.Space), folds, seed);
                foreach (var (candidate, fold) in choice.Fits)
                {
                    pool.Add(() =>
                    {
                        var (predicted, seconds) = Timed(() => choice.FitFold(candidate, fold));
                        if (choice.Done(candidate, fold, predicted, seconds))
                        {
                            var scores = choice.Scores();
                            var best = scores.OrderByDescending(s => s.CvWithin10).ThenByDescending(s => s.CvSrcc).First();
                            AddFinalFit(best.Choice, scores, choice.Seconds);
                        }
                    }, choice.Candidates[candidate].Kind == ModelKind.LightGbm, stage: 1);
                }
            }
        }
        pool.Run();
        return results;
    }

    private static ModelKind ModelKindOf(PredictorModel model) => model switch
    {
        PredictorModel.Additive => ModelKind.Additive,
        PredictorModel.FastTree => ModelKind.FastTree,
        PredictorModel.LightGbm => ModelKind.LightGbm,
        _ => throw new ArgumentOutOfRangeException(nameof(model), model, null),
    };

    private static (T Value, double Seconds) Timed<T>(Func<T> work)
    {
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        var value = work();
        return (value, System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds);
    }

    /// <exception cref="InvalidInputException">An additive model for a space whose predictors see only features.</exception>
    public static LatencyPredictor Fit(PredictorChoice choice, LatencyData data, int seed)
    {
        // Here, not in each caller's choice: a space whose predictors see only features (kernels) has
        // no additive model, so no base either, and its latencies span orders of magnitude (log target).
        if (!data.Space.EncodesChoices)
        {
            if (choice.Kind == ModelKind.Additive)
            {
                throw new InvalidInputException($"{data.Space.Name} predictors see only the kernel's numbers, which an additive model over choices cannot use; train fasttree, lightgbm or auto.");
            }
            choice = choice with { OnAdditiveBase = false, Target = TargetTransform.Log };
        }
        var encoder = new FeatureEncoder(data.Space, data.Dataset);
        return choice.Kind == ModelKind.Additive
            ? AdditivePredictor.Fit(encoder, data.Architectures, data.LatenciesMs, choice.Target, withFeatures: choice.WithFeatures)
            : MlNetPredictor.Fit(choice.Kind, encoder, data.Architectures, data.LatenciesMs, choice.Target, seed, choice.OnAdditiveBase);
    }

    /// <summary>
    /// One set's automatic choice: every candidate fitted on all folds but one and tested on that one, folds drawn by
    /// the seed; scored when the last fit is in.
    /// </summary>
    private sealed class AutoChoice
    {
        private readonly LatencyData _data;
        private readonly int _seed;
        private readonly int[][] _testFolds;
        private readonly int[][] _trainFolds;
        private readonly double[][][] _predicted;
        private readonly Lock _gate = new();
        private int _left;
        private double _seconds;

        public AutoChoice(LatencyData data, IReadOnlyList<PredictorChoice> candidates, int folds, int seed)
        {
            _data = data;
            _seed = seed;
            Candidates = candidates;
            var order = Enumerable.Range(0, data.Count).ToArray();
            new Random(seed).Shuffle(order);
            _testFolds = Enumerable.Range(0, folds).Select(fold => order.Where((_, i) => i % folds == fold).ToArray()).ToArray();
            _trainFolds = Enumerable.Range(0, folds).Select(fold => order.Where((_, i) => i % folds != fold).ToArray()).ToArray();
            _predicted = candidates.Select(_ => new double[folds][]).ToArray();
            _left = candidates.Count * folds;
        }

        public IReadOnlyList<PredictorChoice> Candidates { get; }

        /// <summary>The fits to run, the dearest kinds first (trees before additive models), so that a core is not left with a long one at the end.</summary>
        public IEnumerable<(int Candidate, int Fold)> Fits
            => Enumerable.Range(0, Candidates.Count).OrderBy(c => Candidates[c].Kind == ModelKind.Additive ? 1 : 0)
                .SelectMany(c => Enumerable.Range(0, _testFolds.Length).Select(fold => (c, fold)));

        /// <summary>Seconds spent fitting so far.</summary>
        public double Seconds
        {
            get { lock (_gate) { return _seconds; } }
        }

        public double[] FitFold(int candidate, int fold)
        {
            var model = Fit(Candidates[candidate], _data.Subset(_trainFolds[fold]), _seed);
            return model.Predict(_data.Subset(_testFolds[fold]).Architectures);
        }

        /// <returns>Whether this was the last fit.</returns>
        public bool Done(int candidate, int fold, double[] predicted, double seconds)
        {
            lock (_gate)
            {
                _predicted[candidate][fold] = predicted;
                _seconds += seconds;
                return --_left == 0;
            }
        }

        public IReadOnlyList<CandidateScore> Scores()
        {
            var measured = _testFolds.SelectMany(test => test.Select(i => _data.LatenciesMs[i])).ToList();
            return Candidates.Select((choice, c) =>
            {
                var metrics = PredictionMetrics.Compute(measured, _predicted[c].SelectMany(p => p).ToList());
                return new CandidateScore(choice, metrics.Within10, metrics.Srcc, metrics.Mape);
            }).ToList();
        }
    }
}
