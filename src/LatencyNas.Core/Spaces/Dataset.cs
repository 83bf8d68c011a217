namespace LatencyNas.Core.Spaces;

/// <summary>The input a network is built for: image resolution and number of classes.</summary>
public sealed record Dataset(string Name, int Resolution, int Classes, int Channels = 3)
{
    public static readonly Dataset Cifar10 = new("cifar10", 32, 10);
    public static readonly Dataset Cifar100 = new("cifar100", 32, 100);
    public static readonly Dataset ImageNet16_120 = new("imagenet16-120", 16, 120);
    public static readonly Dataset ImageNet = new("imagenet", 224, 1000);

    public static IReadOnlyList<Dataset> All { get; } = [Cifar10, Cifar100, ImageNet16_120, ImageNet];

    /// <summary>Finds a dataset by name, ignoring case, '-' and '_' (so "ImageNet16_120" works).</summary>
    public static Dataset Parse(string name)
    {
        static string Normalise(string s) => s.Replace("-", "").Replace("_", "").ToLowerInvariant();
        return All.FirstOrDefault(d => Normalise(d.Name) == Normalise(name))
            ?? throw new InvalidInputException(
                $"Unknown dataset '{name}'. Known datasets: {string.Join(", ", All.Select(d => d.Name))}.");
    }

    public override string ToString() => Name;
}
