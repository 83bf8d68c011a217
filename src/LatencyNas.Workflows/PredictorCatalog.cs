using LatencyNas.Core;
using LatencyNas.Core.Spaces;
using LatencyNas.Core.Statistics;
using LatencyNas.Prediction;

namespace LatencyNas.Workflows;

/// <summary>How a predictor did on the measurements it was not trained on (one row of <c>train</c> and <c>evaluate</c>).</summary>
/// <param name="TrainSeconds">Seconds spent fitting (summed over an automatic choice's fits, which run on several cores at once).</param>
public sealed record PredictorEvaluation(
    string Device, string Model, int Train, int Test, double Within5, double Within10, double Srcc, double Kendall, double Mape, double Rmse, double TrainSeconds);

/// <summary>A predictor saved beside a store, as <c>predictors list</c> shows it.</summary>
/// <param name="Model">The model asked for (auto, additive, fasttree, lightgbm).</param>
/// <param name="Chosen">The family and target it came to (what auto chose).</param>
/// <param name="Problem">Why the file could not be read, when it could not; the other details are then unknown.</param>
public sealed record SavedPredictor(
    string Device, string Model, string? Chosen, string? Space, string? Dataset, int? TrainedOn, PredictionMetrics? TestMetrics, DateTimeOffset? CreatedAt,
    string Path, string? Problem = null);

/// <summary>
/// Trained predictors beside a store, in a folder of its own:
/// <c>&lt;store&gt;.predictors/&lt;space&gt;/&lt;device&gt;/&lt;model&gt;.predictor</c> — one store holds a device's NB201
/// and FBNet measurements under one name, and each has its own predictor; two stores in one folder
/// keep theirs apart. A predictor saved by an earlier version in the folder all stores there shared
/// (<c>predictors/[&lt;space&gt;/]&lt;device&gt;/</c>) is still found for the space it was trained on. Training, testing and saving happen here, so a
/// predictor trained for a search is saved exactly as <c>train</c> saves it.
/// </summary>
public static class PredictorCatalog
{
    /// <summary>Architectures a predictor is trained on unless told otherwise (fewer when the device has fewer than 1,250: then 80%).</summary>
    public const int DefaultTrainSize = 1000;

    public static int TrainSizeFor(int? requested, int measured) => requested ?? Math.Min(DefaultTrainSize, measured * 4 / 5);

    public static string PathFor(StoreLocation store, string device, SearchSpace space, PredictorModel model)
        => Path.Combine(FolderFor(store, device, space), Name(model) + ".predictor");

    public static string Name(PredictorModel model) => model.ToString().ToLowerInvariant();

    /// <summary>The predictor file to use: the named model, else auto, else the newest trained for the device and space.</summary>
    /// <exception cref="InvalidInputException">No such predictor; the message says how to train one.</exception>
    /// <exception cref="ProfileStoreException">No store at the location, or no such device in it.</exception>
    public static string Find(StoreLocation store, string device, SearchSpace space, PredictorModel? model)
    {
        if (TryFind(store, device, space, model) is { } found)
        {
            return found;
        }
        // Why there is none: no store there, no such device, or a device not trained yet.
        using (var opened = store.OpenExisting())
        {
            opened.Devices.Get(device);
        }
        string which = model is { } named ? $" --model {Name(named)}" : "";
        throw new InvalidInputException(
            $"No trained {(model is { } m ? Name(m) + " " : "")}{space.Name} predictor for device '{device}' next to {store.Location}; " +
            $"run `latnas train --device {device}{SearchSpaces.Suggestion(space)}{which}{store.Suggestion}` first.");
    }

    private static string? TryFind(StoreLocation store, string device, SearchSpace space, PredictorModel? model)
    {
        PredictorMirror.Pull(store);
        string[] folders = [FolderFor(store, device, space), .. LegacyFoldersFor(store, device, space)];
        var candidates = folders
            .Select(folder => Path.Combine(folder, Name(model ?? PredictorModel.Auto) + ".predictor"))
            .Where(File.Exists);
        if (model is null)
        {
            candidates = candidates.Concat(folders
                .Where(Directory.Exists)
                .SelectMany(folder => Directory.GetFiles(folder, "*.predictor").OrderByDescending(File.GetLastWriteTimeUtc)));
        }
        return candidates.FirstOrDefault(path => IsFor(path, space));
    }

