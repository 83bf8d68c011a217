using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Serialization;
using LatencyNas.Core;
using LatencyNas.Core.IO;
using LatencyNas.Core.Spaces;
using LatencyNas.Core.Statistics;

namespace LatencyNas.Prediction;

/// <summary>What a saved predictor says about itself.</summary>
public sealed record PredictorMetadata
{
    public int Format { get; init; } = 1;
    public required string Device { get; init; }
    public required string Kind { get; init; }
    public required string Target { get; init; }
    public required string Space { get; init; }
    public required string Dataset { get; init; }
    public required int Resolution { get; init; }
    public required int TrainedOn { get; init; }
    public required int Seed { get; init; }
    public string? Requested { get; init; }

    /// <summary>The predictor's description (e.g. "additive with features", "lightgbm (log target) on an additive base"); absent in older files.</summary>
    public string? Description { get; init; }

    /// <summary>The lowest latency the predictor returns (<see cref="LatencyFloor"/>); absent in files saved before floors.</summary>
    public double? FloorMs { get; init; }
    /// <summary>The identity of the store whose measurements trained it; absent in files saved before stores had one.</summary>
    public string? StoreId { get; init; }

    /// <summary>What the device's measurements were made with (a fingerprint's hash, or the table imported); absent in older files.</summary>
    public string? DeviceSetting { get; init; }
    public PredictionMetrics? TestMetrics { get; init; }
    public IReadOnlyList<CandidateScore>? Candidates { get; init; }
    public DateTimeOffset CreatedAt { get; init; } = DateTimeOffset.UtcNow;
}

