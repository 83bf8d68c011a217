using System.Text.Json;
using LatencyNas.Core;
using LatencyNas.Core.Spaces;
using LatencyNas.Prediction;

namespace LatencyNas.Workflows;

/// <param name="TrainSize">Measured architectures to train on, the rest being the test set (null: <see cref="PredictorCatalog.DefaultTrainSize"/>, or 80% of fewer).</param>
/// <param name="MixProtocols">Train on measurements of both protocols when a device has both (otherwise only the interleaved ones).</param>
public sealed record TrainRequest(
    string Device, SearchSpace Space, StoreLocation Store, PredictorModel Model = PredictorModel.Auto, int? TrainSize = null, int Seed = 0, bool MixProtocols = false);

/// <summary>A trained and saved predictor: how it did on the test set, where it is, and how auto's candidates cross-validated.</summary>
/// <param name="LeftOut">Measurements of the device left out because another protocol made them (see <see cref="TrainRequest.MixProtocols"/>).</param>
public sealed record TrainResult(PredictorEvaluation Evaluation, string PredictorPath, IReadOnlyList<CandidateScore> Candidates, int LeftOut = 0);

/// <summary>Trains a device's predictor on part of its measurements, tests it on the rest, and saves it beside the store.</summary>
public sealed class TrainUseCase
{
    /// <exception cref="InvalidInputException">No such device, or too few measurements for the training size.</exception>
    public TrainResult Run(TrainRequest request)
    {
        using var store = request.Store.OpenExisting();
        var data = StoredLatencies.Load(store, request.Device, request.Space, request.MixProtocols);
        int leftOut = StoredLatencies.LeftOut(store, request.Device, request.Space, request.MixProtocols);
        var (evaluation, path, trained) = PredictorCatalog.TrainAndSave(
            request.Store, data, request.Model, PredictorCatalog.TrainSizeFor(request.TrainSize, data.Count), request.Seed);
        return new TrainResult(evaluation, PredictorMirror.Describe(request.Store, path), trained.CandidateScores, leftOut);
    }
}

/// <param name="Model">Which saved predictor (null: auto if trained, else the newest).</param>
public sealed record PredictRequest(string Device, IReadOnlyList<Architecture> Architectures, SearchSpace Space, StoreLocation Store, PredictorModel? Model = null);

public sealed record PredictedLatency(string Arch, string Ops, int? Index, double PredictedMs);

/// <summary>Predictions, and which predictor made them.</summary>
public sealed record PredictResult(string Device, string Model, int TrainedOn, IReadOnlyList<PredictedLatency> Predictions);

/// <summary>Predicts latencies on a device with its saved predictor.</summary>
public sealed class PredictUseCase
{
    /// <exception cref="InvalidInputException">No (readable) predictor of the device for the space.</exception>
    public PredictResult Run(PredictRequest request)
    {
        if (request.Architectures.Count == 0)
        {
            throw new InvalidInputException("No architecture to predict.");
        }
        var session = PredictSession.Open(request.Device, request.Space, request.Store, request.Model);
        return new PredictResult(session.Device, session.Model, session.TrainedOn, session.Predict(request.Architectures));
    }
}

/// <summary>
/// A device's saved predictor, loaded once and kept, for callers that predict as architectures
/// arrive (<c>predict --stdin</c>) instead of in one batch.
/// </summary>
public sealed class PredictSession
{
    private readonly LatencyPredictor _predictor;
    private readonly SearchSpace _space;

    private PredictSession(LatencyPredictor predictor, PredictorMetadata metadata, SearchSpace space)
    {
        (_predictor, _space) = (predictor, space);
        (Device, Model, TrainedOn) = (metadata.Device, predictor.Description, metadata.TrainedOn);
    }

    public string Device { get; }

    /// <summary>The predictor's description, e.g. "lightgbm (log target) on an additive base".</summary>
    public string Model { get; }

    public int TrainedOn { get; }

    /// <exception cref="InvalidInputException">No (readable) predictor of the device for the space.</exception>
    public static PredictSession Open(string device, SearchSpace space, StoreLocation store, PredictorModel? model = null)
    {
        var (predictor, metadata) = PredictorCatalog.Load(store, device, space, model);
        return new PredictSession(predictor, metadata, space);
    }

    public IReadOnlyList<PredictedLatency> Predict(IReadOnlyList<Architecture> architectures)
    {
        double[] predicted = _predictor.Predict(architectures);
        return architectures.Select((a, i) => new PredictedLatency(_space.Format(a), a.Digits, _space.IndexOf(a), predicted[i])).ToList();
    }

