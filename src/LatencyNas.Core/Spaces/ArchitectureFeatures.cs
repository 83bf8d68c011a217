namespace LatencyNas.Core.Spaces;

/// <summary>Features computed from an architecture's definition alone, without running it.</summary>
/// <param name="Parameters">Trainable parameters (weights and biases, BatchNorm affine terms; running statistics excluded).</param>
/// <param name="Macs">Multiply-accumulates of one image through convolutions and linear layers.</param>
/// <param name="OpCounts">How often each operation name occurs, in the space's operation order.</param>
/// <param name="Disconnected">True when no path carries the input of a searchable cell to its output.</param>
/// <param name="Extra">Space-specific numeric features, by name, for predictors.</param>
public sealed record ArchitectureFeatures(
    long Parameters,
    long Macs,
    IReadOnlyList<KeyValuePair<string, int>> OpCounts,
    bool Disconnected,
    IReadOnlyList<KeyValuePair<string, double>> Extra);
