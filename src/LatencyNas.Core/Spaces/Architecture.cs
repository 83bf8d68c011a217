namespace LatencyNas.Core.Spaces;

/// <summary>
/// One member of a search space: the choice made at each of the space's decisions, held as a
/// string of digits (one per decision), e.g. NAS-Bench-201's <c>ops</c> form <c>333133</c>; a
/// decision of more than ten choices continues with the letters (<c>a</c> is choice 10).
/// Instances are created by a <see cref="SearchSpace"/>, which validates them; the digits are
/// the architecture's identity in the profile store and in imported tables.
/// </summary>
public sealed class Architecture : IEquatable<Architecture>, IComparable<Architecture>
{
    internal Architecture(string digits) => Digits = digits;

    /// <summary>The choice index of each decision as one digit, in decision order.</summary>
    public string Digits { get; }

    public int DecisionCount => Digits.Length;

    public int this[int decision] => ChoiceOf(Digits[decision]);

    public Architecture With(int decision, int choice)
    {
        var chars = Digits.ToCharArray();
        chars[decision] = DigitOf(choice);
        return new Architecture(new string(chars));
    }

    /// <summary>The digit of a choice index: 0-9, then a-z.</summary>
    public static char DigitOf(int choice) => choice < 10 ? (char)('0' + choice) : (char)('a' + choice - 10);

    /// <summary>The choice index of a digit (see <see cref="DigitOf"/>), or -1 for any other character.</summary>
    public static int ChoiceOf(char digit) => digit is >= '0' and <= '9' ? digit - '0' : digit is >= 'a' and <= 'z' ? digit - 'a' + 10 : -1;

    public bool Equals(Architecture? other) => other is not null && string.Equals(Digits, other.Digits, StringComparison.Ordinal);

    public override bool Equals(object? obj) => Equals(obj as Architecture);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Digits);

    public int CompareTo(Architecture? other) => string.CompareOrdinal(Digits, other?.Digits);

    public override string ToString() => Digits;
}
