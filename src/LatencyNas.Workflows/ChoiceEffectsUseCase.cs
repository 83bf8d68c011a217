using LatencyNas.Core;
using LatencyNas.Core.Spaces;

namespace LatencyNas.Workflows;

/// <param name="Devices">Names, <c>all</c>, or <c>prefix*</c>: each device's effects on its measured latency.</param>
/// <param name="Objective">Also the effects on this objective (stored, or computed), over the architectures that have it.</param>
public sealed record ChoiceEffectsRequest(IReadOnlyList<string> Devices, SearchSpace Space, StoreLocation Store, string? Objective = null);

/// <summary>
/// What one choice at one decision does to a quantity across the space: <see cref="Effects"/>[d][c] is the mean over
/// the architectures that take choice c at decision d, minus the mean over all of them (null when none does).
/// </summary>
/// <param name="Name">A device (latency in ms) or the objective.</param>
public sealed record ChoiceEffectSeries(string Name, string Quantity, int Architectures, double Mean, IReadOnlyList<IReadOnlyList<double?>> Effects);

public sealed record ChoiceEffectsResult(string Space, IReadOnlyList<Decision> Decisions, IReadOnlyList<ChoiceEffectSeries> Series);

/// <summary>Each choice's mean effect on each device's latency and on an objective: the cue for what to ban under a budget.</summary>
public sealed class ChoiceEffectsUseCase
{
    /// <exception cref="InvalidInputException">A device or objective the store does not hold.</exception>
    public ChoiceEffectsResult Run(ChoiceEffectsRequest request)
    {
        var space = request.Space;
        using var store = request.Store.OpenExisting();
        var series = new List<ChoiceEffectSeries>();
        var measured = StoredLatencies.Resolve(store, request.Devices, space).Select(name => StoredLatencies.Load(store, name, space)).ToList();
        series.AddRange(measured.Select(data => Effects(space, data.Device, "latency_ms", data.Architectures, data.LatenciesMs)));
        if (request.Objective is { } objective)
        {
            // Over the whole space when it can be listed, else over the architectures the devices measured.
            var among = space.CanBeListed ? space.Enumerate() : measured.SelectMany(d => d.Architectures).Distinct();
            var (architectures, values) = ObjectiveCatalog.ValuesAmong(store, space, measured[0].Dataset, objective, seed: 0, among);
            series.Add(Effects(space, objective, "objective", architectures, values));
        }
        return new ChoiceEffectsResult(space.Name, space.Decisions, series);
    }

    private static ChoiceEffectSeries Effects(SearchSpace space, string name, string quantity, IReadOnlyList<Architecture> architectures, IReadOnlyList<double> values)
    {
        var sums = space.Decisions.Select(d => new double[d.Choices.Count]).ToArray();
        var counts = space.Decisions.Select(d => new int[d.Choices.Count]).ToArray();
        for (int i = 0; i < architectures.Count; i++)
        {
            for (int d = 0; d < sums.Length; d++)
            {
                int choice = architectures[i][d];
                sums[d][choice] += values[i];
                counts[d][choice]++;
            }
        }
        double mean = values.Count > 0 ? values.Average() : double.NaN;
        var effects = sums.Select((row, d) => (IReadOnlyList<double?>)row.Select((sum, c) => counts[d][c] > 0 ? sum / counts[d][c] - mean : (double?)null).ToList()).ToList();
        return new ChoiceEffectSeries(name, quantity, architectures.Count, mean, effects);
    }
}
