using System.IO.Compression;
using System.Text.Json.Nodes;
using LatencyNas.Core;
using LatencyNas.Core.Spaces;
using LatencyNas.Core.Spaces.Nb201;
using LatencyNas.Prediction;
using LatencyNas.Tests;
using Microsoft.Data.Sqlite;

namespace LatencyNas.Workflows.Tests;

/// <summary>A saved predictor belongs to the store and the device measurements it was trained on.</summary>
public sealed class PredictorCatalogTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private StoreLocation ImportRaspi4(string path)
    {
        var store = new StoreLocation(path);
        new ImportUseCase().Run(new ImportRequest(SharedData.File("nb201_help_latency_ms.csv"), Nb201Space.Instance, Dataset.Cifar10, store, Columns: ["raspi4"]));
        return store;
    }

    [Fact]
    public void A_predictor_records_its_store_and_device_and_a_store_re_created_under_the_same_name_refuses_it()
    {
        var store = ImportRaspi4(_directory.File("profiles/latnas.db"));
        var trained = new TrainUseCase().Run(new TrainRequest("raspi4", Nb201Space.Instance, store, PredictorModel.Additive, TrainSize: 200));
        var metadata = PredictorFile.ReadMetadata(trained.PredictorPath);
        using (var open = store.OpenExisting())
        {
            Assert.Equal(open.Id, metadata.StoreId);
            Assert.Equal($"table {SharedData.File("nb201_help_latency_ms.csv")}", metadata.DeviceSetting);
        }
        Assert.Equal("raspi4", PredictSession.Open("raspi4", Nb201Space.Instance, store).Device);

        SqliteConnection.ClearAllPools();
        File.Delete(store.Path);
        ImportRaspi4(store.Path);

        var error = Assert.Throws<InvalidInputException>(() => PredictSession.Open("raspi4", Nb201Space.Instance, store));
        Assert.Contains("trained on another store", error.Message);
        Assert.Contains("latnas train --device raspi4", error.Message);
    }

    [Fact]
    public void A_predictor_copied_into_another_devices_folder_is_refused()
    {
        var store = new StoreLocation(_directory.File("profiles/latnas.db"));
        new ImportUseCase().Run(new ImportRequest(SharedData.File("nb201_help_latency_ms.csv"), Nb201Space.Instance, Dataset.Cifar10, store, Columns: ["raspi4", "pixel3"]));
        var trained = new TrainUseCase().Run(new TrainRequest("raspi4", Nb201Space.Instance, store, PredictorModel.Additive, TrainSize: 200));
        string copy = trained.PredictorPath.Replace($"{Path.DirectorySeparatorChar}raspi4{Path.DirectorySeparatorChar}", $"{Path.DirectorySeparatorChar}pixel3{Path.DirectorySeparatorChar}");
        Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
        File.Copy(trained.PredictorPath, copy);

        var error = Assert.Throws<InvalidInputException>(() => PredictSession.Open("pixel3", Nb201Space.Instance, store));
        Assert.Contains("trained for 'raspi4', not 'pixel3'", error.Message);
        Assert.Equal("raspi4", PredictSession.Open("raspi4", Nb201Space.Instance, store).Device);
    }

    [Fact]
    public void A_predictor_of_the_device_measured_otherwise_is_refused_and_one_saved_before_stores_had_ids_is_accepted()
    {
        var store = ImportRaspi4(_directory.File("profiles/latnas.db"));
        var trained = new TrainUseCase().Run(new TrainRequest("raspi4", Nb201Space.Instance, store, PredictorModel.Additive, TrainSize: 200));

        RewriteMetadata(trained.PredictorPath, m => m["device_setting"] = "fingerprint 0123456789abcdef");
        var error = Assert.Throws<InvalidInputException>(() => new PredictUseCase().Run(
            new PredictRequest("raspi4", [Nb201Space.Instance.Parse("123401")], Nb201Space.Instance, store)));
        Assert.Contains("measured with fingerprint 0123456789abcdef", error.Message);

        RewriteMetadata(trained.PredictorPath, m =>
        {
            m.Remove("device_setting");
            m.Remove("store_id");
        });
        var predicted = new PredictUseCase().Run(new PredictRequest("raspi4", [Nb201Space.Instance.Parse("123401")], Nb201Space.Instance, store));
        Assert.Single(predicted.Predictions);
    }

    [Fact]
    public void Re_importing_the_device_from_another_table_replaces_its_source_and_refuses_the_old_predictor()
    {
        var store = ImportRaspi4(_directory.File("profiles/latnas.db"));
        new TrainUseCase().Run(new TrainRequest("raspi4", Nb201Space.Instance, store, PredictorModel.Additive, TrainSize: 200));
        var again = new ImportUseCase().Run(new ImportRequest(SharedData.File("nb201_help_latency_ms.csv"), Nb201Space.Instance, Dataset.Cifar10, store, Columns: ["raspi4"]));
        Assert.Null(again.Columns[0].ReplacedSource); // the same table again: nothing changes, the predictor stays valid
        Assert.Equal("raspi4", PredictSession.Open("raspi4", Nb201Space.Instance, store).Device);

        // raspi4's column with pixel3's values, as another file
        string other = _directory.File("other.csv");
        var lines = File.ReadAllLines(SharedData.File("nb201_help_latency_ms.csv"));
        int pixel3 = Array.IndexOf(lines[0].Split(','), "pixel3");
        File.WriteAllLines(other, lines.Take(200).Select((line, i) =>
        {
            var cells = line.Split(',');
            return $"{cells[1]},{(i == 0 ? "raspi4" : cells[pixel3])}";
        }));
        var replaced = new ImportUseCase().Run(new ImportRequest(other, Nb201Space.Instance, Dataset.Cifar10, store, Columns: ["raspi4"]));
        Assert.Equal(SharedData.File("nb201_help_latency_ms.csv"), replaced.Columns[0].ReplacedSource);
        using (var open = store.OpenExisting())
        {
            Assert.Equal(Path.GetFullPath(other), open.Devices.Get("raspi4").Source);
        }
        var error = Assert.Throws<InvalidInputException>(() => PredictSession.Open("raspi4", Nb201Space.Instance, store));
        Assert.Contains("now has table " + Path.GetFullPath(other), error.Message);
    }

    [Fact]
    public void A_column_named_twice_refuses_the_import()
    {
        var store = new StoreLocation(_directory.File("twice.db"));
        var error = Assert.Throws<InvalidInputException>(() => new ImportUseCase().Run(new ImportRequest(
            SharedData.File("nb201_help_latency_ms.csv"), Nb201Space.Instance, Dataset.Cifar10, store, Columns: ["pixel3", "raspi4", "pixel3"])));
        Assert.Equal("Column 'pixel3' is named twice in --columns.", error.Message);
        Assert.False(File.Exists(store.Path));
    }

    private static void RewriteMetadata(string path, Action<JsonObject> change)
    {
        using var zip = ZipFile.Open(path, ZipArchiveMode.Update);
        var entry = zip.GetEntry("metadata.json")!;
        JsonObject metadata;
        using (var stream = entry.Open())
        {
            metadata = JsonNode.Parse(stream)!.AsObject();
        }
        change(metadata);
        entry.Delete();
        using var writer = new StreamWriter(zip.CreateEntry("metadata.json").Open());
        writer.Write(metadata.ToJsonString());
    }
}
