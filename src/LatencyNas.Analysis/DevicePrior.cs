using System.Runtime.CompilerServices;
using LatencyNas.Core;
using LatencyNas.Core.Spaces;
using LatencyNas.Core.Spaces.Nb201;
using LatencyNas.Core.Statistics;
using LatencyNas.Prediction;

namespace LatencyNas.Analysis;

/// <summary>Which of an NB201 cell's non-<c>none</c> edges a device computes: the networks run for the same architecture differ.</summary>
public enum ComputedEdges
{
    /// <summary>Every one, as NB201's own PyTorch cells do (the HELP devices).</summary>
    Every,

    /// <summary>Those into a node the cell output depends on, as this project's export does (<see cref="Nb201Cell.EdgesReachingOutput"/>).</summary>
    ReachingOutput,

    /// <summary>Only those on a path from the cell's input to its output (<see cref="Nb201Cell.LiveEdges"/>), as the EAGLE i7's networks do.</summary>
    Live,
}

/// <summary>A target's model under the known devices' prior.</summary>
/// <param name="Predict">Latency in ms of each architecture asked for.</param>
/// <param name="ComputedEdges">The edges the target is taken to compute: the hypothesis its samples' marginal likelihood chose.</param>
public sealed record PriorFit(Func<IReadOnlyList<Architecture>, double[]> Predict, ComputedEdges ComputedEdges);

/// <summary>
/// The known devices' additive models as a prior for a new device's (README, "Adaptation", device-prior).
/// Each known device's latency, divided by its mean, is fitted as an additive model over the architecture's
/// choices (one-hot, the first choice of each decision as the reference level; in NB201 also the same one-hots
/// counted only on live edges, those on a path from the cell's input to its output). The target's weights are
/// taken to be drawn like those: a Gaussian with the known weights' mean and covariance (shrunk a little toward
/// a multiple of the identity, since 27 devices cannot fill a 48-dimensional covariance), the intercept free.
/// The K target samples then give the posterior mean of its weights, with the prior's scale and the noise
/// chosen by the marginal likelihood of the samples over a small grid. In NB201 the marginal likelihood also chooses which
/// edges the target computes (<see cref="ComputedEdges"/>): the known weights price a choice wherever it is computed,
/// and each hypothesis counts the choices on the edges it computes.
/// </summary>
/// <remarks>
/// It needs no other device measured on the architectures it predicts (device mixing does), and on NB201 it
/// ranks the targets no mix of devices describes far better (eyeriss 0.86 → 0.99 from ten samples in a numpy
/// replay of five seeds), while it ranks a few devices the mix describes well slightly worse (pixel3, raspi4).
/// </remarks>
public sealed class DevicePrior
{
    /// <summary>Shrinkage of the known weights' covariance toward tr(C)/p · I.</summary>
    public const double Shrinkage = 0.01;

    /// <summary>Fewest measurements per weight for a known device to inform the prior.</summary>
    public const int MeasurementsPerWeight = 4;

    /// <summary>
    /// By how much a hypothesis that the target computes fewer edges must raise the log marginal likelihood of samples drawn at
    /// random above computing every edge, as most known devices do (README, "Which edges a device computes"). On the 28 NB201
    /// devices, three draws each of K = 10 and 20, the other hypotheses won by 4.1–8.0 on the EAGLE i7 (five of its six draws,
    /// then ranked at 0.80–0.93), by 2.4–19 on pixel3 and raspi4 (within ±0.01 of computing every edge), and once by 3.7 where
    /// they were wrong (samsung_s7: 0.75 instead of 0.89).
    /// </summary>
    public const double EvidenceForOtherEdgesFromRandomSamples = 4;

    /// <summary>
    /// The same for samples drawn where the known devices, and their models computing other edges, disagree (<see cref="DisagreementSamples"/>):
    /// such samples are drawn to tell the hypotheses apart, and on the same devices they gave the EAGLE i7's 3.6–9.5, pixel3's and
    /// raspi4's 4.2–20, and left the other hypotheses 3.5 or more behind everywhere else.
    /// </summary>
    public const double EvidenceForOtherEdgesFromDiverseSamples = 2;

    private const double InterceptVariance = 1e3;
    private static readonly double[] ScaleGrid = [0.25, 0.5, 1, 2, 4];
    private static readonly double[] NoiseGrid = [0.1, 0.3, 1, 3, 10, 30, 100, 300];

