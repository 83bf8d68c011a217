using LatencyNas.Core.Spaces;
using LatencyNas.Core.Spaces.Nb201;
using LatencyNas.Prediction;

namespace LatencyNas.Prediction.Tests;

/// <summary>A device whose latency is exactly additive over ops: the ground truth every family must learn.</summary>
internal static class SyntheticDevice
{
    /// <summary>Cost (ms) of each op on each edge: none, skip, conv1x1, conv3x3, avgpool.</summary>
    public static double[,] OpCosts { get; } = BuildCosts();

    public const double BaseMs = 0.8;

    public static double Latency(Architecture architecture)
    {
        double latency = BaseMs;
        for (int e = 0; e < 6; e++)
        {
            latency += OpCosts[e, architecture[e]];
        }
        return latency;
    }

    public static LatencyData All()
    {
        var architectures = Nb201Space.Instance.Enumerate().ToArray();
        return new LatencyData("synthetic", Nb201Space.Instance, Dataset.Cifar10, architectures, architectures.Select(Latency).ToArray());
    }

    private static double[,] BuildCosts()
    {
        var costs = new double[6, 5];
        double[] perOp = [0.0, 0.02, 0.18, 0.55, 0.09];
        for (int e = 0; e < 6; e++)
        {
            for (int op = 0; op < 5; op++)
            {
                costs[e, op] = perOp[op] * (1 + 0.15 * e); // later edges slightly dearer
            }
        }
        return costs;
    }
}