    /// <summary>
    /// One line of a stream (<c>predict --stdin</c>): an architecture in any of the space's forms, or a
    /// JSON object <c>{"arch": ..., "id": ...}</c> whose <c>id</c> comes back with the answer. A line
    /// that is neither is answered with the reason instead of stopping the stream.
    /// </summary>
    /// <returns>Null for a blank line.</returns>
    public StreamedPrediction? PredictLine(int line, string text)
    {
        string arch = text.Trim();
        if (arch.Length == 0)
        {
            return null;
        }
        JsonElement? id = null;
        try
        {
            if (arch.StartsWith('{'))
            {
                arch = FromJson(arch, out id);
            }
            return new StreamedPrediction(line, id, Predict([_space.Parse(arch)])[0], null);
        }
        catch (Exception error) when (error is InvalidInputException or JsonException)
        {
            return new StreamedPrediction(line, id, null, error.Message);
        }
    }

    /// <param name="id">The line's <c>id</c>, set before an error so that the error carries it too.</param>
    private static string FromJson(string text, out JsonElement? id)
    {
        id = null;
        using var document = JsonDocument.Parse(text);
        var root = document.RootElement;
        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("id", out var given))
        {
            id = given.Clone();
        }
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("arch", out var arch) || arch.ValueKind != JsonValueKind.String)
        {
            throw new JsonException("A JSON line needs a string \"arch\", e.g. {\"arch\": \"123401\", \"id\": 7}.");
        }
        return arch.GetString()!;
    }
}

/// <summary>One answered line of a prediction stream: its number, the caller's id if it gave one, and the prediction or why there is none.</summary>
public sealed record StreamedPrediction(int Line, JsonElement? Id, PredictedLatency? Prediction, string? Error);

/// <param name="Devices">Names, <c>all</c>, or <c>prefix*</c>.</param>
public sealed record EvaluateRequest(IReadOnlyList<string> Devices, SearchSpace Space, StoreLocation Store, PredictorModel Model = PredictorModel.Auto, int? TrainSize = null, int Seed = 0);

public sealed record EvaluateResult(IReadOnlyList<PredictorEvaluation> Rows)
{
    /// <summary>Share within ±10%, averaged over the devices.</summary>
    public double MeanWithin10 => Rows.Average(r => r.Within10);

    /// <summary>SRCC averaged over the devices.</summary>
    public double MeanSrcc => Rows.Average(r => r.Srcc);
}

/// <summary>
/// Trains and tests a predictor per device, all devices' fits in one pool over the cores there are
/// (<see cref="PredictorTrainer.TrainAll"/>); nothing is saved. Every device is loaded and checked for enough measurements before the first is trained;
/// each row is reported as it finishes (one report at a time, in finishing order), and the result
/// lists the devices in the order asked.
/// </summary>
public sealed class EvaluateUseCase
{
    /// <exception cref="InvalidInputException">An unknown device, or one with too few measurements for the training size (before any training).</exception>
    public EvaluateResult Run(EvaluateRequest request, IProgress<PredictorEvaluation>? rows = null, CancellationToken cancellation = default)
    {
        using var store = request.Store.OpenExisting();
        var names = StoredLatencies.Resolve(store, request.Devices, request.Space);
        var devices = names.Select(name => StoredLatencies.Load(store, name, request.Space)).ToList();
        var tooSmall = devices.Where(d => PredictorCatalog.TrainSizeFor(request.TrainSize, d.Count) is var size && (size < 2 || size >= d.Count)).ToList();
        if (tooSmall.Count > 0)
        {
            throw new InvalidInputException(
                $"Too few measurements to train on {(request.TrainSize is { } n ? n.ToString("N0") : "the default share")} and test on the rest: " +
                string.Join(", ", tooSmall.Select(d => $"{d.Device} has {d.Count:N0}")) + ". Profile more, lower --train-size, or leave those devices out.");
        }
        // One pool of fits for all devices (the models are single-threaded for determinism, so the fits share the cores).
        var splits = devices.Select(d => d.Split(PredictorCatalog.TrainSizeFor(request.TrainSize, d.Count), request.Seed)).ToList();
        var results = new PredictorEvaluation[devices.Count];
        var reporting = new Lock();
        PredictorTrainer.TrainAll(splits.Select(s => s.Train).ToList(), request.Model, request.Seed, (i, trained) =>
        {
            var evaluation = results[i] = PredictorCatalog.Test(trained, splits[i].Train, splits[i].Test);
            lock (reporting)
            {
                rows?.Report(evaluation);
            }
        }, cancellation: cancellation);
        return new EvaluateResult(results);
    }
}

public sealed record PredictorsListRequest(StoreLocation Store);

public sealed record PredictorsListResult(string Folder, IReadOnlyList<SavedPredictor> Predictors);

/// <summary>The predictors saved beside a store.</summary>
public sealed class PredictorsListUseCase
{
    public PredictorsListResult Run(PredictorsListRequest request)
        => new(request.Store.IsServer ? request.Store.Location : request.Store.PredictorFolder, PredictorCatalog.List(request.Store));
}
