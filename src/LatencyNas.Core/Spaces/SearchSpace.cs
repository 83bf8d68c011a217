using System.Numerics;
using System.Runtime.CompilerServices;

namespace LatencyNas.Core.Spaces;

/// <summary>One searchable decision (a cell edge, a network layer) and the choices it offers.</summary>
public sealed record Decision(string Name, IReadOnlyList<string> Choices);

/// <summary>
/// A search space as a product of discrete decisions. Nothing here assumes the space can be
/// listed: <see cref="Size"/> is a <see cref="BigInteger"/>, and <see cref="Enumerate"/> refuses
/// spaces larger than the limit it is given. Sampling and mutation work on any size.
/// </summary>
public abstract class SearchSpace
{
    // Boxed: a Nullable<BigInteger> is written in parts, so a thread reading it while another fills it could see a
    // size of 0 (seen once in CI: a parallel evaluate refused position 0 as out of range); a reference is published whole.
    private StrongBox<BigInteger>? _size;

    /// <summary>Short name used on the command line and in the profile store, e.g. "nb201".</summary>
    public abstract string Name { get; }

    public abstract IReadOnlyList<Decision> Decisions { get; }

    public abstract IReadOnlyList<Dataset> Datasets { get; }

    public BigInteger Size => (_size ??= new StrongBox<BigInteger>(Decisions.Aggregate(BigInteger.One, (product, d) => product * d.Choices.Count))).Value;

    /// <summary>
    /// The most members a space may have to be listed in full — searched exhaustively, predicted
    /// everywhere. NB201's 15,625 take about 0.04 s to search, so a million stays within seconds.
    /// </summary>
    public const int ListableSize = 1_000_000;

    /// <summary>
    /// Whether the space is small enough to list (<see cref="ListableSize"/>). A space that is not can
    /// be neither searched exhaustively nor covered by a training sample: a search in it reaches
    /// architectures unlike any measured one.
    /// </summary>
    public bool CanBeListed => Size <= ListableSize;

    /// <summary>Parses the digits form, the space's own text form, or <c>#N</c>: the member with published index N, where the space has one.</summary>
    /// <exception cref="InvalidInputException">The text is none of these forms, or names a choice or an index the space lacks.</exception>
    public Architecture Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        text = text.Trim();
        if (text.StartsWith('#'))
        {
            if (!HasIndex)
            {
                throw new InvalidInputException($"'{text}': the {Name} space has no published index; give the architecture's digits or its text form.");
            }
            return int.TryParse(text.AsSpan(1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int index)
                ? AtIndex(index)
                : throw new InvalidInputException($"'{text}' is not an index: expected '#' and a number, e.g. #1234.");
        }
        if (text.Length > 0 && (text.All(char.IsAsciiDigit) || text.Length == Decisions.Count && Decisions.Any(d => d.Choices.Count > 10) && text.All(c => Architecture.ChoiceOf(c) >= 0)))
        {
            return FromDigits(text);
        }
        return ParseLongForm(text);
    }

    /// <summary>
    /// The member a latency is explained from (<c>latnas explain</c>): a plain working network whose every blend with another
    /// member — some decisions taken from each — is a working network too. Default: every decision at its first choice.
    /// </summary>
    public virtual Architecture Reference => new(new string('0', Decisions.Count));

    /// <summary>Whether the space's members have a published index (NB201's topology index), written <c>#N</c>.</summary>
    public virtual bool HasIndex => false;

    /// <summary>The member's published index, or null where the space has none.</summary>
    public virtual int? IndexOf(Architecture architecture) => null;

    /// <summary>The member with the published index.</summary>
    /// <exception cref="InvalidInputException">The space has no index, or none that large.</exception>
    protected virtual Architecture AtIndex(int index) => throw new InvalidInputException($"The {Name} space has no published index.");

    /// <summary>The space's own, human-readable canonical text form.</summary>
    public abstract string Format(Architecture architecture);

    /// <summary>Validates a digits string (one choice index per decision).</summary>
    public Architecture FromDigits(string digits)
    {
        if (digits.Length != Decisions.Count)
        {
            throw new InvalidInputException(
                $"'{digits}' has {digits.Length} digits; {Name} architectures have {Decisions.Count}, one per decision.");
        }
        for (int i = 0; i < digits.Length; i++)
        {
            int choice = Architecture.ChoiceOf(digits[i]);
            if (choice < 0 || choice >= Decisions[i].Choices.Count)
            {
                throw new InvalidInputException(
                    $"'{digits}': digit {i + 1} ('{digits[i]}') is not a choice of {Decisions[i].Name}; use 0-{Architecture.DigitOf(Decisions[i].Choices.Count - 1)}.");
            }
        }
        return new Architecture(digits);
    }

    /// <summary>A uniformly random member.</summary>
    public Architecture Sample(Random random)
    {
        var digits = new char[Decisions.Count];
        for (int i = 0; i < digits.Length; i++)
        {
            digits[i] = Architecture.DigitOf(random.Next(Decisions[i].Choices.Count));
        }
        return new Architecture(new string(digits));
    }

