using LatencyNas.Core;
using LatencyNas.Core.Spaces;
using LatencyNas.Prediction;

namespace LatencyNas.Workflows;

/// <param name="Devices">The devices to explain the latency on: names (each needs a saved predictor), or <c>all</c> and <c>prefix*</c> (those of them that have one).</param>
/// <param name="Model">Which saved predictor (null: auto if trained, else the newest) — as <c>predict --model</c>.</param>
public sealed record ExplainRequest(Architecture Architecture, IReadOnlyList<string> Devices, SearchSpace Space, StoreLocation Store, PredictorModel? Model = null);

/// <summary>What one decision's choice adds to the reference's predicted latency: its Shapley value.</summary>
public sealed record LatencyPart(string Decision, string Choice, double Ms);

/// <summary>
/// One device's predicted latency of the architecture, in parts: the reference architecture's prediction (the named remainder:
/// what no decision accounts for) and one part per decision. They add up to <paramref name="PredictedMs"/> — what
/// <c>predict --json</c> gives — up to floating-point rounding.
/// </summary>
/// <param name="Predictor">The predictor's description, e.g. "lightgbm (log target) on an additive base".</param>
/// <param name="ReferenceOps">The reference (<see cref="SearchSpace.Reference"/>; NB201: every edge <c>skip_connect</c>, FBNet: every layer at its first block).</param>
/// <param name="Exact">True when the parts are exact Shapley values; false when estimated from sampled orders (more than <see cref="ExplainUseCase.ExactDecisions"/> decisions differ from the reference).</param>
/// <param name="MeasuredMs">The mean of the device's measurements of the architecture, if any.</param>
public sealed record LatencyExplanation(
    string Device, string Predictor, double PredictedMs, string ReferenceOps, double ReferenceMs, IReadOnlyList<LatencyPart> Parts, bool Exact, double? MeasuredMs);

public sealed record ExplainResult(string Space, string Arch, string Ops, IReadOnlyList<LatencyExplanation> Devices);

/// <summary>
/// Why an architecture is slow where it is slow: each device's predicted latency split among its decisions by their
/// Shapley values, against the space's reference architecture (<see cref="SearchSpace.Reference"/>). A decision's part is what setting
/// it to the architecture's choice adds, averaged over every order in which the decisions can be set — so parts are fair
/// to a tree predictor's interactions (fusions, a dead path) and, for an additive predictor, equal its weights wherever its
/// floor does not lift a prediction. The parts and the reference's prediction add up to the prediction.
/// </summary>
public sealed class ExplainUseCase
{
    /// <summary>Up to this many decisions that differ from the reference, the parts are exact (2^n predictions per device); beyond, estimated.</summary>
    public const int ExactDecisions = 12;

    /// <summary>Orders sampled when the parts are estimated; each costs one prediction per differing decision.</summary>
    public const int SampledOrders = 256;

    /// <exception cref="InvalidInputException">No device given, or a device without a (readable) saved predictor.</exception>
    public ExplainResult Run(ExplainRequest request)
    {
        if (request.Devices.Count == 0)
        {
            throw new InvalidInputException("Name at least one device to explain the latency on.");
        }
        var space = request.Space;
        var architecture = request.Architecture;
        var reference = space.Reference;
        int[] differing = Enumerable.Range(0, space.Decisions.Count).Where(d => architecture[d] != reference[d]).ToArray();
        bool exact = differing.Length <= ExactDecisions;
        using var store = request.Store.OpenExisting();
        var devices = request.Devices.SelectMany(entry => entry == "all" || entry.EndsWith('*')
                ? StoredLatencies.Resolve(store, [entry], space).Where(name => PredictorCatalog.TryLoad(request.Store, name, space) is not null)
                : [entry])
            .Distinct().ToList();
        if (devices.Count == 0)
        {
            throw new InvalidInputException($"None of the devices {string.Join(", ", request.Devices)} has a saved predictor for {space.Name}; train one with `latnas train --device NAME`.");
        }
        var explanations = new List<LatencyExplanation>();
        foreach (string device in devices)
        {
            var session = PredictSession.Open(device, space, request.Store, request.Model);
            Func<IReadOnlyList<Architecture>, double[]> predict = batch => session.Predict(batch).Select(p => p.PredictedMs).ToArray();
            var (shapley, referenceMs, predictedMs) = exact ? ExactShapley(architecture, reference, differing, predict) : SampledShapley(architecture, reference, differing, predict);
            var parts = Enumerable.Range(0, space.Decisions.Count)
                .Select(d => new LatencyPart(space.Decisions[d].Name, space.Decisions[d].Choices[architecture[d]], Array.IndexOf(differing, d) is var k and >= 0 ? shapley[k] : 0))
                .ToList();
            var stored = store.Devices.Get(session.Device);
            explanations.Add(new LatencyExplanation(session.Device, session.Model, predictedMs, reference.Digits, referenceMs, parts, exact,
                ShowUseCase.MeasuredMean(store, stored, space, store.Measurements.Read(stored, space.Name, architecture.Digits))));
        }
        return new ExplainResult(space.Name, space.Format(architecture), architecture.Digits, explanations);
    }