    private readonly FeatureEncoder _encoder;
    private readonly int[] _choiceColumns;
    private readonly int[] _decisionOfColumn;
    private readonly IReadOnlyList<KnownFit> _known;

    /// <summary>A known device's additive fit; kept with its measurements, since an adaptation run adapts to each target from the same devices.</summary>
    private sealed record KnownFit(string Device, double[] Weights, double ResidualVariance);

    private static readonly ConditionalWeakTable<LatencyData, KnownFit> Fits = [];

    /// <summary>The known weights' mean (intercept 0), the inverse and log-determinant of their shrunk covariance, and the noise unit.</summary>
    private sealed record PriorMoments(double[] Mean, double[,] Precision, double LogDeterminantCovariance, double NoiseUnit);

    private readonly Dictionary<string, PriorMoments?> _priors = [];

    /// <param name="known">Known devices; those with fewer than <see cref="MeasurementsPerWeight"/> measurements per weight are left out.</param>
    public DevicePrior(SearchSpace space, Dataset dataset, IReadOnlyList<LatencyData> known)
    {
        _encoder = new FeatureEncoder(space, dataset);
        _choiceColumns = Enumerable.Range(0, _encoder.OneHotLength).Where(c => !_encoder.IsReferenceLevel(c)).ToArray();
        var decisionOfOneHot = space.Decisions.SelectMany((decision, d) => Enumerable.Repeat(d, decision.Choices.Count)).ToArray();
        _decisionOfColumn = _choiceColumns.Select(c => decisionOfOneHot[c]).ToArray();
        Length = 1 + _choiceColumns.Length * (space is Nb201Space ? 2 : 1);
        _known = known
            .Where(d => d.Space.Name == space.Name && d.Count >= MeasurementsPerWeight * Length)
            .Select(d => Fits.GetValue(d, Fit))
            .ToList();
    }

    /// <summary>Features of the additive form: the intercept, then the weights.</summary>
    public int Length { get; }

    /// <summary>The known devices whose fits inform the prior.</summary>
    public IReadOnlyList<string> Devices => _known.Select(k => k.Device).ToList();

    /// <summary>The hypotheses of which edges a target computes: in NB201 each of <see cref="ComputedEdges"/>, elsewhere every choice counts.</summary>
    private IReadOnlyList<ComputedEdges> Hypotheses => _encoder.Space is Nb201Space ? Enum.GetValues<ComputedEdges>() : [ComputedEdges.Every];

    /// <summary>The target's additive model from its samples, with every known device but the target as the prior.</summary>
    /// <param name="drawnAtRandom">False for samples drawn where the known devices disagree, which tell the hypotheses of <see cref="ComputedEdges"/> apart on less evidence.</param>
    /// <returns>Null when fewer than two known devices are left.</returns>
    public PriorFit? Adapt(LatencyData samples, bool drawnAtRandom = true)
    {
        if (samples.Count < 2 || PriorWithout(samples.Device) is not { } prior)
        {
            return null;
        }
        var fits = Hypotheses.Select(h => Adapt(samples, prior, h)).OfType<(double LogLikelihood, PriorFit Fit)>().ToList();
        var asKnown = fits.FirstOrDefault(f => f.Fit.ComputedEdges == ComputedEdges.Every);
        var best = fits.MaxBy(f => f.LogLikelihood);
        double evidence = drawnAtRandom ? EvidenceForOtherEdgesFromRandomSamples : EvidenceForOtherEdgesFromDiverseSamples;
        return asKnown.Fit is not null && best.LogLikelihood < asKnown.LogLikelihood + evidence ? asKnown.Fit : best.Fit;
    }

