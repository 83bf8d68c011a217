using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LatencyNas.Torch.Networks;

/// <summary>
/// The multiply-accumulates a network really performs, counted on its modules during one forward
/// pass (a check for analytic counts): convolutions H_out·W_out·C_out·(C_in/G)·K_h·K_w, linear
/// layers in·out; BatchNorm, activations, additions, shuffles and pooling count zero.
/// </summary>
public static class ModuleMacs
{
    /// <exception cref="InvalidOperationException">A convolution did not run, or ran without its forward hook (invoked through forward() rather than call()).</exception>
    /// <param name="itemShape">The shape of one input item without the batch dimension, e.g. [3, 32, 32].</param>
    /// <returns>The MACs for one item.</returns>
    public static long Count(nn.Module<Tensor, Tensor> network, IReadOnlyList<long> itemShape)
    {
        ArgumentNullException.ThrowIfNull(network);
        // A linear layer on [N, features] costs in·out per item whatever the input.
        long total = network.modules().OfType<Linear>().Sum(linear => linear.in_features * linear.out_features);
        var removers = new List<Action>();
        var uncounted = new HashSet<Conv2d>(ReferenceEqualityComparer.Instance);
        try
        {
            foreach (var convolution in network.modules().OfType<Conv2d>())
            {
                uncounted.Add(convolution);
                long perOutput = convolution.in_channels / convolution.groups * convolution.kernel_size.Aggregate(1L, (a, b) => a * b);
                var remover = convolution.register_forward_hook((_, _, output) =>
                {
                    uncounted.Remove(convolution);
                    total += output.shape.Skip(1).Aggregate(1L, (a, b) => a * b) * perOutput;
                    return output;
                });
                removers.Add(remover.remove);
            }
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            network.forward(zeros([1, .. itemShape]));
            if (uncounted.Count > 0)
            {
                // Forward hooks run only when a module is invoked through call(), not forward().
                throw new InvalidOperationException($"{uncounted.Count} convolution(s) ran without their forward hook (called through forward() directly?) or not at all; their MACs are unknown.");
            }
            return total;
        }
        finally
        {
            foreach (var remove in removers)
            {
                remove();
            }
        }
    }
}
