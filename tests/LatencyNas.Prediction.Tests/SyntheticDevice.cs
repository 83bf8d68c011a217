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

    /// <summary>
    /// The additive latency plus what ONNX Runtime adds on top of the ops, as on a CPU: each reorder between
    /// layouts, each kernel left in the plain layout. Not additive over the edges' choices.
    /// </summary>
    public static double RuntimeLatency(Architecture architecture)
    {
        var kernels = Nb201RuntimeKernels.Count(architecture);
        return Latency(architecture) + 0.031 * kernels.ReorderInputs + 0.017 * kernels.ReorderOutputs + 0.012 * kernels.PlainKernels;
    }

    public static LatencyData AllOnARuntime()
    {
        var architectures = Nb201Space.Instance.Enumerate().ToArray();
        return new LatencyData("synthetic-runtime", Nb201Space.Instance, Dataset.Cifar10, architectures, architectures.Select(RuntimeLatency).ToArray());
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
