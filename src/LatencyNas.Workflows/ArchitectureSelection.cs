using LatencyNas.Core;
using LatencyNas.Core.Spaces;

namespace LatencyNas.Workflows;

/// <summary>Which architectures a verb works on: <paramref name="Count"/> drawn with a seed, all of a listable space, or those in a file.</summary>
/// <param name="Count">Distinct architectures to draw uniformly (with <paramref name="Seed"/>); null takes the verb's default.</param>
/// <param name="All">Every architecture of the space.</param>
/// <param name="File">A file with one architecture a line, in any form <see cref="SearchSpace.Parse"/> reads ('#' not followed by a digit starts a comment).</param>
/// <param name="Members">The architectures themselves (chosen by a use case, not a user).</param>
public sealed record ArchitectureSelection(int? Count = null, int Seed = 0, bool All = false, string? File = null, IReadOnlyList<Architecture>? Members = null)
{
    /// <exception cref="InvalidInputException">More than one way of choosing was given, the space cannot be listed, or the file is unreadable or holds a malformed line.</exception>
    public IReadOnlyList<Architecture> Resolve(SearchSpace space, int defaultCount)
    {
        int given = (Count is null ? 0 : 1) + (All ? 1 : 0) + (File is null ? 0 : 1) + (Members is null ? 0 : 1);
        if (given > 1)
        {
            throw new InvalidInputException("Give only one of --count, --all and --archs.");
        }
        if (Members is not null)
        {
            return Members;
        }
        if (All)
        {
            return space.Size <= 10_000_000
                ? space.Enumerate().ToList()
                : throw new InvalidInputException($"The {space.Name} space has {space.Size:N0} members: too many to list; draw a sample with --count.");
        }
        return File is not null ? ReadFile(File, space) : space.SampleDistinct(Count ?? defaultCount, Seed);
    }

    /// <summary>A comment starts at a '#' that is not an index (<c>#1234</c>).</summary>
    private static readonly System.Text.RegularExpressions.Regex CommentStart = new("#(?![0-9])");

    /// <exception cref="InvalidInputException">The file is unreadable, holds a malformed line, or no architecture.</exception>
    public static IReadOnlyList<Architecture> ReadFile(string path, SearchSpace space)
    {
        string[] lines;
        try
        {
            lines = System.IO.File.ReadAllLines(path);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new InvalidInputException($"Cannot read architectures file '{path}': {error.Message}");
        }
        var architectures = new List<Architecture>();
        for (int i = 0; i < lines.Length; i++)
        {
            string line = CommentStart.Split(lines[i], 2)[0].Trim();
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
        return architectures.Count > 0 ? architectures : throw new InvalidInputException($"'{path}' holds no architecture.");
    }
}