    /// <summary>The device's predictor for the space, or null when none was saved.</summary>
    /// <exception cref="InvalidInputException">The saved file is corrupt.</exception>
    public static (LatencyPredictor Predictor, PredictorMetadata Metadata)? TryLoad(StoreLocation store, string device, SearchSpace space)
        => TryFind(store, device, space, model: null) is { } path ? Read(store, device, space, path) : null;

    /// <exception cref="InvalidInputException">No such predictor, or the file is corrupt.</exception>
    public static (LatencyPredictor Predictor, PredictorMetadata Metadata) Load(StoreLocation store, string device, SearchSpace space, PredictorModel? model = null)
        => Read(store, device, space, Find(store, device, space, model));

    /// <exception cref="InvalidInputException">The file is corrupt, or it was trained for another device, on another store or on the device measured otherwise.</exception>
    private static (LatencyPredictor Predictor, PredictorMetadata Metadata) Read(StoreLocation store, string device, SearchSpace space, string path)
    {
        string retrain = $"Train it again: `latnas train --device {device}{SearchSpaces.Suggestion(space)}{store.Suggestion}`.";
        (LatencyPredictor Predictor, PredictorMetadata Metadata) loaded;
        try
        {
            loaded = PredictorFile.Load(path);
        }
        catch (InvalidInputException error)
        {
            throw new InvalidInputException($"{error.Message} {retrain}", error);
        }
        var (storeId, name, setting) = OriginOf(store, device);
        if (loaded.Metadata.Device != name)
        {
            // A file copied by hand into another device's folder would otherwise predict that device with the wrong numbers.
            throw new InvalidInputException(
                $"The predictor '{path}' was trained for '{loaded.Metadata.Device}', not '{name}'. {retrain}");
        }
        if (loaded.Metadata.StoreId is { } trainedOn && trainedOn != storeId)
        {
            throw new InvalidInputException(
                $"The predictor '{path}' was trained on another store than {store.Location} (a store re-created under the same name?); its numbers may not be this store's. {retrain}");
        }
        if (loaded.Metadata.DeviceSetting is { } trainedWith && setting is not null && trainedWith != setting)
        {
            throw new InvalidInputException(
                $"The predictor '{path}' was trained on '{device}' measured with {trainedWith}, but the store's '{device}' now has {setting}. {retrain}");
        }
        return loaded;
    }

    /// <summary>The store's identity, the device's name as the store spells it, and its setting there (null when the store does not know the device).</summary>
    private static (string StoreId, string Device, string? DeviceSetting) OriginOf(StoreLocation location, string device)
    {
        using var store = location.OpenExisting();
        var known = store.Devices.Find(device);
        return (store.Id, known?.Name ?? device, known?.Setting);
    }

    private static string FolderFor(StoreLocation store, string device, SearchSpace space)
    {
        DeviceName.Check(device, "a predictor's device");
        return Path.Combine(store.PredictorFolder, space.Name, DeviceName.ToFileName(device));
    }

    /// <summary>Where earlier versions saved the device's predictors: the shared folder, by space, then without spaces.</summary>
    private static string[] LegacyFoldersFor(StoreLocation store, string device, SearchSpace space)
    {
        DeviceName.Check(device, "a predictor's device");
        return store.SharedPredictorFolder is not { } shared ? [] :
        [
            Path.Combine(shared, space.Name, DeviceName.ToFileName(device)),
            Path.Combine(shared, DeviceName.ToFileName(device)),
        ];
    }

    /// <summary>
    /// Whether the file was trained on <paramref name="space"/>; a file whose header cannot be read
    /// counts as a match, so that loading it reports what is wrong with it.
    /// </summary>
    private static bool IsFor(string path, SearchSpace space)
    {
        try
        {
            return PredictorFile.ReadMetadata(path).Space == space.Name;
        }
        catch (InvalidInputException)
        {
            return true;
        }
    }

