using LatencyNas.Analysis.Reports;
using ScottPlot;

namespace LatencyNas.Analysis.Tests.Reports;

public sealed class ReportWriterTests
{
    /// <summary>Testers found black numbers on dark cells: the text colour used to follow the SRCC, not the colour drawn.</summary>
    [Fact]
    public void Every_heatmap_cell_text_reads_at_wcag_aa_contrast_on_its_colour()
    {
        for (int step = -20; step <= 100; step++)
        {
            double srcc = step / 100.0;
            var fill = ReportWriter.SrccColor(srcc);
            double fillLuminance = ReportWriter.RelativeLuminance(fill);
            var text = ReportWriter.CellTextColor(fill);
            var other = text == Colors.Black ? Colors.White : Colors.Black;
            double chosen = ReportWriter.ContrastRatio(fillLuminance, ReportWriter.RelativeLuminance(text));
            Assert.True(chosen >= ReportWriter.ContrastRatio(fillLuminance, ReportWriter.RelativeLuminance(other)), $"SRCC {srcc}: the other colour reads better");
            Assert.True(chosen >= 4.5, $"SRCC {srcc}: contrast {chosen:F2} on {fill}");
        }
    }

    [Fact]
    public void The_colour_scale_is_fixed_and_clamps_below_zero()
    {
        Assert.Equal(ReportWriter.SrccColor(0), ReportWriter.SrccColor(-0.5));
        Assert.NotEqual(ReportWriter.SrccColor(0.5), ReportWriter.SrccColor(0.9));
        Assert.Equal(ReportWriter.SrccColor(1), ReportWriter.SrccColor(1.0000001));
    }

    [Fact]
    public void Wcag_luminance_and_contrast_of_known_colours()
    {
        Assert.Equal(0, ReportWriter.RelativeLuminance(Colors.Black), 12);
        Assert.Equal(1, ReportWriter.RelativeLuminance(Colors.White), 12);
        Assert.Equal(21, ReportWriter.ContrastRatio(0, 1), 12);
        // #777777 is the classic grey that fails AA on white: 4.48.
        Assert.Equal(4.48, ReportWriter.ContrastRatio(ReportWriter.RelativeLuminance(Color.FromHex("#777777")), 1), 2);
    }
}
