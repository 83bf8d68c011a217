namespace LatencyNas.Core.Spaces;

/// <summary>
/// One member of a search space: the choice made at each of the space's decisions, held as a
/// string of digits (one per decision), e.g. NAS-Bench-201's <c>ops</c> form <c>333133</c>.
/// Instances are created by a <see cref="SearchSpace"/>, which validates them; the digits are
/// the architecture's identity in the profile store and in imported tables.
/// </summary>
public sealed class Architecture : IEquatable<Architecture>, IComparable<Architecture>
{
    internal Architecture(string digits) => Digits = digits;

    /// <summary>The choice index of each decision as one digit, in decision order.</summary>
    public string Digits { get; }

    public int DecisionCount => Digits.Length;

    public int this[int decision] => Digits[decision] - '0';

    public Architecture With(int decision, int choice)
    {
        var chars = Digits.ToCharArray();
        chars[decision] = (char)('0' + choice);
        return new Architecture(new string(chars));
    }

    public bool Equals(Architecture? other) => other is not null && string.Equals(Digits, other.Digits, StringComparison.Ordinal);

    public override bool Equals(object? obj) => Equals(obj as Architecture);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Digits);

    public int CompareTo(Architecture? other) => string.CompareOrdinal(Digits, other?.Digits);

    public override string ToString() => Digits;
}