/// <summary>
/// Predictors on disk, next to the profile store: <c>predictors/&lt;device&gt;/&lt;model&gt;.predictor</c>,
/// a zip holding <c>metadata.json</c> and the model (<c>weights.json</c>, or ML.NET's <c>model.zip</c> with the
/// additive base's <c>base.json</c> or a kernel space's work trend in <c>trend.json</c>).
/// Written to a temporary file and renamed, so a crash never leaves half a predictor.
/// </summary>
public static class PredictorFile
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <param name="FeatureWeights">The analytic features' weights of an additive model with features; absent otherwise.</param>
    private sealed record AdditiveWeights(double[] Weights, double Bias, double Floor = 0, double[]? FeatureWeights = null);

    private sealed record TrendCoefficients(double FixedMs, double Intercept, double PerLogMacs, double PerLogMegabytes);

    /// <summary>The floor of a predictor saved before floors were stored: positive, if not physical (train again for one).</summary>
    private const double FloorOfOlderFiles = 1e-6;

    /// <exception cref="InvalidInputException">The file cannot be written.</exception>
    public static void Save(string path, LatencyPredictor predictor, PredictorMetadata metadata)
        => AtomicFile.WriteAtomically(path, file =>
        {
            metadata = metadata with { FloorMs = predictor.FloorMs, Description = predictor.Description };
            using var zip = new ZipArchive(file, ZipArchiveMode.Create, leaveOpen: true);
            using (var entry = zip.CreateEntry("metadata.json").Open())
            {
                JsonSerializer.Serialize(entry, metadata, Json);
            }
            switch (predictor)
            {
                case AdditivePredictor additive:
                    using (var entry = zip.CreateEntry("weights.json").Open())
                    {
                        JsonSerializer.Serialize(entry, new AdditiveWeights(additive.Weights.ToArray(), additive.Bias, FeatureWeights: additive.FeatureWeights?.ToArray()), Json);
                    }
                    break;
                case MlNetPredictor mlnet:
                    if (mlnet.Base is { } baseModel)
                    {
                        using var entry = zip.CreateEntry("base.json").Open();
                        JsonSerializer.Serialize(entry, new AdditiveWeights(baseModel.Weights.ToArray(), baseModel.Bias, baseModel.FloorMs), Json);
                    }
                    if (mlnet.Trend is { } trend)
                    {
                        using var entry = zip.CreateEntry("trend.json").Open();
                        JsonSerializer.Serialize(entry, new TrendCoefficients(trend.FixedMs, trend.Intercept, trend.PerLogMacs, trend.PerLogMegabytes), Json);
                    }
                    using (var entry = zip.CreateEntry("model.zip").Open())
                    using (var buffer = new MemoryStream())
                    {
                        mlnet.SaveModel(buffer); // ML.NET needs a seekable stream
                        buffer.Position = 0;
                        buffer.CopyTo(entry);
                    }
                    break;
                default:
                    throw new NotSupportedException($"Cannot save a {predictor.GetType().Name}.");
            }
        });

    /// <exception cref="InvalidInputException">The file is missing, corrupt, or not a LatencyNas predictor.</exception>
    public static (LatencyPredictor Predictor, PredictorMetadata Metadata) Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new InvalidInputException($"No predictor at '{path}'.");
        }
        try
        {
            using var zip = ZipFile.OpenRead(path);
            var metadata = Read<PredictorMetadata>(zip, "metadata.json");
            if (metadata.Format != 1)
            {
                throw new InvalidInputException($"'{path}' has predictor format {metadata.Format}; this LatencyNas reads format 1.");
            }
            var space = SearchSpaces.Get(metadata.Space);
            var dataset = Dataset.Parse(metadata.Dataset).AtResolution(metadata.Resolution);
            var encoder = new FeatureEncoder(space, dataset);
            var target = Enum.Parse<TargetTransform>(metadata.Target, ignoreCase: true);
            var kind = Enum.Parse<ModelKind>(metadata.Kind, ignoreCase: true);
            double floor = metadata.FloorMs ?? FloorOfOlderFiles;
            LatencyPredictor predictor;
            if (kind == ModelKind.Additive)
            {
                var weights = Read<AdditiveWeights>(zip, "weights.json");
                predictor = new AdditivePredictor(encoder, target, weights.Weights, weights.Bias, floor, weights.FeatureWeights);
            }
            else
            {
                using var buffer = new MemoryStream();
                using (var entry = (zip.GetEntry("model.zip") ?? throw new InvalidDataException("model.zip is missing")).Open())
                {
                    entry.CopyTo(buffer);
                }
                buffer.Position = 0;
                AdditivePredictor? baseModel = null;
                if (zip.GetEntry("base.json") is not null)
                {
                    var weights = Read<AdditiveWeights>(zip, "base.json");
                    floor = metadata.FloorMs ?? (weights.Floor > 0 ? weights.Floor : FloorOfOlderFiles);
                    baseModel = new AdditivePredictor(encoder, TargetTransform.Identity, weights.Weights, weights.Bias, floor);
                }
                // Kernel predictors saved before trends (2026-12-02) are trees alone, and stay so.
                WorkTrend? trend = null;
                if (zip.GetEntry("trend.json") is not null)
                {
                    var coefficients = Read<TrendCoefficients>(zip, "trend.json");
                    trend = new WorkTrend(encoder, coefficients.FixedMs, coefficients.Intercept, coefficients.PerLogMacs, coefficients.PerLogMegabytes);
                }
                predictor = MlNetPredictor.LoadModel(kind, encoder, target, buffer, baseModel, trend, floor);
            }
            return (predictor, metadata);
        }
        catch (InvalidInputException)
        {
            throw;
        }
        catch (FeatureCountMismatchException mismatch)
        {
            throw new InvalidInputException($"Cannot use predictor '{path}': {mismatch.Message}. Train it again (latnas train).");
        }
        catch (Exception error) when (error is InvalidDataException or JsonException or IOException or ArgumentException or FormatException
                                          or InvalidOperationException or NotSupportedException or UnauthorizedAccessException)
        {
            throw new InvalidInputException($"Cannot read predictor '{path}': the file is corrupt or not a LatencyNas predictor ({error.Message.Split('\n')[0]}).");
        }
    }

    /// <summary>Only what a saved predictor says about itself, without loading the model.</summary>
    /// <exception cref="InvalidInputException">The file is missing, corrupt, or not a LatencyNas predictor.</exception>
    public static PredictorMetadata ReadMetadata(string path)
    {
        try
        {
            using var zip = ZipFile.OpenRead(path);
            return Read<PredictorMetadata>(zip, "metadata.json");
        }
        catch (Exception error) when (error is InvalidDataException or JsonException or IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new InvalidInputException($"Cannot read predictor '{path}': the file is corrupt or not a LatencyNas predictor ({error.Message.Split('\n')[0]}).");
        }
    }

    private static T Read<T>(ZipArchive zip, string name)
    {
        var entry = zip.GetEntry(name) ?? throw new InvalidDataException($"{name} is missing");
        using var stream = entry.Open();
        return JsonSerializer.Deserialize<T>(stream, Json) ?? throw new InvalidDataException($"{name} is empty");
    }
}
