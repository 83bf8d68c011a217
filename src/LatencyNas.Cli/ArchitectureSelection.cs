using System.CommandLine;
using LatencyNas.Core;
using LatencyNas.Core.Spaces;

namespace LatencyNas.Cli;

/// <summary>The --sample/--seed, --all and --archs options that pick the architectures a verb works on.</summary>
internal sealed class ArchitectureSelection
{
    private readonly int _defaultSample;

    public ArchitectureSelection(int defaultSample)
    {
        _defaultSample = defaultSample;
        Sample = new Option<int?>("--sample") { Description = $"Profile N distinct architectures drawn uniformly (default {defaultSample})." };
        Seed = CommonOptions.Seed();
        Seed.Description = "Seed of --sample.";
        All = new Option<bool>("--all") { Description = "Every architecture of the space (only for spaces that can be listed)." };
        Archs = new Option<string?>("--archs") { Description = "A file with one architecture a line, in either text form ('#' starts a comment)." };
    }

    public Option<int?> Sample { get; }

    public Option<int> Seed { get; }

    public Option<bool> All { get; }

    public Option<string?> Archs { get; }

    public IEnumerable<Option> Options => [Sample, Seed, All, Archs];

    /// <exception cref="InvalidInputException">More than one way of choosing was given, or the file is unreadable or holds a malformed line.</exception>
    public IReadOnlyList<Architecture> Resolve(ParseResult parse, SearchSpace space)
    {
        int? sample = parse.GetValue(Sample);
        bool all = parse.GetValue(All);
        string? file = parse.GetValue(Archs);
        int given = (sample is null ? 0 : 1) + (all ? 1 : 0) + (file is null ? 0 : 1);
        if (given > 1)
        {
            throw new InvalidInputException("Give only one of --sample, --all and --archs.");
        }
        if (all)
        {
            return space.Enumerate().ToList();
        }
        if (file is not null)
        {
            return ReadFile(file, space);
        }
        int count = sample ?? _defaultSample;
        if (count < 1)
        {
            throw new InvalidInputException($"--sample must be at least 1 (got {count}).");
        }
        return space.SampleDistinct(count, parse.GetValue(Seed));
    }

    public static IReadOnlyList<Architecture> ReadFile(string path, SearchSpace space)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new InvalidInputException($"Cannot read architectures file '{path}': {error.Message}");
        }
        var architectures = new List<Architecture>();
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].Split('#', 2)[0].Trim();
            if (line.Length == 0)
            {
                continue;
            }
            try
            {
                architectures.Add(space.Parse(line));
            }
            catch (InvalidInputException error)
            {
                throw new InvalidInputException($"{path}, line {i + 1}: {error.Message}");
            }
        }
        if (architectures.Count == 0)
        {
            throw new InvalidInputException($"'{path}' holds no architecture.");
        }
        return architectures;
    }
}