    /// <summary>The architecture with the differing decisions of <paramref name="mask"/> set, the others at the reference.</summary>
    private static Architecture Blend(Architecture architecture, Architecture reference, int[] differing, int mask)
    {
        var blend = reference;
        for (int k = 0; k < differing.Length; k++)
        {
            if ((mask & (1 << k)) != 0)
            {
                blend = blend.With(differing[k], architecture[differing[k]]);
            }
        }
        return blend;
    }

    /// <summary>φₖ = Σ over subsets S without k of |S|!(n−|S|−1)!/n! · (f(S ∪ k) − f(S)), with f predicted once per subset (the empty one is the reference, the full one the architecture).</summary>
    private static (double[] Parts, double ReferenceMs, double PredictedMs) ExactShapley(Architecture architecture, Architecture reference, int[] differing, Func<IReadOnlyList<Architecture>, double[]> predict)
    {
        int n = differing.Length;
        double[] f = predict(Enumerable.Range(0, 1 << n).Select(mask => Blend(architecture, reference, differing, mask)).ToList());
        double[] factorial = new double[n + 1];
        factorial[0] = 1;
        for (int i = 1; i <= n; i++)
        {
            factorial[i] = factorial[i - 1] * i;
        }
        var shapley = new double[n];
        for (int mask = 0; mask < 1 << n; mask++)
        {
            int size = System.Numerics.BitOperations.PopCount((uint)mask);
            for (int k = 0; k < n; k++)
            {
                if ((mask & (1 << k)) == 0)
                {
                    shapley[k] += factorial[size] * factorial[n - size - 1] / factorial[n] * (f[mask | (1 << k)] - f[mask]);
                }
            }
        }
        return (shapley, f[0], f[^1]);
    }

    /// <summary>The mean over sampled orders (a fixed seed) of what each decision adds when set in that order; each order's parts add up exactly.</summary>
    private static (double[] Parts, double ReferenceMs, double PredictedMs) SampledShapley(Architecture architecture, Architecture reference, int[] differing, Func<IReadOnlyList<Architecture>, double[]> predict)
    {
        int n = differing.Length;
        var random = new Random(n);
        var orders = Enumerable.Range(0, SampledOrders).Select(_ =>
        {
            int[] order = Enumerable.Range(0, n).ToArray();
            random.Shuffle(order);
            return order;
        }).ToList();
        var probes = new List<Architecture>(SampledOrders * n + 1);
        foreach (int[] order in orders)
        {
            var current = reference;
            foreach (int k in order)
            {
                current = current.With(differing[k], architecture[differing[k]]);
                probes.Add(current);
            }
        }
        probes.Add(reference);
        double[] f = predict(probes);
        double start = f[^1];
        var shapley = new double[n];
        for (int o = 0; o < orders.Count; o++)
        {
            double before = start;
            for (int step = 0; step < n; step++)
            {
                double after = f[o * n + step];
                shapley[orders[o][step]] += (after - before) / orders.Count;
                before = after;
            }
        }
        return (shapley, start, f[n - 1]); // every order ends at the architecture itself
    }
}
