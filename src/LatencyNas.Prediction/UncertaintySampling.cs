using LatencyNas.Core.Spaces;

namespace LatencyNas.Prediction;

/// <summary>
/// Chooses what to measure next where a predictor is least sure (as nn-Meter samples its kernels
/// adaptively, more where its predictor errs): two tree models, each fitted on one half of what is
/// measured, predict every candidate; the candidates they disagree on most (by the ratio of their
/// predictions) are where one more measurement teaches the predictor most.
/// </summary>
public static class UncertaintySampling
{
    /// <summary>Fewer measurements than this, and halves are too small to disagree usefully: candidates are taken in their given order.</summary>
    public const int MinimumMeasured = 20;

    /// <summary>The <paramref name="count"/> candidates the two half-models disagree on most, most first; reproducible for a seed.</summary>
    /// <param name="candidates">Members not measured yet.</param>
    public static IReadOnlyList<Architecture> MostUncertain(LatencyData measured, IReadOnlyList<Architecture> candidates, int count, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count >= candidates.Count)
        {
            return candidates;
        }
        if (measured.Count < MinimumMeasured)
        {
            return candidates.Take(count).ToList();
        }
        int[] order = Enumerable.Range(0, measured.Count).ToArray();
        new Random(seed).Shuffle(order);
        var first = measured.Subset(order[..(order.Length / 2)]);
        var second = measured.Subset(order[(order.Length / 2)..]);
        var choice = new PredictorChoice(ModelKind.FastTree, TargetTransform.Log);
        double[] a = PredictorTrainer.Fit(choice, first, seed).Predict(candidates);
        double[] b = PredictorTrainer.Fit(choice, second, seed + 1).Predict(candidates);
        return Enumerable.Range(0, candidates.Count)
            .OrderByDescending(i => Math.Abs(Math.Log(Math.Max(a[i], 1e-9) / Math.Max(b[i], 1e-9))))
            .ThenBy(i => i)
            .Take(count)
            .Select(i => candidates[i])
            .ToList();
    }
}
