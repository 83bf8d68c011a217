using System.Globalization;

namespace LatencyNas.Cli;

/// <summary>
/// One way to print an objective's value in every verb: counts (MACs, parameters) in full with
/// thousands separators, anything else (accuracies, zero-cost scores up to 10^60) to six
/// significant digits.
/// </summary>
internal static class ObjectiveText
{
    public static string Of(double value)
        => Math.Abs(value) < 1e15 && value == Math.Round(value)
            ? value.ToString("N0", CultureInfo.InvariantCulture)
            : value.ToString("G6", CultureInfo.InvariantCulture);
}
