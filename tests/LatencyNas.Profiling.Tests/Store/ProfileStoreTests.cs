using LatencyNas.Tests;
using LatencyNas.Core.Measurements;
using LatencyNas.Core.Spaces;
using LatencyNas.Core.Spaces.Nb201;
using LatencyNas.Profiling.Devices;
using LatencyNas.Profiling.Runners;
using LatencyNas.Profiling.Store;
using LatencyNas.Profiling.Timing;
using Microsoft.Data.Sqlite;

namespace LatencyNas.Profiling.Tests.Store;

public sealed class ProfileStoreTests : IDisposable
{
    private static readonly Nb201Space Space = Nb201Space.Instance;
    private readonly TempDirectory _directory = new();
    private readonly DeviceDescriptor _device = DeviceDescriptorReader.Resolve("ort-cpu-1t");

    public void Dispose() => _directory.Dispose();

    private DeviceFingerprint Fingerprint(int threads = 1) => DeviceFingerprint.ForHost(_device with { Threads = threads }, "1.31.1");

    internal static Measurement FakeMeasurement(double median) => new(
        LatencyStatistics.FromSamples([median * 0.99, median, median * 1.01], target: 0.02, warmupRuns: 4, warmupSettled: true), SessionCreationMs: 12.5);

    /// <summary>An architecture of the space measured at <paramref name="ms"/> (<see cref="FakeMeasurement"/>).</summary>
    private ModelOutcome MeasuredOutcome(string digits, double ms) => ModelOutcome.Measured(_device.RequestFor(Space, Space.Parse(digits)), FakeMeasurement(ms));

