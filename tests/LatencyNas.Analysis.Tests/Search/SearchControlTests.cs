using LatencyNas.Analysis.Search;
using LatencyNas.Core;
using LatencyNas.Core.Spaces.Nb201;
using LatencyNas.Prediction;

namespace LatencyNas.Analysis.Tests.Search;

[Collection(RealTablesCollection.Name)]
public sealed class SearchControlTests(RealTables shared)
{
    private const int Conv3x3 = 3;

    private SearchProblem Problem(SearchControl? control, double budgetMs = 20)
        => new(Nb201Space.Instance, new MeasuredLatencies(shared.Device("pixel3")), new TableObjective("cifar10_test_acc", shared.Accuracy), budgetMs, control);

    private static async Task Until(SearchControl control, Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        while (!condition())
        {
            await control.Changed.WaitAsync(timeout.Token);
        }
    }

    [Fact]
    public async Task A_ban_posted_while_evolution_runs_holds_from_the_step_it_applied_at_and_the_log_replays_the_same_evaluations()
    {
        // Paced at 100 evaluations a second: the ban must apply before about 600 evaluations (replayed with the ban at each
        // step: before 600 a better architecture without the banned choice turns up; from 608 on the best stays one found
        // before the ban). At 500 a second, a test thread a second late on a loaded CI host let the ban land past that.
        var control = new SearchControl(Nb201Space.Instance, seed: 3, new SearchControlOptions { StartPaused = true, EvaluationsPerSecond = 100 });
        var search = Task.Run(() => new RegularizedEvolution().Search(Problem(control), budget: 1000, seed: 3));
        control.Post(new SteeringAction(SteeringKind.Resume));
        await Until(control, () => control.EvaluationCount >= 100);
        control.Post(new SteeringAction(SteeringKind.Ban, Decision: 2, Choice: Conv3x3));
        var outcome = await search;
        control.Complete();

        var ban = Assert.Single(control.Applied, a => a.Action.Kind == SteeringKind.Ban);
        var evaluated = control.Evaluated();
        Assert.Equal(1000, evaluated.Count);
        Assert.InRange(ban.Evaluations, 100, 999);
        Assert.Contains(evaluated.Take(ban.Evaluations), c => c.Architecture[2] == Conv3x3); // before the ban, evolution did pick it
        Assert.All(evaluated.Skip(ban.Evaluations), c => Assert.NotEqual(Conv3x3, c.Architecture[2]));
        Assert.NotEqual(Conv3x3, outcome.Best!.Architecture[2]);

        var replay = SearchControl.Replay(Nb201Space.Instance, seed: 3, control.Applied);
        var again = new RegularizedEvolution().Search(Problem(replay), budget: 1000, seed: 3);
        Assert.Equal(evaluated.Select(c => c.Architecture.Digits), replay.Evaluated().Select(c => c.Architecture.Digits));
        Assert.Equal(outcome.Best, again.Best);
    }

    [Fact]
    public void Pin_budget_promote_and_stop_apply_before_the_steps_a_log_names_each_from_the_next_evaluation_on()
    {
        // A step is one proposed architecture: the population of 64 is steps 0-63, and the first 16 children evolution breeds
        // together are steps 64-79 — the pin lands in the middle of them.
        var log = new List<AppliedAction>
        {
            new(70, 0, new SteeringAction(SteeringKind.Pin, Decision: 0, Choice: Conv3x3)),
            new(75, 0, new SteeringAction(SteeringKind.Budget, MaxLatencyMs: 10)),
            // Every other edge 'none': a poor architecture evolution would not breed from a good population.
            new(76, 0, new SteeringAction(SteeringKind.Promote, Architectures: ["|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|"])),
            new(90, 0, new SteeringAction(SteeringKind.Stop)),
        };
        var control = SearchControl.Replay(Nb201Space.Instance, seed: 1, log);
        var outcome = new RegularizedEvolution().Search(Problem(control), budget: 5000, seed: 1);
        var evaluated = control.Evaluated();
        var applied = control.Applied;

        Assert.Equal([70, 75, 76, 90], applied.Select(a => a.Step));
        Assert.Equal(70, applied[0].Evaluations); // every proposal before it was new
        Assert.All(evaluated.Skip(70), c => Assert.Equal(Conv3x3, c.Architecture[0]));
        Assert.Contains(evaluated.Skip(64).Take(6), c => c.Architecture[0] != Conv3x3); // the same batch of children, before the pin
        Assert.Equal("300000", evaluated[applied[2].Evaluations].Architecture.Digits); // a promotion is evaluated first in its step
        Assert.True(outcome.Stopped);
        Assert.Equal(applied[3].Evaluations, outcome.Evaluations);
        Assert.Equal(10, outcome.MaxLatencyMs);
        Assert.Equal(evaluated.Where(c => c.LatencyMs <= 10).Max(c => c.Objective), outcome.Best!.Objective);
    }