    /// <summary>The posterior under the prior with the target computing <paramref name="computed"/>, and the samples' log marginal likelihood (its best over the grid).</summary>
    private (double LogLikelihood, PriorFit Fit)? Adapt(LatencyData samples, PriorMoments prior, ComputedEdges computed)
    {
        int p = Length, q = p - 1;
        var (mean, precision, logDeterminantCovariance, noiseUnit) = prior;

        // In weight space, so that the cost grows with K only through XᵀX (a search may adapt from thousands of samples):
        // with S = diag(v₀, a·C) the prior covariance of the weights (v₀ the intercept's), noise σ², and A = S⁻¹ + XᵀX/σ²,
        // the posterior mean is μ + A⁻¹Xᵀr/σ² and the log marginal likelihood −½(rᵀr/σ² − bᵀA⁻¹b) − ½(log|A| + log|S| + K log σ²), b = Xᵀr/σ².
        int k = samples.Count;
        double scale = samples.LatenciesMs.Average();
        var gram = new double[p, p];
        var projected = new double[p];
        double residualSquares = 0;
        for (int i = 0; i < k; i++)
        {
            double[] x = Features(samples.Architectures[i], computed);
            double residual = samples.LatenciesMs[i] / scale - Dot(x, mean);
            residualSquares += residual * residual;
            for (int a = 0; a < p; a++)
            {
                projected[a] += x[a] * residual;
                for (int b = 0; b <= a; b++)
                {
                    gram[a, b] += x[a] * x[b];
                }
            }
        }
        (double LogLikelihood, double[] Deviation)? best = null;
        foreach (double priorScale in ScaleGrid)
        {
            foreach (double noise in NoiseGrid.Select(n => n * noiseUnit))
            {
                var posterior = new double[p, p];
                for (int a = 0; a < p; a++)
                {
                    for (int b = 0; b <= a; b++)
                    {
                        double priorPrecision = a == 0 || b == 0 ? (a == b ? 1 / InterceptVariance : 0) : precision[a - 1, b - 1] / priorScale;
                        posterior[a, b] = posterior[b, a] = priorPrecision + gram[a, b] / noise;
                    }
                }
                double[,] factor;
                try
                {
                    factor = RidgeRegression.Cholesky(posterior);
                }
                catch (ArgumentException)
                {
                    continue;
                }
                double[] right = projected.Select(v => v / noise).ToArray();
                double[] deviation = RidgeRegression.SolveWithCholesky(factor, right);
                double logDeterminant = Math.Log(InterceptVariance) + q * Math.Log(priorScale) + logDeterminantCovariance + k * Math.Log(noise);
                for (int a = 0; a < p; a++)
                {
                    logDeterminant += 2 * Math.Log(factor[a, a]);
                }
                double logLikelihood = -0.5 * (residualSquares / noise - Dot(right, deviation)) - 0.5 * logDeterminant;
                if (best is null || logLikelihood > best.Value.LogLikelihood)
                {
                    best = (logLikelihood, deviation);
                }
            }
        }
        if (best is not { } chosen)
        {
            return null;
        }
        var weights = mean.Zip(chosen.Deviation, (m, d) => m + d).ToArray();
        return (chosen.LogLikelihood, new PriorFit(architectures => architectures.Select(a => scale * Dot(Features(a, computed), weights)).ToArray(), computed));
    }

    /// <summary>
    /// Each known device's latency (divided by its mean) as its model gives it were the device to compute other edges than it does
    /// (each hypothesis but <see cref="ComputedEdges.Every"/>): where the hypotheses <see cref="Adapt"/> weighs disagree,
    /// so where samples tell them apart. Empty outside NB201.
    /// </summary>
    public IReadOnlyList<double[]> LatenciesComputingOtherEdges(IReadOnlyList<Architecture> architectures)
        => Hypotheses.Where(h => h != ComputedEdges.Every)
            .SelectMany(h =>
            {
                var rows = architectures.Select(a => Features(a, h)).ToArray();
                return _known.Select(k => rows.Select(r => Dot(r, k.Weights)).ToArray());
            })
            .ToList();

