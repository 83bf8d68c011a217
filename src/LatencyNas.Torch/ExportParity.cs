using LatencyNas.Core.Spaces;
using LatencyNas.Torch.Networks;
using LatencyNas.Torch.Onnx;
using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;

namespace LatencyNas.Torch;

/// <summary>Outcome of running one architecture through TorchSharp and through ONNX Runtime on the exported bytes.</summary>
public sealed record ParityResult(Architecture Architecture, Dataset Dataset, int BatchSize, double MaxAbsDifference, double MaxAbsOutput);

/// <summary>The proof that the exporter is right: the same input through both runtimes gives the same output.</summary>
public static class ExportParity
{
    public const double Tolerance = 1e-4;

    public static ParityResult Check(SearchSpace space, Architecture architecture, Dataset dataset, int seed, int batchSize = 1)
    {
        using var network = NetworkFactory.Create(space, architecture, dataset, seed);
        var (maxDifference, maxOutput) = Compare(network, NetworkFactory.ExportOptions(dataset, batchSize), seed);
        return new ParityResult(architecture, dataset, batchSize, maxDifference, maxOutput);
    }

    /// <summary>
    /// Exports <paramref name="network"/> (in eval mode) and runs one random input drawn from
    /// <paramref name="seed"/> through it and through ONNX Runtime on the exported bytes.
    /// </summary>
    /// <returns>The largest absolute difference between the two outputs, and the largest absolute TorchSharp output.</returns>
    public static (double MaxAbsDifference, double MaxAbsOutput) Compare(TorchSharp.torch.nn.Module<Tensor, Tensor> network, OnnxExportOptions options, int seed)
    {
        byte[] model = OnnxExporter.Export(network, options);

        using var generator = new TorchSharp.torch.Generator((ulong)seed + 1);
        long[] shape = options.FullInputShape.ToArray();
        using var scope = NewDisposeScope();
        Tensor input = randn(shape, generator: generator);
        float[] expected;
        using (no_grad())
        {
            expected = network.forward(input).data<float>().ToArray();
        }

        float[] actual = RunOnnxRuntime(model, options, input.data<float>().ToArray());
        if (actual.Length != expected.Length)
        {
            throw new InvalidOperationException($"ONNX Runtime returned {actual.Length} values, TorchSharp {expected.Length}.");
        }
        double maxDifference = 0, maxOutput = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            maxDifference = Math.Max(maxDifference, Math.Abs((double)expected[i] - actual[i]));
            maxOutput = Math.Max(maxOutput, Math.Abs((double)expected[i]));
        }
        return (maxDifference, maxOutput);
    }

    private static float[] RunOnnxRuntime(byte[] model, OnnxExportOptions options, float[] input)
    {
        using var sessionOptions = new SessionOptions { IntraOpNumThreads = 1 };
        using var session = new InferenceSession(model, sessionOptions);
        using var inputValue = OrtValue.CreateTensorValueFromMemory(input, options.FullInputShape.ToArray());
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, [options.InputName], [inputValue], [options.OutputName]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }
}
