namespace LatencyNas.Core.Tests;

public class ObjectiveTextTests
{
    [Theory]
    [InlineData(107_352_128.0, "107,352,128")]  // MACs: a count, in full
    [InlineData(48_964_684.8, "48,964,685")]    // a percentile of MACs: whole is precise enough
    [InlineData(93.657, "93.657")]              // an accuracy
    [InlineData(79.57533333, "79.5753")]
    [InlineData(3.88383e59, "3.88383E+59")]     // synflow
    [InlineData(-2.0, "-2")]
    [InlineData(0.0, "0")]
    public void Counts_print_whole_with_separators_and_other_values_to_six_digits(double value, string expected)
        => Assert.Equal(expected, ObjectiveText.Of(value));
}