    [Fact]
    public void Steered_without_actions_a_search_evaluates_what_it_evaluates_unsteered()
    {
        foreach (ISearchStrategy strategy in new ISearchStrategy[] { new RegularizedEvolution(), new RandomSearch() })
        {
            var unsteered = strategy.Search(Problem(null), budget: 300, seed: 4);
            var control = new SearchControl(Nb201Space.Instance, seed: 4, new SearchControlOptions());
            var steered = strategy.Search(Problem(control), budget: 300, seed: 4);
            Assert.Equal(300, control.Evaluated().Count);
            Assert.Equal(unsteered.Ranked, steered.Ranked);
            Assert.Equal(unsteered.BestTrace, steered.BestTrace);
        }
    }

    [Fact]
    public async Task A_paused_search_evaluates_nothing_and_a_stop_ends_it_with_nothing_found()
    {
        var control = new SearchControl(Nb201Space.Instance, seed: 0, new SearchControlOptions { StartPaused = true });
        var search = Task.Run(() => new RandomSearch().Search(Problem(control), budget: 500, seed: 0));
        await Task.Delay(300);
        Assert.False(search.IsCompleted);
        Assert.Equal(0, control.EvaluationCount);
        Assert.True(control.Paused);
        control.Post(new SteeringAction(SteeringKind.Stop));
        var outcome = await search.WaitAsync(TimeSpan.FromMinutes(1));
        Assert.True(outcome.Stopped);
        Assert.Equal(0, outcome.Evaluations);
        Assert.Null(outcome.Best);
    }

    [Fact]
    public async Task Cancelling_a_paused_search_ends_it()
    {
        var control = new SearchControl(Nb201Space.Instance, seed: 0, new SearchControlOptions { StartPaused = true });
        using var cancellation = new CancellationTokenSource();
        var search = Task.Run(() => new RandomSearch().Search(Problem(control), budget: 500, seed: 0, cancellation.Token));
        await Task.Delay(100);
        await cancellation.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => search.WaitAsync(TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public void Actions_that_cannot_apply_are_refused_when_posted_and_change_nothing()
    {
        var control = new SearchControl(Nb201Space.Instance, seed: 0);
        control.Post(new SteeringAction(SteeringKind.Ban, 1, 0));
        control.Post(new SteeringAction(SteeringKind.Ban, 1, 1));
        control.Post(new SteeringAction(SteeringKind.Ban, 1, 2));
        control.Post(new SteeringAction(SteeringKind.Ban, 1, 3));
        Assert.Contains("no choice", Assert.Throws<InvalidInputException>(() => control.Post(new SteeringAction(SteeringKind.Ban, 1, 4))).Message);
        Assert.Contains("banned", Assert.Throws<InvalidInputException>(() => control.Post(new SteeringAction(SteeringKind.Pin, 1, 0))).Message);
        Assert.Contains("from 0 to 5", Assert.Throws<InvalidInputException>(() => control.Post(new SteeringAction(SteeringKind.Ban, 6, 0))).Message);
        Assert.Contains("from 0 to 4", Assert.Throws<InvalidInputException>(() => control.Post(new SteeringAction(SteeringKind.Pin, 0, 5))).Message);
        Assert.Throws<InvalidInputException>(() => control.Post(new SteeringAction(SteeringKind.Budget, MaxLatencyMs: -1)));
        Assert.Throws<InvalidInputException>(() => control.Post(new SteeringAction(SteeringKind.Promote, Architectures: ["012345"])));
        Assert.Contains("banned or unpinned", Assert.Throws<InvalidInputException>(() => control.Post(new SteeringAction(SteeringKind.Promote, Architectures: ["010000"]))).Message);
        Assert.Contains("At most 64", Assert.Throws<InvalidInputException>(() => control.Post(new SteeringAction(SteeringKind.Promote, Architectures: [.. Enumerable.Range(0, 65).Select(i => (i % 5).ToString() + "4" + "0000")]))).Message);
        control.Post(new SteeringAction(SteeringKind.Clear, 1));
        control.Post(new SteeringAction(SteeringKind.Promote, Architectures: ["010000"]));

        // Nothing refused reached the search: the four bans, the clear and the promotion, in order.
        var outcome = new RandomSearch().Search(Problem(control), budget: 10, seed: 0);
        Assert.Equal([SteeringKind.Ban, SteeringKind.Ban, SteeringKind.Ban, SteeringKind.Ban, SteeringKind.Clear, SteeringKind.Promote], control.Applied.Select(a => a.Action.Kind));
        Assert.Equal(11, outcome.Evaluations); // the promoted one on top of the ten drawn
        control.Complete();
        Assert.Throws<InvalidOperationException>(() => control.Post(new SteeringAction(SteeringKind.Pause)));
        Assert.Throws<InvalidInputException>(() => SearchControl.Replay(Nb201Space.Instance, 0,
            [new(4, 0, new SteeringAction(SteeringKind.Pause)), new(2, 0, new SteeringAction(SteeringKind.Resume))]));
    }
}
