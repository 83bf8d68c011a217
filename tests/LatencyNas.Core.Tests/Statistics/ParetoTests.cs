using LatencyNas.Core.Statistics;

namespace LatencyNas.Core.Tests.Statistics;

public class ParetoTests
{
    private static ParetoPoint P(int i, double latency, double objective) => new(i, latency, objective);

    [Fact]
    public void Front_keeps_only_non_dominated_points_in_latency_order()
    {
        var points = new[] { P(0, 1, 50), P(1, 2, 70), P(2, 3, 60), P(3, 4, 90), P(4, 2, 40), P(5, 5, 90) };
        var front = Pareto.Front(points);
        Assert.Equal([0, 1, 3], front.Select(p => p.Index));
    }

    [Fact]
    public void Twins_with_equal_latency_and_objective_are_both_on_the_front()
    {
        var points = new[] { P(0, 1, 50), P(1, 2, 70), P(2, 2, 70), P(3, 2, 60), P(4, 3, 70), P(5, 1, 50) };
        Assert.Equal([0, 5, 1, 2], Pareto.Front(points).Select(p => p.Index));
        Assert.Equal(Pareto.Hypervolume(points.Take(2), 4, 40), Pareto.Hypervolume(points, 4, 40), 12);
    }

    [Fact]
    public void Hypervolume_of_a_hand_computed_front()
    {
        // Front (1, 50), (2, 70), (4, 90); reference (latency 5, objective 40):
        // strips [1,2)×(50−40) = 10, [2,4)×(70−40) = 60, [4,5)×(90−40) = 50 → 120.
        var points = new[] { P(0, 1, 50), P(1, 2, 70), P(2, 3, 60), P(3, 4, 90) };
        Assert.Equal(120, Pareto.Hypervolume(points, referenceLatency: 5, referenceObjective: 40), 12);
    }

    [Fact]
    public void Hypervolume_ignores_points_beyond_the_reference_and_is_zero_for_none()
    {
        Assert.Equal(0, Pareto.Hypervolume([P(0, 6, 99)], 5, 40));
        Assert.Equal(0, Pareto.Hypervolume([], 5, 40));
        Assert.Equal(10, Pareto.Hypervolume([P(0, 4, 50), P(1, 6, 99)], 5, 40), 12);
    }

    [Fact]
    public void Best_within_a_budget()
    {
        var points = new[] { P(0, 1, 50), P(1, 2, 70), P(2, 3, 60) };
        Assert.Equal(70, Pareto.BestWithin(points, 2.5));
        Assert.Equal(50, Pareto.BestWithin(points, 1));
        Assert.True(double.IsNaN(Pareto.BestWithin(points, 0.5)));
    }
}
