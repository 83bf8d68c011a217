using LatencyNas.Core.Statistics;

namespace LatencyNas.Prediction;

/// <summary>
/// How a kernel's latency grows with its work — the base whose residual a kernel space's trees learn:
/// t ≈ t₀ + exp(a + b·log(1 + MACs) + c·log(MB read and written, weights included)), a fixed cost
/// per run and a power law of the work. For each t₀ on a grid below the fastest kernel, a, b and c
/// are fitted by least squares on log(t − t₀), with a light ridge on the two slopes
/// (<see cref="RidgePerKernel"/>; Gemm's MACs and weight megabytes move together, and an unpenalised
/// fit trades them off in slopes of ±18); the t₀ whose trend is closest to the measured log latencies
/// is kept. Without t₀ the slopes of small kernels, whose time is mostly the fixed cost, come out
/// flat, and large kernels are predicted far too fast.
/// </summary>
/// <remarks>
/// Trees alone predict every kernel beyond the measured range at the range's edge: convolutions with
/// more MACs than any measured one came out at a fraction of their latency. On the trend they follow
/// the work, and the trees correct what it misses (README, "Any ONNX model").
/// </remarks>
public sealed class WorkTrend
{
    /// <summary>The ridge on each slope, per measured kernel.</summary>
    public const double RidgePerKernel = 0.01;

    private const string LogMacs = "log_macs";
    private static readonly string[] Megabytes = ["in_mb", "out_mb", "weight_mb"];

    // A kernel that moves no data (never in practice) would have log 0; this keeps the logarithm finite.
    private const double LeastMegabytes = 1e-4;

    private readonly int _logMacs;
    private readonly int[] _megabytes;

    /// <summary>Fixed costs tried, as fractions of the fastest measured kernel's latency.</summary>
    private static readonly double[] FixedCostFractions = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95];

    /// <exception cref="ArgumentException">The encoder's features lack the kernel's MACs or megabytes (<see cref="Applies"/>).</exception>
    /// <exception cref="ArgumentOutOfRangeException">A negative fixed cost.</exception>

    public WorkTrend(FeatureEncoder encoder, double fixedMs, double intercept, double perLogMacs, double perLogMegabytes)
    {
        if (!Applies(encoder))
        {
            throw new ArgumentException($"{encoder.Space.Name} features lack {LogMacs} or {string.Join('/', Megabytes)}.", nameof(encoder));
        }
        var names = encoder.Names.ToList();
        _logMacs = names.IndexOf(LogMacs);
        _megabytes = Megabytes.Select(name => names.IndexOf(name)).ToArray();
        if (!(fixedMs >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(fixedMs), fixedMs, "A fixed cost is at least 0 ms.");
        }
        (FixedMs, Intercept, PerLogMacs, PerLogMegabytes) = (fixedMs, intercept, perLogMacs, perLogMegabytes);
    }

    /// <summary>t₀: the fixed cost of a run (ms).</summary>
    public double FixedMs { get; }

    public double Intercept { get; }

    public double PerLogMacs { get; }

    public double PerLogMegabytes { get; }

    /// <summary>Whether the encoder's features hold what the trend reads: a kernel space's.</summary>
    public static bool Applies(FeatureEncoder encoder)
        => !encoder.Space.EncodesChoices && encoder.Names.Contains(LogMacs) && Megabytes.All(encoder.Names.Contains);

    /// <param name="rows">Full feature vectors (<see cref="FeatureEncoder.Full(LatencyNas.Core.Spaces.Architecture)"/>).</param>
    public static WorkTrend Fit(FeatureEncoder encoder, IReadOnlyList<float[]> rows, IReadOnlyList<double> latenciesMs)
    {
        var unfitted = new WorkTrend(encoder, 0, 0, 0, 0);
        var design = rows.Select(row => new[] { 1, row[unfitted._logMacs], unfitted.LogMegabytes(row) }).ToList();
        double ridge = RidgePerKernel * rows.Count;
        double fastest = latenciesMs.Min();
        WorkTrend? best = null;
        double bestError = double.PositiveInfinity;
        foreach (double fraction in FixedCostFractions)
        {
            double fixedMs = fraction * fastest;
            double[] solution = RidgeRegression.Fit(design, latenciesMs.Select(latency => Math.Log(latency - fixedMs)).ToList(), [0, ridge, ridge]);
            var trend = new WorkTrend(encoder, fixedMs, solution[0], solution[1], solution[2]);
            double error = rows.Select((row, i) => Math.Pow(trend.LogMs(row) - Math.Log(latenciesMs[i]), 2)).Sum();
            if (error < bestError)
            {
                (best, bestError) = (trend, error);
            }
        }
        return best!;
    }

    /// <summary>The trend's log latency (log ms) of one full feature vector.</summary>
    public double LogMs(ReadOnlySpan<float> row)
        => Math.Log(FixedMs + Math.Exp(Intercept + PerLogMacs * row[_logMacs] + PerLogMegabytes * LogMegabytes(row)));

    private double LogMegabytes(ReadOnlySpan<float> row)
    {
        double sum = LeastMegabytes;
        foreach (int column in _megabytes)
        {
            sum += row[column];
        }
        return Math.Log(sum);
    }
}