    /// <summary>The prior of every known device but <paramref name="device"/>, built once per target however often it is adapted to (the folds of a cross-validation).</summary>
    private PriorMoments? PriorWithout(string device)
    {
        if (_priors.TryGetValue(device, out var cached))
        {
            return cached;
        }
        var prior = _known.Where(k => k.Device != device).ToList();
        if (prior.Count < 2)
        {
            return null;
        }
        int p = Length, q = p - 1;
        var mean = new double[p];
        foreach (var (_, w, _) in prior)
        {
            for (int j = 1; j < p; j++)
            {
                mean[j] += w[j] / prior.Count;
            }
        }
        var covariance = new double[q, q];
        foreach (var (_, w, _) in prior)
        {
            for (int i = 0; i < q; i++)
            {
                for (int j = 0; j <= i; j++)
                {
                    covariance[i, j] += (w[i + 1] - mean[i + 1]) * (w[j + 1] - mean[j + 1]) / (prior.Count - 1);
                }
            }
        }
        double trace = 0;
        for (int i = 0; i < q; i++)
        {
            trace += covariance[i, i];
        }
        for (int i = 0; i < q; i++)
        {
            for (int j = 0; j <= i; j++)
            {
                covariance[i, j] = (1 - Shrinkage) * covariance[i, j] + (i == j ? Shrinkage * trace / q : 0);
                covariance[j, i] = covariance[i, j];
            }
        }

        double[,] covarianceFactor;
        try
        {
            covarianceFactor = RidgeRegression.Cholesky(covariance);
        }
        catch (ArgumentException)
        {
            return null; // the known devices' weights do not vary: no prior to speak of
        }
        var precision = Inverse(covarianceFactor);
        double logDeterminantCovariance = 0;
        for (int i = 0; i < q; i++)
        {
            logDeterminantCovariance += 2 * Math.Log(covarianceFactor[i, i]);
        }
        var moments = new PriorMoments(mean, precision, logDeterminantCovariance, Descriptive.Median(prior.Select(e => e.ResidualVariance).ToList()));
        _priors[device] = moments;
        return moments;
    }

    /// <summary>
    /// The intercept's 1, each non-reference choice's one-hot, and in NB201 the same again on live edges only; for a device computing
    /// fewer edges than <see cref="ComputedEdges.Every"/>, the first one-hots count only the choices of the edges it computes.
    /// </summary>
    private double[] Features(Architecture architecture, ComputedEdges computed = ComputedEdges.Every)
    {
        double[] oneHot = _encoder.OneHot(architecture);
        var row = new double[Length];
        row[0] = 1;
        for (int c = 0; c < _choiceColumns.Length; c++)
        {
            row[1 + c] = oneHot[_choiceColumns[c]];
        }
        if (_encoder.Space is Nb201Space)
        {
            bool[] live = Nb201Cell.LiveEdges(architecture);
            bool[]? costed = computed switch
            {
                ComputedEdges.ReachingOutput => Nb201Cell.EdgesReachingOutput(architecture),
                ComputedEdges.Live => live,
                _ => null,
            };
            for (int c = 0; c < _choiceColumns.Length; c++)
            {
                row[1 + _choiceColumns.Length + c] = live[_decisionOfColumn[c]] ? row[1 + c] : 0;
                if (costed is not null && !costed[_decisionOfColumn[c]])
                {
                    row[1 + c] = 0;
                }
            }
        }
        return row;
    }

    private KnownFit Fit(LatencyData device)
    {
        // Disconnected NB201 cells compute nothing on some devices and cost a full network's setup on others:
        // no additive form fits both, and they would pull every weight of the fit. Fitted on connected cells only.
        var connected = Enumerable.Range(0, device.Count)
            .Where(i => _encoder.Space is not Nb201Space || !Nb201Cell.IsDisconnected(device.Architectures[i]))
            .ToArray();
        double scale = connected.Average(i => device.LatenciesMs[i]);
        var rows = connected.Select(i => Features(device.Architectures[i])).ToArray();
        var targets = connected.Select(i => device.LatenciesMs[i] / scale).ToArray();
        double[] weights = RidgeRegression.Fit(rows, targets, Enumerable.Repeat(1e-6, Length).ToArray());
        double residualVariance = rows.Select((r, i) => Math.Pow(targets[i] - Dot(r, weights), 2)).Average();
        return new KnownFit(device.Device, weights, residualVariance);
    }

    /// <summary>The inverse of L Lᵀ from its Cholesky factor L.</summary>
    private static double[,] Inverse(double[,] factor)
    {
        int n = factor.GetLength(0);
        var inverse = new double[n, n];
        for (int column = 0; column < n; column++)
        {
            var unit = new double[n];
            unit[column] = 1;
            double[] solved = RidgeRegression.SolveWithCholesky(factor, unit);
            for (int row = 0; row < n; row++)
            {
                inverse[row, column] = solved[row];
            }
        }
        return inverse;
    }

    private static double Dot(double[] row, double[] weights)
    {
        double sum = 0;
        for (int i = 0; i < row.Length; i++)
        {
            sum += row[i] * weights[i];
        }
        return sum;
    }
}
