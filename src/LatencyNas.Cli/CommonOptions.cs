using System.CommandLine;
using LatencyNas.Core.Spaces;

namespace LatencyNas.Cli;

/// <summary>Options several verbs share, created fresh for each command.</summary>
internal static class CommonOptions
{
    public static Option<string> Space() => new("--space")
    {
        Description = $"Search space ({string.Join(", ", SearchSpaces.All.Select(s => s.Name))}).",
        DefaultValueFactory = _ => "nb201",
    };

    public static Option<string> Arch(bool required = true) => new("--arch")
    {
        Description = "Architecture in either canonical form: the arch string (|op~0|+|op~0|op~1|+...) or its ops digits (e.g. 333133).",
        Required = required,
    };

    public static Option<string?> Dataset(string? defaultName = "cifar10") => new("--dataset")
    {
        Description = "Dataset the network is built for: cifar10 (32×32, 10 classes), cifar100 (32×32, 100), imagenet16-120 (16×16, 120).",
        DefaultValueFactory = _ => defaultName,
    };

    public static Option<int> Seed(int defaultValue = 0) => new("--seed")
    {
        Description = "Random seed.",
        DefaultValueFactory = _ => defaultValue,
    };

    public static Option<int> Count(int defaultValue) => Positive("--count", "How many architectures.", defaultValue);

    public static Option<int> Batch() => Positive("--batch", "Batch size of the network input.", 1);

    public static Option<string> Store() => new("--store")
    {
        Description = "The profile store (an SQLite file).",
        DefaultValueFactory = _ => LatencyNas.Profiling.Store.ProfileStore.DefaultPath,
    };

    public static Option<bool> Json() => new("--json") { Description = "Print JSON instead of text." };

    public static Option<int> Positive(string name, string description, int defaultValue)
    {
        var option = new Option<int>(name) { Description = description, DefaultValueFactory = _ => defaultValue };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 1)
            {
                result.AddError($"{name} must be at least 1.");
            }
        });
        return option;
    }
}