    /// <summary>Runs SQL on a closed store's file, outside the store: how the upgrade tests turn a store back into an older one.</summary>
    private static void Downgrade(string path, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    [Fact]
    public void An_sqlite_store_is_a_wal_file_in_a_folder_it_creates()
    {
        string path = _directory.File("nested/profiles.db");
        using (var store = ProfileStore.Open(path))
        {
            store.Devices.EnsureMeasured(_device, Fingerprint(), DeviceKind.Live);
        }
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode;";
        Assert.Equal("wal", (string)command.ExecuteScalar()!);
    }

    [SkippableTheory]
    [MemberData(nameof(TestStore.Backends), MemberType = typeof(TestStore))]
    public void Creates_the_schema_and_reads_a_measurement_back(string backend)
    {
        using var at = TestStore.Create(backend);
        using (var store = at.Open())
        {
            var device = store.Devices.EnsureMeasured(_device, Fingerprint(), DeviceKind.Live);
            var request = _device.RequestFor(Space, Space.Parse("333133"));
            Assert.True(store.Measurements.Record(device, Space, request, session: 1, FakeMeasurement(2.0)));
        }
        using (var reopened = at.Open(createIfMissing: false))
        {
            var device = reopened.Devices.Get("ort-cpu-1t");
            Assert.Equal(Fingerprint().Hash, device.Fingerprint!.Hash);
            var measurement = Assert.Single(reopened.Measurements.Read(device));
            Assert.Equal("333133", measurement.Digits);
            Assert.True(measurement.Ok);
            Assert.Equal(2.0, measurement.MedianMs!.Value, 12);
            Assert.Equal(3, measurement.Runs);
            Assert.Equal(12.5, measurement.SessionMs);
            Assert.True(measurement.PrecisionMet);
            Assert.Equal(2.0, reopened.Measurements.Latencies(device, Space)["333133"], 12);
        }
    }

    [SkippableTheory]
    [MemberData(nameof(TestStore.Backends), MemberType = typeof(TestStore))]
    public void Refuses_to_mix_fingerprints_under_one_device_name(string backend)
    {
        using var at = TestStore.Create(backend);
        using var store = at.Open();
        store.Devices.EnsureMeasured(_device, Fingerprint(threads: 1), DeviceKind.Live);
        var error = Assert.Throws<ProfileStoreException>(() => store.Devices.EnsureMeasured(_device, Fingerprint(threads: 2), DeviceKind.Live));
        Assert.Contains("different fingerprint (threads 1 then, 2 now)", error.Message); // only what differs
        Assert.Contains("--device-name", error.Message);
    }

    [SkippableTheory]
    [MemberData(nameof(TestStore.Backends), MemberType = typeof(TestStore))]
    public void A_success_is_never_overwritten_and_a_failure_is_replaced_by_a_later_success(string backend)
    {
        using var at = TestStore.Create(backend);
        using var store = at.Open();
        var device = store.Devices.EnsureMeasured(_device, Fingerprint(), DeviceKind.Live);
        var first = _device.RequestFor(Space, Space.Parse("111111"));
        var second = _device.RequestFor(Space, Space.Parse("222222"));

        Assert.True(store.Measurements.Record(device, Space, first, 1, FakeMeasurement(1.0)));
        Assert.False(store.Measurements.Record(device, Space, first, 1, FakeMeasurement(9.0)));
        store.Measurements.RecordFailure(device, Space, first, 1, "should not replace a success");

        store.Measurements.RecordFailure(device, Space, second, 1, "timed out");
        Assert.Contains("222222", store.Measurements.Settled(device, Space, 1, includeFailed: true));
        Assert.DoesNotContain("222222", store.Measurements.Settled(device, Space, 1, includeFailed: false));
        Assert.True(store.Measurements.Record(device, Space, second, 1, FakeMeasurement(3.0)));

        var rows = store.Measurements.Read(device);
        Assert.Equal(2, rows.Count);
        Assert.All(rows, r => Assert.True(r.Ok));
        Assert.Equal(1.0, rows.Single(r => r.Digits == "111111").MedianMs!.Value, 12);
        Assert.Null(rows.Single(r => r.Digits == "222222").Failure);
    }

    [SkippableTheory]
    [MemberData(nameof(TestStore.Backends), MemberType = typeof(TestStore))]
    public void Sessions_keep_repeated_profiles_apart_and_latency_averages_them(string backend)
    {
        using var at = TestStore.Create(backend);
        using var store = at.Open();
        var device = store.Devices.EnsureMeasured(_device, Fingerprint(), DeviceKind.Live);
        var request = _device.RequestFor(Space, Space.Parse("012340"));
        store.Measurements.Record(device, Space, request, 1, FakeMeasurement(1.0));
        store.Measurements.Record(device, Space, request, 2, FakeMeasurement(2.0));
        Assert.Equal(2, store.Measurements.Read(device).Count);
        Assert.Equal(1.5, store.Measurements.Latencies(device, Space)["012340"], 12);
    }

    [SkippableTheory]
    [MemberData(nameof(TestStore.Backends), MemberType = typeof(TestStore))]
    public void Stores_architecture_features_for_the_measured_dataset(string backend)
    {
        using var at = TestStore.Create(backend);
        using (var store = at.Open())
        {
            var device = store.Devices.EnsureMeasured(_device, Fingerprint(), DeviceKind.Live);
            store.Measurements.Record(device, Space, _device.RequestFor(Space, Space.Parse("333333")), 1, FakeMeasurement(5));
        }
        using var connection = at.Connect();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT f.params, f.macs, a.arch FROM architecture_features f JOIN architectures a ON a.id = f.architecture_id WHERE a.digits = '333333'";
        using var reader = command.ExecuteReader();
        Assert.True(reader.Read());
        Assert.Equal(1_531_546, reader.GetInt64(0));
        Assert.Equal(220_119_680, reader.GetInt64(1));
        Assert.StartsWith("|nor_conv_3x3~0|", reader.GetString(2));
    }

    [Fact]
    public void Rejects_files_that_are_not_profile_stores()
    {
        string garbage = _directory.File("garbage.db");
        File.WriteAllBytes(garbage, Enumerable.Range(0, 4096).Select(i => (byte)(i * 7)).ToArray());
        Assert.Throws<ProfileStoreException>(() => ProfileStore.Open(garbage));

        string other = _directory.File("other.db");
        using (var connection = new SqliteConnection($"Data Source={other};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE invoices (id INTEGER)";
            command.ExecuteNonQuery();
        }
        var error = Assert.Throws<ProfileStoreException>(() => ProfileStore.Open(other));
        Assert.Contains("not a LatencyNas profile store", error.Message);

        Assert.Throws<ProfileStoreException>(() => ProfileStore.Open(_directory.File("missing.db"), createIfMissing: false));
    }

    [Fact]
    public void A_schema_2_store_is_upgraded_in_place_and_keeps_its_measurements()
    {
        string path = _directory.File("old.db");
        using (var store = ProfileStore.Open(path))
        {
            var device = store.Devices.EnsureMeasured(_device, Fingerprint(), DeviceKind.Live);
            store.Measurements.Record(device, Space, _device.RequestFor(Space, Space.Parse("111111")), 1, FakeMeasurement(1.5));
        }
        // Back to what version 2 wrote: no warm-up flag, no protocol columns, no visits table.
        Downgrade(path, """
            ALTER TABLE measurements DROP COLUMN warmup_settled;
            ALTER TABLE measurements DROP COLUMN latency_ms;
            ALTER TABLE measurements DROP COLUMN protocol;
            ALTER TABLE measurements DROP COLUMN estimator;
            ALTER TABLE measurements DROP COLUMN visits;
            ALTER TABLE measurements DROP COLUMN contended_visits;
            ALTER TABLE measurements DROP COLUMN other_busy;
            DROP TABLE visits;
            DROP TABLE store_info;
            PRAGMA user_version = 2;
            """);
        using var upgraded = ProfileStore.Open(path);
        var kept = Assert.Single(upgraded.Measurements.Read(upgraded.Devices.Get("ort-cpu-1t")));
        Assert.Equal(1.5, kept.MedianMs!.Value, 12);
        Assert.Null(kept.WarmupSettled);
        // An old measurement was a burst: its estimate is the burst's median.
        Assert.Equal(1.5, kept.LatencyMs!.Value, 12);
        Assert.Equal("burst", kept.Protocol);
        Assert.Equal("median-of-runs", kept.Estimator);
        upgraded.Measurements.Record(upgraded.Devices.Get("ort-cpu-1t"), Space, _device.RequestFor(Space, Space.Parse("222222")), 1, FakeMeasurement(2));
        Assert.True(upgraded.Measurements.Read(upgraded.Devices.Get("ort-cpu-1t")).Single(m => m.Digits == "222222").WarmupSettled);
        Assert.Matches("^[0-9a-f]{32}$", upgraded.Id);
    }

    [Fact]
    public void A_schema_6_store_gets_the_schema_7_columns_and_keeps_its_visits()
    {
        string path = _directory.File("six.db");
        Visit[] visits = [new(1, 1.10, 2, OtherBusy: 0.9, Steal: 0), new(2, 1.00, 2, OtherBusy: 0.1, Steal: 0), new(3, 1.05, 2), new(4, 1.02, 2)];
        using (var store = ProfileStore.Open(path))
        {
            var device = store.Devices.EnsureMeasured(_device, Fingerprint(), DeviceKind.Live);
            var statistics = LatencyStatistics.FromVisits(visits, visits, [1.0, 1.1], target: 0.1, warmupRuns: 3, contendedVisits: 0, minimumForPrecision: 2, estimator: LatencyStatistics.FastestVisit);
            store.Measurements.Record(device, Space, _device.RequestFor(Space, Space.Parse("111111")), 1, new Measurement(statistics, 10, Visits: visits));
        }
        Downgrade(path, """
            ALTER TABLE visits DROP COLUMN waiting;
            ALTER TABLE measurements DROP COLUMN raw_latency_ms;
            ALTER TABLE measurements DROP COLUMN drift;
            DROP TABLE reference_latencies;
            PRAGMA user_version = 6;
            """);
        using var upgraded = ProfileStore.Open(path);
        var device6 = upgraded.Devices.Get("ort-cpu-1t");
        var kept = upgraded.Measurements.ReadVisits(device6).Select(v => v.Visit).ToList();
        Assert.Equal(visits.Select(v => (v.Round, v.LatencyMs, v.OtherBusy)), kept.Select(v => (v.Round, v.LatencyMs, v.OtherBusy)));
        Assert.All(kept, v => Assert.Null(v.Waiting));
        Assert.Null(Assert.Single(upgraded.Measurements.Read(device6)).Drift);
        Assert.Empty(upgraded.Measurements.References(device6, Space));

        Visit[] measuredNow = [new(1, 2.0, 2, 0.5, 0, Waiting: 0.25), new(2, 2.1, 2, 0.5, 0, Waiting: 0.01), new(3, 2.0, 2, Waiting: 0), new(4, 2.2, 2, Waiting: 0)];
        var now = LatencyStatistics.FromVisits(measuredNow, measuredNow, [2.0], target: 0.1, warmupRuns: 3, contendedVisits: 1, minimumForPrecision: 2, estimator: LatencyStatistics.FastestVisit);
        upgraded.Measurements.Record(device6, Space, _device.RequestFor(Space, Space.Parse("222222")), 1, new Measurement(now, 10, Visits: measuredNow));
        var read = upgraded.Measurements.ReadVisits(device6).Where(v => v.Digits == "222222").Select(v => v.Visit.Waiting).ToList();
        Assert.Equal([0.25, 0.01, 0.0, 0.0], read);
    }

    [Fact]
    public void Visits_keep_the_instance_they_ran_on_and_a_schema_9_stores_visits_read_as_one_instance()
    {
        string path = _directory.File("nine.db");
        Visit[] single = [new(1, 1.10, 1), new(2, 1.00, 1), new(3, 1.05, 1), new(4, 1.02, 1)];
        using (var store = ProfileStore.Open(path))
        {
            var device = store.Devices.EnsureMeasured(_device, Fingerprint(), DeviceKind.Live);
            var statistics = LatencyStatistics.FromVisits(single, single, [1.0], target: 0.1, warmupRuns: 3, contendedVisits: 0, minimumForPrecision: 2, estimator: LatencyStatistics.FastestColdVisit);
            store.Measurements.Record(device, Space, _device.RequestFor(Space, Space.Parse("111111")), 1, new Measurement(statistics, 10, Visits: single));
        }
        Downgrade(path, """
            ALTER TABLE visits DROP COLUMN instance;
            ALTER TABLE measurements DROP COLUMN batch_id;
            DROP TABLE batch_references;
            PRAGMA user_version = 9;
            """);
        using var upgraded = ProfileStore.Open(path);
        var device9 = upgraded.Devices.Get("ort-cpu-1t");
        Assert.All(upgraded.Measurements.ReadVisits(device9), v => Assert.Equal(0, v.Visit.Instance));
        Assert.Null(Assert.Single(upgraded.Measurements.Read(device9)).BatchId); // schema 11's columns and table are added, empty
        upgraded.Measurements.RecordBatch(device9, Space, 2, [MeasuredOutcome("111111", 1.0)], new Dictionary<string, double> { ["000001"] = 0.5 });
        Assert.Equal(0.5, upgraded.Measurements.BatchReferences(upgraded.Measurements.Read(device9).Single(m => m.Session == 2).BatchId!)["000001"]);

        // Instance 0 runs at 2.0 ms, 1 at 2.1, 2 at 2.2 (and a little slower each round): the median of their fastest is 2.1 ms and a bit.
        Visit[] inTurn = [.. Enumerable.Range(1, 6).Select(round => new Visit(round, 2.0 + (round - 1) % 3 * 0.1 + round * 0.001, 1, Instance: (round - 1) % 3))];
        var estimator = LatencyStatistics.OfInstances(3, LatencyStatistics.FastestColdVisit);
        var now = LatencyStatistics.FromVisits(inTurn, inTurn, [2.0], target: 0.1, warmupRuns: 3, contendedVisits: 0, minimumForPrecision: 2, estimator);
        Assert.Equal(2.102, now.LatencyMs, 9);
        upgraded.Measurements.Record(device9, Space, _device.RequestFor(Space, Space.Parse("222222")), 1, new Measurement(now, 10, Visits: inTurn));
        var read = upgraded.Measurements.ReadVisits(device9).Where(v => v.Digits == "222222").Select(v => v.Visit).ToList();
        Assert.Equal(inTurn, read);
        Assert.Equal(now.LatencyMs, LatencyStatistics.FastestOfInstances(read)); // the estimate is recomputed from what the store holds
        var stored = Assert.Single(upgraded.Measurements.Read(device9), m => m.Digits == "222222");
        Assert.Equal(3, LatencyStatistics.InstancesOf(stored.Estimator!));
    }

    [SkippableTheory]
    [MemberData(nameof(TestStore.Backends), MemberType = typeof(TestStore))]
    public void A_batch_with_references_sets_the_devices_reference_once_and_later_batches_are_divided_by_their_drift(string backend)
    {
        using var at = TestStore.Create(backend);
        using var store = at.Open();
        var device = store.Devices.EnsureMeasured(_device, Fingerprint(), DeviceKind.Live);

        // The first batch: nothing to compare with, so no correction; its references become the device's.
        var first = store.Measurements.RecordBatch(device, Space, 1, [MeasuredOutcome("111111", 1.0)], new Dictionary<string, double> { ["000001"] = 0.5, ["000002"] = 2.0 });
        Assert.Null(first.Drift);
        Assert.True(first.StoredTheReference);
        Assert.Equal(new Dictionary<string, double> { ["000001"] = 0.5, ["000002"] = 2.0 }, store.Measurements.References(device, Space));

        // A later batch on a machine 20% slower; a third reference, new, is stored on the reference's scale.
        var second = store.Measurements.RecordBatch(device, Space, 1, [MeasuredOutcome("222222", 2.4), ModelOutcome.Failed(_device.RequestFor(Space, Space.Parse("333333")), "broken")],
            new Dictionary<string, double> { ["000001"] = 0.6, ["000002"] = 2.4, ["000003"] = 1.2 });
        Assert.False(second.StoredTheReference);
        Assert.Equal(1.2, second.Drift!.Factor, 12);
        Assert.Equal(0, second.Drift.Spread, 12);
        Assert.Equal(1.0, store.Measurements.References(device, Space)["000003"], 12);
        Assert.Equal(0.5, store.Measurements.References(device, Space)["000001"], 12); // kept, not overwritten

        var stored = store.Measurements.Read(device).ToDictionary(m => m.Digits);
        Assert.Equal(2.0, stored["222222"].LatencyMs!.Value, 12);
        Assert.Equal(2.4, stored["222222"].RawLatencyMs!.Value, 12);
        Assert.Equal(1.2, stored["222222"].Drift!.Value, 12);
        Assert.Equal(0, stored["222222"].ReferenceSpread!.Value, 12);
        Assert.Equal(2.4, stored["222222"].MedianMs!.Value, 12); // the runs stay as measured
        Assert.Null(stored["111111"].Drift);
        Assert.Null(stored["111111"].ReferenceSpread);
        Assert.True(FakeMeasurement(1.0).Statistics.PrecisionMet);
        Assert.False(stored["111111"].PrecisionMet); // its batch stored the reference: nothing checked its scale
        Assert.True(stored["222222"].PrecisionMet);  // checked: its references agreed
        Assert.Equal(1.0, stored["111111"].RawLatencyMs!.Value, 12);
        Assert.False(stored["333333"].Ok);
        Assert.DoesNotContain("000001", stored.Keys); // references are not measurements of the profile

        // References slowed unevenly (1.1× and 1.3×): the batch is corrected by their median, and its precise measurement no longer claims 10%.
        var runs = Enumerable.Range(0, 40).Select(i => 3.0 + 0.001 * (i % 5)).ToList();
        var precise = new Measurement(LatencyStatistics.FromSamples(runs, target: 0.1, warmupRuns: 0, warmupSettled: true), 5.0);
        Assert.True(precise.Statistics.PrecisionMet);
        var uneven = store.Measurements.RecordBatch(device, Space, 1, [ModelOutcome.Measured(_device.RequestFor(Space, Space.Parse("123123")), precise)],
            new Dictionary<string, double> { ["000001"] = 0.55, ["000002"] = 2.6 }, precision: 0.1);
        Assert.Equal(1.3 / 1.1 - 1, uneven.Drift!.Spread, 12);
        var unevenRow = store.Measurements.Read(device).Single(m => m.Digits == "123123");
        Assert.Equal(3.002 / 1.2, unevenRow.LatencyMs!.Value, 3);
        Assert.False(unevenRow.PrecisionMet);
        Assert.Equal(1.3 / 1.1 - 1, unevenRow.ReferenceSpread!.Value, 12); // why the claim was withdrawn, kept for an audit

        // Each batch's measurements share its id, and what it measured for the references gives its factor and spread again.
        var rows = store.Measurements.Read(device).ToDictionary(m => m.Digits);
        Assert.Equal(rows["222222"].BatchId, rows["333333"].BatchId); // the failure too
        Assert.Equal(3, new[] { rows["111111"].BatchId, rows["222222"].BatchId, rows["123123"].BatchId }.Distinct().Count());
        Assert.Equal(new Dictionary<string, double> { ["000001"] = 0.6, ["000002"] = 2.4, ["000003"] = 1.2 }, store.Measurements.BatchReferences(rows["222222"].BatchId!));
        var audit = ReferenceDrift.Of(store.Measurements.References(device, Space), store.Measurements.BatchReferences(rows["123123"].BatchId!))!;
        Assert.Equal((unevenRow.Drift!.Value, unevenRow.ReferenceSpread!.Value), (audit.Factor, audit.Spread));
        Assert.Empty(store.Measurements.BatchReferences("no such batch"));
    }

    [SkippableTheory]
    [MemberData(nameof(TestStore.Backends), MemberType = typeof(TestStore))]
    public void A_reference_measured_faster_by_a_later_batch_is_lowered_and_the_batches_are_corrected_again_together(string backend)
    {
        using var at = TestStore.Create(backend);
        using var store = at.Open();
        var device = store.Devices.EnsureMeasured(_device, Fingerprint(), DeviceKind.Live);
        ModelRequest Request(string digits) => _device.RequestFor(Space, Space.Parse(digits));

        // The first batch ran in a slow spell that slowed its second reference by 1.5× and its own network by 1.2×.
        var slow = new Dictionary<string, double> { ["000001"] = 0.5, ["000002"] = 3.0 };
        var fast = new Dictionary<string, double> { ["000001"] = 0.5, ["000002"] = 2.0 };
        store.Measurements.RecordBatch(device, Space, 1, [MeasuredOutcome("111111", 1.2)], slow, precision: 0.1);
        var second = store.Measurements.RecordBatch(device, Space, 1, [MeasuredOutcome("222222", 2.0), MeasuredOutcome("333333", 4.0)], fast, precision: 0.1);
        Assert.Equal(0.5, second.Drift!.Spread, 9); // against the slow reference the two disagree by 1.5×
        Assert.False(store.Measurements.Read(device).Single(m => m.Digits == "222222").PrecisionMet);
        ReferenceBatch[] batches =
        [
            new([Request("111111")], new HashSet<string> { "111111" }, slow, StoredTheReference: true),
            new([Request("222222"), Request("333333")], new HashSet<string> { "222222", "333333" }, fast, StoredTheReference: false),
        ];

        var rebased = store.Measurements.Rebase(device, Space, 1, batches, precision: 0.1);

        Assert.NotNull(rebased);
        Assert.Equal(fast, store.Measurements.References(device, Space));
        var rows = store.Measurements.Read(device).ToDictionary(m => m.Digits);
        Assert.Equal(1.25, rows["111111"].Drift!.Value, 12); // the median of 1 and 1.5
        Assert.Equal(1.2 / 1.25, rows["111111"].LatencyMs!.Value, 12);
        Assert.Equal(1.2, rows["111111"].RawLatencyMs!.Value, 12);
        Assert.False(rows["111111"].PrecisionMet); // still the batch that stored the reference
        Assert.Equal(1.0, rows["222222"].Drift!.Value, 12);
        Assert.Equal(0, rows["222222"].ReferenceSpread!.Value, 12);
        Assert.Equal(2.0, rows["222222"].LatencyMs!.Value, 12);
        Assert.True(rows["222222"].PrecisionMet); // its references agree with the lowered reference: the claim is back
        Assert.Equal(["222222", "333333"], rebased[1].Precise.Order());
        Assert.Equal(1.2 / 1.25, rebased[0].LatenciesMs["111111"], 12);
        // The store keeps what each batch measured for the references: every factor, lowered or not, can be recomputed from it.
        Assert.Equal(slow, store.Measurements.BatchReferences(rows["111111"].BatchId!));
        foreach (var row in rows.Values)
        {
            var recomputed = ReferenceDrift.Of(store.Measurements.References(device, Space), store.Measurements.BatchReferences(row.BatchId!))!;
            Assert.Equal(row.Drift!.Value, recomputed.Factor, 12);
            Assert.Equal(row.RawLatencyMs!.Value / recomputed.Factor, row.LatencyMs!.Value, 12);
        }

        // Nothing faster measured: nothing written.
        Assert.Null(store.Measurements.Rebase(device, Space, 1, batches, precision: 0.1));
    }

    [Fact]
    public void A_store_keeps_its_identity_when_copied_and_a_store_created_anew_has_another()
    {
        string path = _directory.File("a.db");
        string first;
        using (var store = ProfileStore.Open(path))
        {
            first = store.Id;
        }
        SqliteConnection.ClearAllPools();
        File.Copy(path, _directory.File("copy.db"));
        using (var copy = ProfileStore.Open(_directory.File("copy.db")))
        using (var reopened = ProfileStore.Open(path))
        {
            Assert.Equal(first, copy.Id);
            Assert.Equal(first, reopened.Id);
        }
        SqliteConnection.ClearAllPools();
        File.Delete(path);

        using var recreated = ProfileStore.Open(path);

        Assert.NotEqual(first, recreated.Id);
    }

    [SkippableTheory]
    [MemberData(nameof(TestStore.Backends), MemberType = typeof(TestStore))]
    public void Unknown_device_lists_the_known_ones(string backend)
    {
        using var at = TestStore.Create(backend);
        using var store = at.Open();
        store.Devices.EnsureMeasured(_device, Fingerprint(), DeviceKind.Live);
        var error = Assert.Throws<ProfileStoreException>(() => store.Devices.Get("pixel9"));
        Assert.Contains("ort-cpu-1t", error.Message);
    }

    [SkippableTheory]
    [MemberData(nameof(TestStore.Backends), MemberType = typeof(TestStore))]
    public void The_data_version_changes_when_another_connection_commits_and_only_then(string backend)
    {
        using var at = TestStore.Create(backend);
        using var watcher = at.Open();
        using var writer = at.Open();
        var device = writer.Devices.EnsureMeasured(_device, Fingerprint(), DeviceKind.Live);
        long? before = watcher.DataVersion();
        if (backend == "postgres")
        {
            Assert.Null(before); // cannot tell: a caller reads again
            return;
        }
        Assert.NotNull(before);
        watcher.Devices.List(); // reading changes nothing
        Assert.Equal(before, watcher.DataVersion());

        Assert.True(writer.Measurements.Record(device, Space, _device.RequestFor(Space, Space.Parse("333133")), session: 1, FakeMeasurement(2.0)));
        long? after = watcher.DataVersion();
        Assert.NotEqual(before, after);
        Assert.Equal(after, watcher.DataVersion());
    }
}
