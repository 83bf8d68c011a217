using LatencyNas.Core.Spaces;
using LatencyNas.Core.Spaces.Nb201;
using LatencyNas.Torch.Networks;
using LatencyNas.Torch.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace LatencyNas.Torch.Tests.Onnx;

public class ExportParityTests
{
    private static readonly Nb201Space Space = Nb201Space.Instance;

    /// <summary>36 random architectures cycling through the three datasets, plus five disconnected cells.</summary>
    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        var random = Space.SampleDistinct(36, seed: 2026);
        for (int i = 0; i < random.Count; i++)
        {
            data.Add(random[i].Digits, Dataset.All[i % 3].Name);
        }
        // All-zero cells, and cells whose zero nodes feed convolutions (a constant BatchNorm shift reaches the output).
        data.Add("000000", "cifar10");
        data.Add("000033", "cifar100");
        var disconnected = Space.Enumerate().Where(Nb201Cell.IsDisconnected).ToList();
        for (int i = 0; i < 3; i++)
        {
            data.Add(disconnected[(i * 97 + 13) % disconnected.Count].Digits, Dataset.All[i].Name);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Onnx_runtime_reproduces_torchsharp_within_1e_4(string ops, string dataset)
    {
        // The seed is a function of the case, so a failure reproduces.
        var result = ExportParity.Check(Space, Space.Parse(ops), Dataset.Parse(dataset), seed: int.Parse(ops) % 9_973);
        Assert.InRange(result.MaxAbsDifference, 0, ExportParity.Tolerance);
        // A parity of zero on an all-zero output would prove nothing.
        Assert.True(result.MaxAbsOutput > 1e-3, $"output magnitude {result.MaxAbsOutput} is too small to compare");
    }

    [Fact]
    public void Parity_holds_for_a_batch_larger_than_one()
    {
        var result = ExportParity.Check(Space, Space.Parse("342104"), Dataset.Cifar10, seed: 9, batchSize: 4);
        Assert.InRange(result.MaxAbsDifference, 0, ExportParity.Tolerance);
    }

    [Fact]
    public void A_wrong_weight_would_be_caught()
    {
        // Guard against a parity check that cannot fail: export one seed, run against another seed's network.
        var architecture = Space.Parse("333333");
        using var exported = NetworkFactory.Create(Space, architecture, Dataset.Cifar10, seed: 1);
        using var other = NetworkFactory.Create(Space, architecture, Dataset.Cifar10, seed: 2);
        var options = NetworkFactory.ExportOptions(Dataset.Cifar10);
        byte[] model = OnnxExporter.Export(exported, options);
        float[] input = Enumerable.Range(0, 3 * 32 * 32).Select(i => MathF.Sin(i)).ToArray();
        using var tensor = TorchSharp.torch.tensor(input).reshape(1, 3, 32, 32);
        float[] fromOther;
        using (TorchSharp.torch.no_grad())
        {
            fromOther = other.forward(tensor).data<float>().ToArray();
        }
        using var session = new InferenceSession(model);
        using var value = OrtValue.CreateTensorValueFromMemory(input, [1, 3, 32, 32]);
        using var outputs = session.Run(new RunOptions(), ["input"], [value], ["logits"]);
        float[] fromOnnx = outputs[0].GetTensorDataAsSpan<float>().ToArray();
        Assert.True(fromOnnx.Zip(fromOther).Max(p => Math.Abs(p.First - p.Second)) > 1e-2);
    }
}