    /// <summary>
    /// <paramref name="count"/> distinct members drawn uniformly without replacement, reproducible
    /// for a seed. Fails when the space has fewer members than asked for.
    /// </summary>
    public IReadOnlyList<Architecture> SampleDistinct(int count, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count > Size)
        {
            throw new InvalidInputException($"Cannot sample {count} distinct architectures: {Name} has only {Size}.");
        }
        var random = new Random(seed);
        var chosen = new HashSet<Architecture>();
        var ordered = new List<Architecture>(count);
        if (Size <= 4L * count)
        {
            // Dense draw: Floyd's algorithm over member indices, so the cost does not explode as count nears Size.
            long size = (long)Size;
            var indices = new HashSet<long>();
            for (long j = size - count; j < size; j++)
            {
                long t = random.NextInt64(j + 1);
                long pick = indices.Add(t) ? t : j;
                indices.Add(pick);
                ordered.Add(FromPosition(pick));
            }
            return ordered;
        }
        while (ordered.Count < count)
        {
            var candidate = Sample(random);
            if (chosen.Add(candidate))
            {
                ordered.Add(candidate);
            }
        }
        return ordered;
    }

    /// <summary>A neighbour: exactly one decision changed to a different, uniformly chosen choice.</summary>
    public Architecture Mutate(Architecture architecture, Random random)
    {
        var mutable = Enumerable.Range(0, Decisions.Count).Where(i => Decisions[i].Choices.Count > 1).ToArray();
        int decision = mutable[random.Next(mutable.Length)];
        int current = architecture[decision];
        int replacement = random.Next(Decisions[decision].Choices.Count - 1);
        if (replacement >= current)
        {
            replacement++;
        }
        return architecture.With(decision, replacement);
    }

    /// <summary>Every member, in mixed-radix order of the digits (the first decision varies slowest).</summary>
    /// <exception cref="InvalidInputException">The space has more than <paramref name="limit"/> members.</exception>
    public IEnumerable<Architecture> Enumerate(long limit = 10_000_000)
    {
        if (Size > limit)
        {
            throw new InvalidInputException($"{Name} has {Size} members, more than the enumeration limit of {limit}; sample it instead.");
        }
        return EnumerateCore((long)Size);
    }

    private IEnumerable<Architecture> EnumerateCore(long size)
    {
        for (long index = 0; index < size; index++)
        {
            yield return FromPosition(index);
        }
    }

    /// <summary>The member at a mixed-radix position (the inverse of the order <see cref="Enumerate"/> uses; not the space's published <see cref="IndexOf">index</see>).</summary>
    public Architecture FromPosition(BigInteger index)
    {
        if (index < 0 || index >= Size)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"{Name} positions run from 0 to {Size - 1}.");
        }
        var digits = new char[Decisions.Count];
        for (int i = Decisions.Count - 1; i >= 0; i--)
        {
            int radix = Decisions[i].Choices.Count;
            digits[i] = Architecture.DigitOf((int)(index % radix));
            index /= radix;
        }
        return new Architecture(new string(digits));
    }

    public abstract ArchitectureFeatures Features(Architecture architecture, Dataset dataset);

    /// <summary>
    /// Whether predictors see each decision's choice (one-hot) beside the analytic features. A space
    /// whose members stand for configurations to be predicted off the grid (the kernel spaces) says
    /// no: its predictors take only the features, which exist for any configuration.
    /// </summary>
    public virtual bool EncodesChoices => true;

    /// <summary>
    /// Whether the space's networks are built for <paramref name="dataset"/>: any task but a built-in
    /// dataset its benchmark does not define (NB201 has no ImageNet network).
    /// </summary>
    public bool CanBuildFor(Dataset dataset)
        => !Dataset.All.Contains(dataset) || Datasets.Contains(dataset) || Dataset.Tasks.Contains(dataset);

    /// <summary>
    /// A dataset the space is built for: one its benchmark defines (<see cref="Datasets"/>), a
    /// NAS-Bench-360 task (<see cref="Dataset.Tasks"/>) or a custom task (<c>CxHxW-Ncls</c>), with its
    /// input shape or classes replaced when <paramref name="input"/> or <paramref name="classes"/> is given
    /// (<see cref="Dataset.Reshaped"/>).
    /// </summary>
    /// <exception cref="InvalidInputException">An unknown name, a bad shape, or a built-in dataset the space's benchmark does not define.</exception>
    public Dataset ParseDataset(string name, string? input = null, int? classes = null)
    {
        var dataset = Dataset.Parse(name).Reshaped(input, classes);
        if (!CanBuildFor(dataset))
        {
            throw new InvalidInputException(
                $"{Name} is not defined for dataset '{dataset.Name}'. Its datasets: {string.Join(", ", Datasets.Concat(Dataset.Tasks).Select(d => d.Name))}; or a task's input and classes, e.g. 1x16x52-18cls.");
        }
        return dataset;
    }

    protected abstract Architecture ParseLongForm(string text);
}
