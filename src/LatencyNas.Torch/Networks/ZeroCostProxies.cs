using LatencyNas.Core;
using LatencyNas.Core.Spaces;
using TorchSharp;
using static TorchSharp.torch;

namespace LatencyNas.Torch.Networks;

/// <summary>
/// Training-free accuracy proxies computed on the real TorchSharp network of an architecture:
/// <list type="bullet">
/// <item><b>synflow</b> (Tanaka et al., 2020): weights made positive, an all-ones input, R = Σ output;
/// the score is Σ |θ ⊙ ∂R/∂θ| (in float64, data-free).</item>
/// <item><b>zico</b> (Li et al., 2023): gradients of the cross-entropy over a few random batches;
/// per layer log(Σ mean|g| / std g), summed over layers.</item>
/// </list>
/// Scores are larger for architectures expected to train to higher accuracy.
/// </summary>
public static class ZeroCostProxies
{
    public static readonly IReadOnlyList<string> Names = ["synflow", "zico"];

    public static double Compute(string name, SearchSpace space, Architecture architecture, Dataset dataset, int seed = 0) => name switch
    {
        "synflow" => Synflow(space, architecture, dataset, seed),
        "zico" => Zico(space, architecture, dataset, seed),
        _ => throw new InvalidInputException($"Unknown zero-cost proxy '{name}'. Proxies: {string.Join(", ", Names)}."),
    };

    public static double Synflow(SearchSpace space, Architecture architecture, Dataset dataset, int seed = 0)
    {
        using var network = NetworkFactory.Create(space, architecture, dataset, seed);
        network.to(ScalarType.Float64);
        using (no_grad())
        {
            foreach (var parameter in network.parameters())
            {
                parameter.abs_();
            }
        }
        network.zero_grad();
        using var scope = NewDisposeScope();
        var input = ones([1, dataset.Channels, dataset.Height, dataset.Width], ScalarType.Float64);
        network.forward(input).sum().backward();
        double score = 0;
        foreach (var parameter in network.parameters())
        {
            if (parameter.grad is { } gradient)
            {
                score += (parameter * gradient).abs().sum().ToDouble();
            }
        }
        return score;
    }

    public static double Zico(SearchSpace space, Architecture architecture, Dataset dataset, int seed = 0, int batches = 2, int batchSize = 16)
    {
        using var network = NetworkFactory.Create(space, architecture, dataset, seed);
        network.train();
        using var generator = new Generator((ulong)seed + 101);
        var weights = network.named_parameters().Where(p => p.parameter.dim() > 1).ToList(); // conv and linear weights
        var gradients = weights.Select(_ => new List<Tensor>()).ToList();
        for (int b = 0; b < batches; b++)
        {
            network.zero_grad();
            using var scope = NewDisposeScope();
            var input = randn([batchSize, dataset.Channels, dataset.Height, dataset.Width], generator: generator);
            var labels = randint(dataset.Classes, [batchSize], generator: generator);
            nn.functional.cross_entropy(network.forward(input), labels).backward();
            for (int i = 0; i < weights.Count; i++)
            {
                if (weights[i].parameter.grad is { } gradient)
                {
                    gradients[i].Add(gradient.detach().clone().MoveToOuterDisposeScope());
                }
            }
        }
        foreach (var incomplete in gradients.Where(g => g.Count != batches))
        {
            foreach (var gradient in incomplete)
            {
                gradient.Dispose();
            }
        }
        double score = 0;
        foreach (var layer in gradients.Where(g => g.Count == batches))
        {
            using var scope = NewDisposeScope();
            var stacked = stack(layer);
            var mean = stacked.abs().mean([0]);
            var deviation = stacked.std(0);
            var nonzero = deviation.gt(TorchScalars.Zero);
            if (nonzero.any().item<bool>())
            {
                double ratio = mean.masked_select(nonzero).div(deviation.masked_select(nonzero)).sum().ToDouble();
                if (ratio > 0)
                {
                    score += Math.Log(ratio);
                }
            }
            foreach (var gradient in layer)
            {
                gradient.Dispose();
            }
        }
        return score;
    }
}
