namespace LatencyNas.Core.Statistics;

/// <summary>How well predicted latencies match measured ones: error, shares within ±5% and ±10%, and rank agreement.</summary>
/// <param name="Count">Architectures compared.</param>
/// <param name="Rmse">Root mean squared error, in the latencies' unit (ms).</param>
/// <param name="Mape">Mean of |pred − true| / true.</param>
/// <param name="Within5">Share with |pred − true| / true ≤ 0.05.</param>
/// <param name="Within10">Share with |pred − true| / true ≤ 0.10.</param>
/// <param name="Srcc">Spearman rank correlation.</param>
/// <param name="KendallTau">Kendall tau-b.</param>
public sealed record PredictionMetrics(int Count, double Rmse, double Mape, double Within5, double Within10, double Srcc, double KendallTau)
{
    public static PredictionMetrics Compute(IReadOnlyList<double> measured, IReadOnlyList<double> predicted)
    {
        if (measured.Count != predicted.Count)
        {
            throw new ArgumentException($"{measured.Count} measured but {predicted.Count} predicted values.");
        }
        int n = measured.Count;
        if (n == 0)
        {
            return new PredictionMetrics(0, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);
        }
        double squared = 0, relative = 0;
        int within5 = 0, within10 = 0;
        for (int i = 0; i < n; i++)
        {
            double error = predicted[i] - measured[i];
            double relativeError = Math.Abs(error) / measured[i];
            squared += error * error;
            relative += relativeError;
            within5 += relativeError <= 0.05 ? 1 : 0;
            within10 += relativeError <= 0.10 ? 1 : 0;
        }
        return new PredictionMetrics(
            n,
            Math.Sqrt(squared / n),
            relative / n,
            within5 / (double)n,
            within10 / (double)n,
            RankCorrelation.Spearman(measured, predicted),
            RankCorrelation.KendallTauB(measured, predicted));
    }
}