    /// <summary>Every predictor the store can use — its own, then any an earlier version left in the shared folder — by device then model.</summary>
    public static IReadOnlyList<SavedPredictor> List(StoreLocation store)
    {
        // The store must be there: its predictors live beside it, and a mistyped path would list none without a word.
        // (A server store is opened, and so checked, by the mirror's pull.)
        if (!store.IsServer)
        {
            using (store.OpenExisting())
            {
            }
        }
        PredictorMirror.Pull(store);
        var saved = new List<SavedPredictor>();
        var paths = new[] { store.PredictorFolder, store.SharedPredictorFolder }
            .OfType<string>()
            .Where(Directory.Exists)
            .SelectMany(folder => Directory.GetFiles(folder, "*.predictor", SearchOption.AllDirectories).Order(StringComparer.Ordinal));
        foreach (string path in paths)
        {
            PredictorMetadata metadata;
            try
            {
                metadata = PredictorFile.ReadMetadata(path);
            }
            catch (InvalidInputException error)
            {
                saved.Add(new SavedPredictor(Path.GetFileName(Path.GetDirectoryName(path)!), Path.GetFileNameWithoutExtension(path),
                    null, null, null, null, null, null, path, error.Message));
                continue;
            }
            saved.Add(new SavedPredictor(
                metadata.Device, metadata.Requested ?? Path.GetFileNameWithoutExtension(path),
                metadata.Description ?? $"{metadata.Kind.ToLowerInvariant()}{(metadata.Target == "Log" ? " (log target)" : "")}",
                metadata.Space, metadata.Dataset, metadata.TrainedOn, metadata.TestMetrics, metadata.CreatedAt, path));
        }
        return saved.OrderBy(p => p.Device, StringComparer.Ordinal).ThenBy(p => p.Model, StringComparer.Ordinal).ToList();
    }

    /// <summary>Trains on <paramref name="trainSize"/> architectures drawn with <paramref name="seed"/> and tests on the rest.</summary>
    /// <exception cref="InvalidInputException">Too few measurements to leave any to test on.</exception>
    public static (PredictorEvaluation Evaluation, TrainedPredictor Trained) TrainAndTest(LatencyData data, PredictorModel model, int trainSize, int seed)
    {
        var (train, test) = data.Split(trainSize, seed);
        var trained = PredictorTrainer.Train(model, train, seed);
        return (Test(trained, train, test), trained);
    }

    /// <summary>How a predictor trained on <paramref name="train"/> does on <paramref name="test"/>.</summary>
    public static PredictorEvaluation Test(TrainedPredictor trained, LatencyData train, LatencyData test)
    {
        var metrics = PredictionMetrics.Compute(test.LatenciesMs, trained.Predictor.Predict(test.Architectures));
        return new PredictorEvaluation(test.Device, trained.Predictor.Description, train.Count, test.Count, metrics.Within5, metrics.Within10,
            metrics.Srcc, metrics.KendallTau, metrics.Mape, metrics.Rmse, trained.FitSeconds);
    }

    /// <summary>Trains, tests and saves a device's predictor where <see cref="Find"/> looks for it.</summary>
    /// <returns>The evaluation, the saved file and the trained predictor.</returns>
    public static (PredictorEvaluation Evaluation, string Path, TrainedPredictor Trained) TrainAndSave(
        StoreLocation store, LatencyData data, PredictorModel model, int trainSize, int seed)
    {
        var (storeId, _, setting) = OriginOf(store, data.Device);
        var (evaluation, trained) = TrainAndTest(data, model, trainSize, seed);
        string path = PathFor(store, data.Device, data.Space, model);
        PredictorFile.Save(path, trained.Predictor, new PredictorMetadata
        {
            Device = data.Device,
            Kind = trained.Predictor.Kind.ToString(),
            Target = trained.Predictor.Target.ToString(),
            Space = data.Space.Name,
            Dataset = data.Dataset.Name,
            Resolution = data.Dataset.Height,
            TrainedOn = evaluation.Train,
            Seed = seed,
            Requested = Name(model),
            StoreId = storeId,
            DeviceSetting = setting,
            TestMetrics = new PredictionMetrics(evaluation.Test, evaluation.Rmse, evaluation.Mape, evaluation.Within5, evaluation.Within10, evaluation.Srcc, evaluation.Kendall),
            Candidates = trained.CandidateScores,
        });
        PredictorMirror.Push(store, path);
        return (evaluation, path, trained);
    }
}
