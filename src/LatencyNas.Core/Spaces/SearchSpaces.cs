using LatencyNas.Core.Spaces.Fbnet;
using LatencyNas.Core.Spaces.Kernels;
using LatencyNas.Core.Spaces.Nb201;

namespace LatencyNas.Core.Spaces;

/// <summary>The search spaces the tool knows, by name: the architecture spaces, then the kernel spaces (profiled to predict any ONNX model).</summary>
public static class SearchSpaces
{
    private static readonly SearchSpace[] Known = [Nb201Space.Instance, FbnetSpace.Instance, .. KernelSpace.All];

    public static IReadOnlyList<SearchSpace> All => Known;

    /// <summary>The space meant when none is named (NAS-Bench-201, the space every store began with).</summary>
    public static SearchSpace Default => Nb201Space.Instance;

    /// <summary>What a suggested command adds to name <paramref name="space"/>: nothing for the default.</summary>
    public static string Suggestion(SearchSpace space) => space.Name == Default.Name ? "" : $" --space {space.Name}";

    /// <exception cref="InvalidInputException">No space has that name.</exception>
    public static SearchSpace Get(string name)
        => TryGet(name)
           ?? throw new InvalidInputException(
               $"Unknown search space '{name}'. Known spaces: {string.Join(", ", Known.Select(s => s.Name))}.");

    /// <summary>The space of that name, or null (a name a store holds may come from a newer LatencyNas).</summary>
    public static SearchSpace? TryGet(string name) => Known.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase));
}
