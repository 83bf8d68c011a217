using LatencyNas.Core;
using LatencyNas.Core.Measurements;
using LatencyNas.Core.Spaces;
using LatencyNas.Prediction;
using LatencyNas.Profiling;
using LatencyNas.Profiling.Devices;
using LatencyNas.Profiling.Store;
using LatencyNas.Profiling.Timing;
using LatencyNas.Tests;
using LatencyNas.Workflows.Runners;
using LatencyNas.Workflows.Tests.Runners;

namespace LatencyNas.Workflows.Tests;

/// <summary>Profile, import, train, predict and the store's listings, each through its use case on a real SQLite file.</summary>
[Collection(RealStoreCollection.Name)]
public sealed class StoreUseCaseTests(RealStore real) : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void The_store_flag_wins_over_the_environment_which_wins_over_the_default()
    {
        Assert.Equal("a.db", StoreLocation.Resolve("a.db", "b.db").Path);
        Assert.Equal("b.db", StoreLocation.Resolve(null, "b.db").Path);
        Assert.Equal(ProfileStore.DefaultPath, StoreLocation.Resolve(null, " ").Path);
        Assert.Contains("--store was given empty", Assert.Throws<InvalidInputException>(() => StoreLocation.Resolve("", "b.db")).Message);
        Assert.Equal("", StoreLocation.Default.Suggestion);
        Assert.Equal(" --store 'my store.db'", new StoreLocation("my store.db").Suggestion);
    }

    [Fact]
    public async Task A_rejected_profile_creates_no_store_and_no_folder()
    {
        var store = new StoreLocation(_directory.File("never/latnas.db"));
        var profile = new ProfileUseCase(DeviceRunnerFactory.Instance);
        string badDevice = _directory.File("bad.json");
        File.WriteAllText(badDevice, """{ "name": "bad", "runtime": "onnxruntime", "threads": 0 }""");

        await Assert.ThrowsAnyAsync<InvalidInputException>(() => profile.RunAsync(new ProfileRequest(badDevice, RealStore.Space, new(), store)));
        await Assert.ThrowsAnyAsync<InvalidInputException>(() => profile.RunAsync(new ProfileRequest("ort-cpu-1t", RealStore.Space, new(Count: 3, All: true), store)));
        await Assert.ThrowsAnyAsync<InvalidInputException>(() => profile.RunAsync(new ProfileRequest("ort-cpu-1t", RealStore.Space, new(Count: 3), store, Precision: 2)));
        await Assert.ThrowsAnyAsync<InvalidInputException>(() => profile.RunAsync(new ProfileRequest("ort-cpu-1t", RealStore.Space, new(Count: 3), store, TimeoutSeconds: double.NaN)));
        var absent = await Assert.ThrowsAsync<DeviceUnavailableException>(() => profile.RunAsync(new ProfileRequest("ort-cuda0", RealStore.Space, new(Count: 3), store)));
        Assert.Contains("Microsoft.ML.OnnxRuntime.Gpu", absent.Message);
        Assert.Throws<InvalidInputException>(() => new ImportUseCase().Run(new ImportRequest(_directory.File("missing.csv"), RealStore.Space, Dataset.Cifar10, store)));
        string badTable = _directory.File("bad.csv");
        File.WriteAllText(badTable, "arch,dev\n333333,fast\n");
        Assert.Throws<InvalidInputException>(() => new ImportUseCase().Run(new ImportRequest(badTable, RealStore.Space, Dataset.Cifar10, store)));

        Assert.False(Directory.Exists(_directory.File("never")));
    }

    [Fact]
    public async Task Profile_measures_with_the_device_runner_and_reports_what_it_did()
    {
        var store = new StoreLocation(_directory.File("p/latnas.db"));
        var runner = new KnownTimesRunner(DeviceDescriptorReader.Resolve("ort-cpu-1t"), r => r.Architecture.Digits.Count(c => c == '3') + 0.5);
        var progress = new List<ProfileProgress>();
        var request = new ProfileRequest("ort-cpu-1t", RealStore.Space, new(Count: 5, Seed: 7), store, DeviceName: "box");

        var result = await new ProfileUseCase(runner).RunAsync(request, new Synchronous<ProfileProgress>(progress.Add));
        Assert.True(result.Succeeded);
        Assert.Equal(("box", 5, 0, 5), (result.Device, result.Requested, result.AlreadyStored, result.Measured));
        Assert.Equal(5, progress.Count);
        var again = await new ProfileUseCase(runner).RunAsync(request);
        Assert.Equal((5, 0), (again.AlreadyStored, again.Measured));

        string csv = _directory.File("box.csv");
        var export = new ProfilesExportUseCase().Run(new ProfilesExportRequest("box", csv, store));
        Assert.Equal(5, export.Measurements);
        var lines = File.ReadAllLines(csv);
        Assert.Equal(ProfilesExportUseCase.Header, lines[0]);
        foreach (var architecture in RealStore.Space.SampleDistinct(5, seed: 7))
        {
            double expected = architecture.Digits.Count(c => c == '3') + 0.5;
            Assert.Contains(lines, l => l.Contains(
                $",{architecture.Digits},{RealStore.Space.IndexOf(architecture)},1,ok,{expected.ToString(System.Globalization.CultureInfo.InvariantCulture)},"));
        }
        var device = Assert.Single(new DevicesListUseCase().Run(new DevicesListRequest(store)).Devices);
        Assert.Equal(("box", "live", 5, "onnxruntime"), (device.Name, device.Kind, device.Measured, device.Runtime));
    }

    [Fact]
    public async Task A_task_profile_is_a_device_of_its_own_never_mixed_with_the_first_and_compared_by_the_analysis_verbs()
    {
        var store = new StoreLocation(_directory.File("task/latnas.db"));
        var selection = new ArchitectureSelection(Count: 4, Seed: 5);
        var profile = new ProfileUseCase(DeviceRunnerFactory.Instance);

        var (cifar, cifarMeasured) = await ProfileUntilMeasuredAsync(profile, new ProfileRequest("ort-cpu-1t", RealStore.Space, selection, store));
        var (emg, emgMeasured) = await ProfileUntilMeasuredAsync(profile, new ProfileRequest("ort-cpu-1t", RealStore.Space, selection, store, Dataset: Dataset.NinaPro));

        Assert.Equal(("ort-cpu-1t", 4), (cifar.Device, cifarMeasured));
        Assert.Equal(("ort-cpu-1t@ninapro", 0, 4), (emg.Device, emg.AlreadyStored, emgMeasured)); // nothing of the CIFAR profile counts as stored
        var devices = new DevicesListUseCase().Run(new DevicesListRequest(store)).Devices;
        Assert.Equal([("ort-cpu-1t", "cifar10", "3x32x32", 4), ("ort-cpu-1t@ninapro", "ninapro", "1x16x52", 4)],
            devices.Select(d => (d.Name, d.Dataset, d.Input, d.Measured)));
        // Forcing the task's measurements under the CIFAR device's name is refused, not mixed in.
        await Assert.ThrowsAsync<ProfileStoreException>(() =>
            profile.RunAsync(new ProfileRequest("ort-cpu-1t", RealStore.Space, selection, store, DeviceName: "ort-cpu-1t", Dataset: Dataset.NinaPro)));

        var ranking = new MonotonicityUseCase().Run(new MonotonicityRequest(["ort-cpu-1t", "ort-cpu-1t@ninapro"], RealStore.Space, store, Bootstrap: 0));
        Assert.Equal(["ort-cpu-1t", "ort-cpu-1t@ninapro"], ranking.Devices);
        Assert.Equal(4, ranking.Architectures);
        using var opened = store.OpenExisting();
        Assert.Equal(Dataset.NinaPro, opened.Devices.Get("ort-cpu-1t@ninapro").InputDataset);
        // search --verify measures a task device again at its task, under its own name.
        var verifier = SearchUseCase.VerificationDevice(opened, "ort-cpu-1t@ninapro")!;
        Assert.Equal(("ort-cpu-1t@ninapro", Dataset.NinaPro), (verifier.Name, verifier.Dataset));
    }

    [Fact]
    public async Task Train_reads_only_the_interleaved_measurements_of_a_device_profiled_both_ways_unless_asked_to_mix()
    {
        var store = new StoreLocation(_directory.File("both/latnas.db"));
        static double Latency(ModelRequest r) => 1 + r.Architecture.Digits.Count(c => c == '3') + 0.25 * r.Architecture.Digits.Count(c => c == '2');
        // The burst reads 50% high, as a machine's slow spell makes it do: a mixture would teach the predictor that.
        var runner = new KnownTimesRunner(DeviceDescriptorReader.Resolve("ort-cpu-1t"), (r, mode) => mode == MeasurementMode.Burst ? 1.5 * Latency(r) : Latency(r));
        var selection = new ArchitectureSelection(Count: 120, Seed: 3);
        await new ProfileUseCase(runner).RunAsync(new ProfileRequest("ort-cpu-1t", RealStore.Space, selection, store, Session: 1, Mode: MeasurementMode.Burst));
        await new ProfileUseCase(runner).RunAsync(new ProfileRequest("ort-cpu-1t", RealStore.Space, selection, store, Session: 2));

        var unseen = RealStore.Space.SampleDistinct(400, seed: 11).Where(a => !selection.Resolve(RealStore.Space, 0).Contains(a)).Take(20).ToList();
        double[] Predict() => new PredictUseCase().Run(new PredictRequest("ort-cpu-1t", unseen, RealStore.Space, store, PredictorModel.Additive))
            .Predictions.Select(p => p.PredictedMs).ToArray();

        var interleaved = new TrainUseCase().Run(new TrainRequest("ort-cpu-1t", RealStore.Space, store, PredictorModel.Additive, TrainSize: 100));
        Assert.Equal((100, 20, 120), (interleaved.Evaluation.Train, interleaved.Evaluation.Test, interleaved.LeftOut));
        double[] fromInterleaved = Predict();
        Assert.All(unseen.Select((a, i) => (Expected: Latency(new ModelRequest(RealStore.Space, a, Dataset.Cifar10, 1)), Predicted: fromInterleaved[i])),
            p => Assert.Equal(p.Expected, p.Predicted, p.Expected * 0.02));

        var mixed = new TrainUseCase().Run(new TrainRequest("ort-cpu-1t", RealStore.Space, store, PredictorModel.Additive, TrainSize: 100, MixProtocols: true));
        Assert.Equal(0, mixed.LeftOut);
        double[] fromMixture = Predict();
        Assert.All(fromMixture.Zip(fromInterleaved), p => Assert.Equal(1.25, p.First / p.Second, 3)); // the mean of 1.5x and 1x
    }

    [Fact]
    public async Task A_missing_or_empty_store_is_refused_by_what_only_reads_or_serves_it_and_stays_as_it_was()
    {
        string empty = _directory.File("empty.db"), missing = _directory.File("missing.db");
        File.WriteAllBytes(empty, []);
        foreach (string path in new[] { empty, missing })
        {
            var store = new StoreLocation(path);
            var listing = Assert.Throws<ProfileStoreException>(() => new DevicesListUseCase().Run(new DevicesListRequest(store)));
            Assert.StartsWith("No profile store at", listing.Message);
            Assert.Throws<ProfileStoreException>(() => PredictorCatalog.List(store));
            await Assert.ThrowsAsync<ProfileStoreException>(() => new WorkerUseCase(DeviceRunnerFactory.Instance).RunAsync(new WorkerRequest("ort-cpu-1t", store)));
        }
        Assert.Equal(0, new FileInfo(empty).Length);
        Assert.False(File.Exists(missing));
    }

    [Fact]
    public void Cancelling_the_queue_of_a_device_nothing_was_queued_for_nor_measured_is_refused()
    {
        var store = real.Copy(_directory);
        var error = Assert.Throws<InvalidInputException>(() => new QueueCancelUseCase().Run(new QueueCancelRequest("nosuch", store)));
        Assert.Contains("Nothing was ever queued for 'nosuch'", error.Message);
        Assert.Equal(0, new QueueCancelUseCase().Run(new QueueCancelRequest("pixel3", store)).Removed); // a known device with nothing queued
    }

    [Fact]
    public void Train_saves_a_predictor_that_predict_and_predictors_list_then_find()
    {
        var store = real.Copy(_directory);
        var trained = new TrainUseCase().Run(new TrainRequest("eyeriss", RealStore.Space, store, PredictorModel.Additive, TrainSize: 300, Seed: 2));
        Assert.Equal((300, 15_325), (trained.Evaluation.Train, trained.Evaluation.Test));
        Assert.True(trained.Evaluation.Srcc > 0.99);
        Assert.Equal(PredictorCatalog.PathFor(store, "eyeriss", RealStore.Space, PredictorModel.Additive), trained.PredictorPath);

        var architectures = RealStore.Space.SampleDistinct(50, seed: 8);
        var predicted = new PredictUseCase().Run(new PredictRequest("eyeriss", architectures, RealStore.Space, store));
        Assert.Equal(300, predicted.TrainedOn);
        Assert.All(predicted.Predictions, p => Assert.Equal(real.Latency("eyeriss", p.Ops), p.PredictedMs, 0.01)); // eyeriss is additive

        // A damaged file is listed with its problem instead of breaking the listing.
        string damaged = PredictorCatalog.PathFor(store, "fpga", RealStore.Space, PredictorModel.Auto);
        Directory.CreateDirectory(Path.GetDirectoryName(damaged)!);
        File.WriteAllText(damaged, "not a zip");
        var listed = new PredictorsListUseCase().Run(new PredictorsListRequest(store)).Predictors;
        Assert.Equal(["eyeriss", "fpga"], listed.Select(p => p.Device));
        Assert.Equal(300, listed[0].TrainedOn);
        Assert.Contains("corrupt", listed[1].Problem);
        var error = Assert.Throws<InvalidInputException>(() => new PredictUseCase().Run(new PredictRequest("fpga", architectures, RealStore.Space, store)));
        Assert.Contains($"latnas train --device fpga --store {store.Path}", error.Message);

        var missing = Assert.Throws<InvalidInputException>(() => new PredictUseCase().Run(new PredictRequest("raspi4", architectures, RealStore.Space, store)));
        Assert.Contains($"`latnas train --device raspi4 --store {store.Path}`", missing.Message);
    }

    [Fact]
    public void A_prediction_session_answers_each_stream_line_and_keeps_the_callers_id()
    {
        var store = real.Copy(_directory);
        new TrainUseCase().Run(new TrainRequest("eyeriss", RealStore.Space, store, PredictorModel.Additive, TrainSize: 300));
        var session = PredictSession.Open("eyeriss", RealStore.Space, store);
        var batch = session.Predict([RealStore.Space.Parse("203122")])[0];

        Assert.Null(session.PredictLine(1, "   "));
        var tagged = session.PredictLine(2, """{"arch": "#13869", "id": [1, "x"]}""")!;
        Assert.Equal((2, batch, null), (tagged.Line, tagged.Prediction, tagged.Error));
        Assert.Equal("""[1, "x"]""", tagged.Id!.Value.GetRawText());
        var noArch = session.PredictLine(3, """{"id": 9}""")!;
        Assert.Equal((null, 9), (noArch.Prediction, noArch.Id!.Value.GetInt32()));
        Assert.Contains("\"arch\"", noArch.Error);
        Assert.Contains("has 7 digits", session.PredictLine(4, "1234567")!.Error);
    }

    /// <summary>
    /// The README's jobs keep profiles/latnas.db and profiles/tables.db side by side; with one shared
    /// predictors/ folder, training pixel3 in one store replaced the other's pixel3 predictor.
    /// </summary>
    [Fact]
    public void Two_stores_in_one_folder_keep_their_predictors_apart()
    {
        var first = real.Copy(_directory);
        var second = new StoreLocation(Path.Combine(Path.GetDirectoryName(first.Path)!, "tables.db"));
        File.Copy(first.Path, second.Path);

        var inFirst = new TrainUseCase().Run(new TrainRequest("pixel3", RealStore.Space, first, PredictorModel.Additive, TrainSize: 300, Seed: 1));
        var inSecond = new TrainUseCase().Run(new TrainRequest("pixel3", RealStore.Space, second, PredictorModel.Additive, TrainSize: 600, Seed: 2));

        Assert.NotEqual(inFirst.PredictorPath, inSecond.PredictorPath);
        Assert.Equal(300, PredictorCatalog.Load(first, "pixel3", RealStore.Space).Metadata.TrainedOn);
        Assert.Equal(600, PredictorCatalog.Load(second, "pixel3", RealStore.Space).Metadata.TrainedOn);
        Assert.Equal([inFirst.PredictorPath], new PredictorsListUseCase().Run(new PredictorsListRequest(first)).Predictors.Select(p => p.Path));
    }

    /// <summary>
    /// The HELP tables name their NB201 and FBNet columns alike: training raspi4 on one space used to
    /// overwrite its predictor of the other, and a search then predicted FBNet networks with an NB201 model.
    /// </summary>
    [Fact]
    public void A_device_measured_on_two_spaces_keeps_one_predictor_per_space()
    {
        var store = real.Copy(_directory);
        var fbnet = Core.Spaces.Fbnet.FbnetSpace.Instance;
        var rows = SharedData.ReadCsv("fbnet_help_latency_ms.csv").Take(400).ToList();
        string csv = _directory.File("fbnet-raspi4.csv");
        File.WriteAllLines(csv, ["ops,raspi4", .. rows.Select(r => $"{r["ops"]},{r["raspi4"]}")]);
        new ImportUseCase().Run(new ImportRequest(csv, fbnet, Dataset.Cifar10, store, ArchitectureColumn: "ops"));

        var nb201Trained = new TrainUseCase().Run(new TrainRequest("raspi4", RealStore.Space, store, PredictorModel.Additive, TrainSize: 500));
        var fbnetTrained = new TrainUseCase().Run(new TrainRequest("raspi4", fbnet, store, PredictorModel.Additive, TrainSize: 300));
        Assert.NotEqual(nb201Trained.PredictorPath, fbnetTrained.PredictorPath);
        Assert.Equal(["fbnet", "nb201"], new PredictorsListUseCase().Run(new PredictorsListRequest(store)).Predictors.Select(p => p.Space).Order());

        var nb201Arch = RealStore.Space.Parse("203122");
        var nb201Predicted = new PredictUseCase().Run(new PredictRequest("raspi4", [nb201Arch], RealStore.Space, store)).Predictions.Single();
        Assert.Equal(real.Latency("raspi4", "203122"), nb201Predicted.PredictedMs, real.Latency("raspi4", "203122") * 0.25);
        var heldOut = rows.Skip(300).Take(20).ToList();
        var fbnetPredicted = new PredictUseCase().Run(new PredictRequest("raspi4", heldOut.Select(r => fbnet.Parse(r["ops"])).ToList(), fbnet, store)).Predictions;
        Assert.All(fbnetPredicted.Zip(heldOut), p => Assert.Equal(SharedData.Number(p.Second["raspi4"]), p.First.PredictedMs, SharedData.Number(p.Second["raspi4"]) * 0.25));

        // A predictor saved before spaces had folders is still found, for its own space only.
        string legacy = Path.Combine(store.SharedPredictorFolder!, "raspi4", "auto.predictor");
        Directory.CreateDirectory(Path.GetDirectoryName(legacy)!);
        File.Move(nb201Trained.PredictorPath, legacy);
        Assert.Equal(legacy, PredictorCatalog.Find(store, "raspi4", RealStore.Space, model: null));
        Assert.Equal(fbnetTrained.PredictorPath, PredictorCatalog.Find(store, "raspi4", fbnet, model: null));
        var other = Assert.Throws<InvalidInputException>(() => PredictorCatalog.Find(store, "eyeriss", fbnet, model: null));
        Assert.Contains("latnas train --device eyeriss --space fbnet", other.Message);
    }

    [Fact]
    public void Import_reads_the_whole_table_first_and_names_the_bad_cell()
    {
        var store = real.Copy(_directory);
        string csv = _directory.File("t.csv");
        File.WriteAllText(csv, "arch,new_device\n333333,2.5\n111111,0.5\n012340,-3\n");
        var error = Assert.Throws<InvalidInputException>(() => new ImportUseCase().Run(new ImportRequest(csv, RealStore.Space, Dataset.Cifar10, store)));
        Assert.Contains("line 4", error.Message);
        using (var opened = store.OpenExisting())
        {
            Assert.Null(opened.Devices.Find("new_device"));
        }

        File.WriteAllText(csv, "arch,new_device\n333333,2500\n111111,500\n");
        var result = new ImportUseCase().Run(new ImportRequest(csv, RealStore.Space, Dataset.Cifar10, store, Unit: LatencyUnit.Microseconds));
        Assert.Equal(("devices", 2), (result.Imported, Assert.Single(result.Columns).Values));
        using var reopened = store.OpenExisting();
        Assert.Equal(2.5, reopened.Measurements.Latencies(reopened.Devices.Get("new_device"), RealStore.Space)["333333"], 12);
    }

    /// <summary>A header without rows used to import an empty device and exit 0.</summary>
    [Fact]
    public void A_table_with_a_header_and_no_rows_is_refused_and_creates_no_store()
    {
        var store = new StoreLocation(_directory.File("new/latnas.db"));
        string csv = _directory.File("h.csv");
        File.WriteAllText(csv, "arch,d1\n");

        var error = Assert.Throws<InvalidInputException>(() => new ImportUseCase().Run(new ImportRequest(csv, RealStore.Space, Dataset.Cifar10, store, Columns: ["d1"])));

        Assert.Equal($"{csv} has no rows; a table needs a row per architecture below its header.", error.Message);
        Assert.False(Directory.Exists(_directory.File("new")));
    }

    /// <summary>A column with one word among numbers used to be dropped without a word, and the import exited 0.</summary>
    [Fact]
    public void A_bad_cell_among_numbers_refuses_the_import_naming_column_line_and_value_unless_skipped()
    {
        var store = real.Copy(_directory);
        string csv = _directory.File("t.csv");
        File.WriteAllText(csv, "arch,good_device,odd_device\n333333,2.5,1.5\n111111,0.5,n/a\n012340,1.0,inf\n222222,0.7,0.9\n");
        var error = Assert.Throws<InvalidInputException>(() => new ImportUseCase().Run(new ImportRequest(csv, RealStore.Space, Dataset.Cifar10, store)));
        Assert.Contains("line 3, column 'odd_device': 'n/a'", error.Message);
        using (var opened = store.OpenExisting())
        {
            Assert.Null(opened.Devices.Find("good_device")); // nothing of the table was written
        }

        var result = new ImportUseCase().Run(new ImportRequest(csv, RealStore.Space, Dataset.Cifar10, store, SkipBadCells: true));
        Assert.Equal([("good_device", 4), ("odd_device", 2)], result.Columns.Select(c => (c.Name, c.Values)));
        Assert.Equal([("odd_device", 3, "n/a"), ("odd_device", 4, "inf")], result.Skipped.Select(c => (c.Column, c.Line, c.Text)));
    }

    /// <summary>'BAD NAME' and a prefix with a slash used to bypass the name rule; a/small and a_small then shared one predictor file.</summary>
    [Theory]
    [InlineData("", "BAD NAME")]
    [InlineData("a/", "small")]
    public void Every_imported_device_name_obeys_the_device_name_rule(string prefix, string column)
    {
        var store = real.Copy(_directory);
        string csv = _directory.File("n.csv");
        File.WriteAllText(csv, $"arch,{column}\n333333,2.5\n111111,0.5\n");
        var error = Assert.Throws<InvalidInputException>(() => new ImportUseCase().Run(new ImportRequest(csv, RealStore.Space, Dataset.Cifar10, store, Prefix: prefix)));
        Assert.Contains("lower-case letters, digits and . _ : -", error.Message);
        Assert.NotEqual(PredictorCatalog.PathFor(store, "a:small", RealStore.Space, PredictorModel.Auto), PredictorCatalog.PathFor(store, "a_small", RealStore.Space, PredictorModel.Auto));
    }

    [Fact]
    public void Zero_cost_scores_are_computed_on_the_networks_once_and_cached_in_the_store()
    {
        var store = real.Copy(_directory);
        var request = new ZeroCostRequest(RealStore.Space, Dataset.Cifar10, store, Count: 6, Seed: 5, Objective: "cifar10_test_acc");
        var first = new ZeroCostUseCase().Run(request);
        Assert.Equal(["params", "macs", "synflow", "zico"], first.Proxies.Select(p => p.Proxy));
        Assert.All(first.Proxies, p => Assert.InRange(p.Kendall!.Value, -1, 1));
        Assert.All(first.Proxies, p => Assert.InRange(p.MedianScore, p.MinScore, p.MaxScore));
        using (var opened = store.OpenExisting())
        {
            var cached = opened.Objectives.List().Where(o => o.Name.StartsWith("zerocost:", StringComparison.Ordinal)).ToList();
            Assert.Equal(2, cached.Count);
            Assert.All(cached, c => Assert.Equal(6, c.Count));
        }
        var second = new ZeroCostUseCase().Run(request);
        Assert.Equal(first.Proxies.Select(p => p.Kendall), second.Proxies.Select(p => p.Kendall));
    }

    [Fact]
    public void Show_gathers_what_the_store_knows_of_one_architecture_given_by_its_index()
    {
        var store = real.Copy(_directory);
        new TrainUseCase().Run(new TrainRequest("pixel3", RealStore.Space, store, PredictorModel.Additive, TrainSize: 500));
        var result = new ShowUseCase().Run(new ShowRequest(RealStore.Space.Parse("#13869"), RealStore.Space, store));

        Assert.Equal(("203122", 13869, 400_346L), (result.Architecture.Ops, result.Architecture.Index, result.Architecture.Params));
        var objective = Assert.Single(result.Objectives);
        Assert.Equal(("cifar10_test_acc", real.Accuracy["203122"]), (objective.Name, objective.Value));
        foreach (string device in new[] { "pixel3", "raspi4", "eyeriss", "fpga", "gold_6226" })
        {
            var view = result.Devices.Single(d => d.Device == device);
            Assert.Equal(real.Latency(device, "203122"), view.MeasuredMs!.Value, 9);
            Assert.Equal((1, 0), (view.Measurements, view.Failures));
        }
        var pixel3 = result.Devices.Single(d => d.Device == "pixel3");
        Assert.Equal("additive", pixel3.Predictor);
        Assert.Equal(PredictorCatalog.Load(store, "pixel3", RealStore.Space).Predictor.Predict(RealStore.Space.FromDigits("203122")), pixel3.PredictedMs);
        Assert.All(result.Devices.Where(d => d.Device != "pixel3"), d => Assert.Null(d.PredictedMs));
        // "tiny" holds 20 other architectures: the store knows the device but not this architecture on it.
        var tiny = result.Devices.Single(d => d.Device == "tiny");
        Assert.Equal((null, 0), (tiny.MeasuredMs, tiny.Measurements));
    }

    /// <summary>
    /// Profiles, then profiles again with --retry-failed what a machine shared with the other test assemblies
    /// was too busy to measure (the interleaved protocol refuses rather than store a contended latency), as a
    /// user would. Returns the first run and how many architectures all runs measured together.
    /// </summary>
    private static async Task<(ProfileResult First, int Measured)> ProfileUntilMeasuredAsync(ProfileUseCase profile, ProfileRequest request)
    {
        var first = await profile.RunAsync(request);
        var last = first;
        int measured = first.Measured;
        for (int retry = 0; retry < 5 && (last.Failed > 0 || last.Remaining > 0); retry++)
        {
            Assert.All(last.Failures, f => Assert.StartsWith(InterleavedEngine.TooBusy, f.Reason));
            await Task.Delay(TimeSpan.FromSeconds(5)); // the other assemblies' busy spells come and go
            last = await profile.RunAsync(request with { RetryFailed = true });
            measured += last.Measured;
        }
        return (first, measured);
    }
}
