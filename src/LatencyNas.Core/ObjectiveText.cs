using System.Globalization;

namespace LatencyNas.Core;

/// <summary>
/// One way to print an objective's value everywhere (verbs, plots, report pages): counts and
/// other large values (MACs, parameters, a percentile of them) as whole numbers with thousands
/// separators, anything else (accuracies, zero-cost scores up to 10^60) to six significant digits; none (NaN: nothing
/// fits a budget) as "–".
/// </summary>
public static class ObjectiveText
{
    public static string Of(double value)
        => !double.IsFinite(value) ? NumberText.None
            : Math.Abs(value) is >= 1e4 and < 1e15 || value == Math.Round(value) && Math.Abs(value) < 1e15
            ? value.ToString("N0", CultureInfo.InvariantCulture)
            : value.ToString("G6", CultureInfo.InvariantCulture);
}

/// <summary>
/// How text (tables, report pages) shows a number that may be undefined (NaN): the number, or "undefined" — never "NaN";
/// the reason is said once, beside the table. JSON writes the same as null (<c>ResultJson</c>).
/// </summary>
public static class NumberText
{
    public const string Undefined = "undefined";

    /// <summary>An absent value in a table cell (no interval, nothing within a budget).</summary>
    public const string None = "–";

    public static string Of(double value, string format)
        => double.IsFinite(value) ? value.ToString(format, CultureInfo.CurrentCulture) : Undefined;

    /// <summary>A 95% interval as low–high, or "–" when it is undefined.</summary>
    public static string Interval(double low, double high, string format = "F3")
        => double.IsFinite(low) && double.IsFinite(high)
            ? $"{low.ToString(format, CultureInfo.CurrentCulture)}–{high.ToString(format, CultureInfo.CurrentCulture)}"
            : None;
}
