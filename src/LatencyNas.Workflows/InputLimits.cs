using System.Globalization;
using System.Numerics;

namespace LatencyNas.Workflows;

/// <summary>
/// The range of a whole-number input and the one line that refuses a value outside it, the same wherever the input is
/// given: <paramref name="Minimum"/> to <paramref name="Maximum"/> inclusive, named as the command line's option
/// (<c>--count</c>) or the API's field (<c>count</c>).
/// </summary>
public sealed record IntegerRange(int Minimum, int Maximum)
{
    /// <summary>The value of <paramref name="text"/>, or why it cannot be used.</summary>
    public (int? Value, string? Problem) Check(string name, string text)
    {
        if (!BigInteger.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            return (null, $"{name}: '{text}' is not a whole number.");
        }
        return value < Minimum || value > Maximum ? (null, Refusal(name, text)) : ((int)value, null);
    }

    /// <summary>Why <paramref name="value"/> cannot be used, or null when it can.</summary>
    public string? Problem(string name, long value) => value < Minimum || value > Maximum ? Refusal(name, value.ToString(CultureInfo.InvariantCulture)) : null;

    private string Refusal(string name, string given) => $"{name} must be between {Minimum:N0} and {Maximum:N0} (got {given}).";
}

/// <summary>The range of a number input (finite; above or from <paramref name="Minimum"/>, up to <paramref name="Maximum"/>), as <see cref="IntegerRange"/>.</summary>
public sealed record NumberRange(double Minimum, double Maximum, bool MinimumExclusive = false)
{
    /// <summary>The value of <paramref name="text"/>, or why it cannot be used.</summary>
    public (double? Value, string? Problem) Check(string name, string text)
        => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value)
            ? Problem(name, value, text) is { } problem ? (null, problem) : (value, null)
            : (null, $"{name}: '{text}' is not a number.");

    /// <summary>Why <paramref name="value"/> cannot be used, or null when it can.</summary>
    public string? Problem(string name, double value, string? text = null)
    {
        text ??= value.ToString(CultureInfo.InvariantCulture);
        if (!double.IsFinite(value))
        {
            return $"{name}: '{text}' is not a finite number.";
        }
        return value > Maximum || (MinimumExclusive ? value <= Minimum : value < Minimum)
            ? $"{name} must be {(MinimumExclusive ? "more than" : "at least")} {Minimum.ToString(CultureInfo.InvariantCulture)} " +
              $"and at most {Maximum.ToString("N0", CultureInfo.InvariantCulture)} (got {text})."
            : null;
    }
}

/// <summary>
/// Every numeric input's range, one per concept, checked alike by the command line (<c>LatnasOptions</c>, which shows
/// them in help) and by the workbench's API (which names its query or body field instead of the option).
/// </summary>
public static class InputLimits
{
    /// <summary>Architectures to draw (<c>--count</c>).</summary>
    public static IntegerRange Count { get; } = new(1, 10_000_000);

    /// <summary>Architectures to compare rankings on (<c>monotonicity --count</c>, <c>/api/monotonicity?count=</c>): a ranking of fewer than 3 says nothing.</summary>
    public static IntegerRange ComparedCount { get; } = new(3, 10_000_000);

    public static IntegerRange Seed { get; } = new(0, int.MaxValue);

    /// <summary>K measurements of a target (<c>--target-samples</c>, <c>target_samples</c>).</summary>
    public static IntegerRange TargetSamples { get; } = new(3, 1_000_000);

    public static IntegerRange TrainSize { get; } = new(2, 10_000_000);

    /// <summary>A search's evaluation budget (<c>--evaluations</c>, <c>evaluations</c>).</summary>
    public static IntegerRange Evaluations { get; } = new(1, 100_000_000);

    public static IntegerRange Bootstrap { get; } = new(0, 100_000);

    /// <summary>Batch size of a network's input (<c>--batch</c>, <c>batch</c>).</summary>
    public static IntegerRange Batch { get; } = new(1, 4096);

    public static IntegerRange Repeats { get; } = new(1, 1000);

    /// <summary>A latency budget in ms (<c>--max-latency</c>, <c>max_latency_ms</c>).</summary>
    public static NumberRange MaxLatencyMs { get; } = new(0, 1e7, MinimumExclusive: true);

    public static NumberRange Threshold { get; } = new(0, 1);
}
