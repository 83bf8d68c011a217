using System.Globalization;

namespace LatencyNas.Core;

/// <summary>
/// One way to print an objective's value everywhere (verbs, plots, report pages): counts and
/// other large values (MACs, parameters, a percentile of them) as whole numbers with thousands
/// separators, anything else (accuracies, zero-cost scores up to 10^60) to six significant digits.
/// </summary>
public static class ObjectiveText
{
    public static string Of(double value)
        => Math.Abs(value) is >= 1e4 and < 1e15 || value == Math.Round(value) && Math.Abs(value) < 1e15
            ? value.ToString("N0", CultureInfo.InvariantCulture)
            : value.ToString("G6", CultureInfo.InvariantCulture);
}
