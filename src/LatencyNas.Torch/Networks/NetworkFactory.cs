using LatencyNas.Core;
using LatencyNas.Core.Spaces;
using LatencyNas.Core.Spaces.Fbnet;
using LatencyNas.Core.Spaces.Nb201;
using LatencyNas.Torch.Onnx;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace LatencyNas.Torch.Networks;

/// <summary>Builds the TorchSharp network of an architecture, in eval mode, with weights fixed by a seed.</summary>
public static class NetworkFactory
{
    // torch.manual_seed is process-wide: building two networks at once would interleave their draws.
    private static readonly Lock SeedLock = new();

    /// <summary>Whether networks of <paramref name="space"/> can be built (and so exported, measured and scored).</summary>
    public static bool Supports(SearchSpace space) => space is Nb201Space or FbnetSpace;

    /// <summary>
    /// Creates the network and fixes its weights from <paramref name="seed"/>. BatchNorm running
    /// statistics are then calibrated on one seeded random batch (as if trained), so that every
    /// BatchNorm carries a non-trivial mean and variance and activations keep a sane scale.
    /// </summary>
    /// <exception cref="InvalidInputException">The space has no TorchSharp builder.</exception>
    public static Module<Tensor, Tensor> Create(SearchSpace space, Architecture architecture, Dataset dataset, int seed = 0)
        => CreateSeeded(() => space switch
        {
            Nb201Space => new Nb201Network(architecture, dataset),
            FbnetSpace => new FbnetNetwork(architecture.Digits, dataset),
            _ => throw new InvalidInputException($"No TorchSharp network builder exists for space '{space.Name}'."),
        }, dataset.Channels, dataset.Height, dataset.Width, seed);

    public static OnnxExportOptions ExportOptions(Dataset dataset, int batchSize = 1)
        => new([dataset.Channels, dataset.Height, dataset.Width], batchSize, OutputShape: [dataset.Classes]);

    /// <summary>Builds and exports in one step: the ONNX bytes of an architecture.</summary>
    public static byte[] ExportOnnx(SearchSpace space, Architecture architecture, Dataset dataset, int batchSize = 1, int seed = 0)
    {
        using var network = Create(space, architecture, dataset, seed);
        return OnnxExporter.Export(network, ExportOptions(dataset, batchSize));
    }

    /// <summary>
    /// What <see cref="Create"/> does for a network built elsewhere: constructs it under
    /// <paramref name="seed"/>, calibrates its BatchNorm on one seeded random batch of
    /// [<paramref name="channels"/>, <paramref name="height"/>, <paramref name="width"/>] items and
    /// puts it in eval mode.
    /// </summary>
    /// <remarks>
    /// Only what draws from libtorch's generator holds the seed lock: the weights, the BatchNorm terms and the
    /// calibration batch. The calibration's forward pass, most of a build, draws nothing, so builds on other
    /// threads (a batch prepared on every core) run theirs at the same time and get the same networks.
    /// </remarks>
    internal static Module<Tensor, Tensor> CreateSeeded(Func<Module<Tensor, Tensor>> build, int channels, int height, int width, int seed)
    {
        ArgumentNullException.ThrowIfNull(build);
        var (network, batch) = BuildUnderSeed(() =>
        {
            var built = build();
            try
            {
                return (built, DrawCalibration(built, channels, height, width));
            }
            catch
            {
                built.Dispose();
                throw;
            }
        }, seed);
        try
        {
            Calibrate(network, batch);
        }
        catch
        {
            network.Dispose();
            throw;
        }
        finally
        {
            batch.Dispose();
        }
        network.eval();
        return network;
    }

    /// <summary>
    /// Runs <paramref name="build"/> right after seeding libtorch's global generator, holding the
    /// lock that every seeded build holds, so that no other build draws in between.
    /// </summary>
    public static T BuildUnderSeed<T>(Func<T> build, int seed)
    {
        ArgumentNullException.ThrowIfNull(build);
        lock (SeedLock)
        {
            torch.manual_seed(seed);
            return build();
        }
    }

    /// <summary>Draws the BatchNorm layers' affine terms and the calibration batch: the part of calibrating that uses the generator.</summary>
    private static Tensor DrawCalibration(Module<Tensor, Tensor> network, int channels, int height, int width)
    {
        // Four items: each channel still sees at least four values (FBNet's last stage is 1×1 on CIFAR), and the
        // forward pass in training mode, most of a network's build time at 16 items (85 of 100 ms for NB201), costs a quarter.
        const int CalibrationBatch = 4;
        using (torch.no_grad())
        {
            foreach (var norm in network.modules().OfType<BatchNorm2d>())
            {
                // Non-trivial affine terms (a fresh BatchNorm has scale 1 and shift 0), slightly
                // contracting so that rounding errors do not grow through the network's many blocks.
                norm.weight!.uniform_(0.2, 0.5);
                norm.bias!.uniform_(-0.1, 0.1);
            }
            return torch.randn(CalibrationBatch, channels, height, width);
        }
    }

    /// <summary>One forward pass in training mode: each BatchNorm's running statistics become the batch's.</summary>
    private static void Calibrate(Module<Tensor, Tensor> network, Tensor batch)
    {
        var norms = network.modules().OfType<BatchNorm2d>().ToArray();
        foreach (var norm in norms)
        {
            norm.momentum = null; // cumulative average: after one batch the running statistics equal that batch's
        }
        network.train();
        using (torch.no_grad())
        using (var scope = NewDisposeScope())
        {
            network.forward(batch);
        }
        foreach (var norm in norms)
        {
            norm.momentum = 0.1;
        }
    }
}
