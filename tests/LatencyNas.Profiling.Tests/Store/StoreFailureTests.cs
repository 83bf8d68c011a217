using LatencyNas.Core;
using LatencyNas.Core.Spaces;
using LatencyNas.Core.Spaces.Nb201;
using LatencyNas.Core.Tables;
using LatencyNas.Profiling.Store;
using LatencyNas.Tests;
using Microsoft.Data.Sqlite;

namespace LatencyNas.Profiling.Tests.Store;

/// <summary>
/// Every way a store can fail reaches the caller as bad input (not a store, newer, cannot be created:
/// exit 2) or as a failed run (disk full, I/O error, locked: exit 1), in one line that says what to do.
/// Real files and, when the tests run as root, real tiny or read-only file systems (tmpfs).
/// </summary>
public sealed class StoreFailureTests : IDisposable
{
    private static readonly Nb201Space Space = Nb201Space.Instance;
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void A_file_that_is_not_sqlite_is_bad_input()
    {
        string path = _directory.File("notes.db");
        File.WriteAllText(path, "these are my notes, not a database; " + new string('x', 5000));
        var error = Assert.Throws<ProfileStoreException>(() => ProfileStore.Open(path));
        Assert.Contains("not a LatencyNas profile store", error.Message);
        Assert.DoesNotContain("\n", error.Message);
    }

    [Fact]
    public void A_damaged_store_is_bad_input_when_its_pages_are_read()
    {
        string path = _directory.File("damaged.db");
        using (var store = ProfileStore.Open(path))
        {
            store.Import.Devices(ArchitectureTable.Read(SharedData.File("nb201_help_latency_ms.csv"), Space,
                new ArchitectureTableOptions { Columns = ["pixel3", "raspi4"] }), Space, Dataset.Cifar10);
        }
        // Overwrite the last third of the file with garbage: the import writes the measurements last, so their
        // B-tree pages are there (the middle third holds the architectures' analytic features, which reading
        // latencies does not touch).
        using (var file = new FileStream(path, FileMode.Open, FileAccess.Write))
        {
            file.Position = file.Length - file.Length / 3;
            file.Write(Enumerable.Range(0, (int)(file.Length / 3)).Select(i => (byte)(i * 31 + 7)).ToArray());
        }
        var error = Assert.ThrowsAny<InvalidInputException>(() =>
        {
            using var store = ProfileStore.Open(path);
            foreach (var device in store.Devices.List())
            {
                store.Measurements.Latencies(device.Device, Space);
            }
        });
        Assert.IsType<ProfileStoreException>(error);
        Assert.Contains("damaged", error.Message);
    }

    [Fact]
    public void A_store_from_a_newer_latencynas_is_bad_input()
    {
        string path = _directory.File("newer.db");
        ProfileStore.Open(path).Dispose();
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA user_version = 99;";
            command.ExecuteNonQuery();
        }
        var error = Assert.Throws<ProfileStoreException>(() => ProfileStore.Open(path));
        Assert.Contains("newer LatencyNas", error.Message);
    }

    [Fact]
    public void A_folder_given_as_the_store_is_bad_input()
        => Assert.Contains("is a folder", Assert.Throws<ProfileStoreException>(() => ProfileStore.Open(_directory.Path)).Message);

    [SkippableFact]
    public void A_store_in_a_read_only_folder_is_bad_input_and_creates_nothing()
    {
        using var mount = ReadOnlyFolder();
        string path = Path.Combine(mount.Path, "sub", "latnas.db");
        var error = Assert.Throws<ProfileStoreException>(() => ProfileStore.Open(path));
        Assert.Contains("--store", error.Message);
        Assert.False(Directory.Exists(Path.Combine(mount.Path, "sub")));
        var direct = Assert.Throws<ProfileStoreException>(() => ProfileStore.Open(Path.Combine(mount.Path, "latnas.db")));
        Assert.Contains("--store", direct.Message);
    }

    [SkippableFact]
    public void A_full_disk_fails_the_run_keeps_what_was_committed_and_says_what_to_do()
    {
        using var mount = TinyFileSystem(kilobytes: 384);
        string path = Path.Combine(mount.Path, "latnas.db");
        var help = ArchitectureTable.Read(SharedData.File("nb201_help_latency_ms.csv"), Space);
        string small = _directory.File("small.csv");
        File.WriteAllText(small, "arch,first\n333333,2.5\n111111,0.5\n");
        using (var store = ProfileStore.Open(path))
        {
            store.Import.Devices(ArchitectureTable.Read(small, Space), Space, Dataset.Cifar10);
            var error = Assert.Throws<ProfileStoreFailedException>(() => store.Import.Devices(help, Space, Dataset.Cifar10));
            Assert.IsAssignableFrom<RunFailedException>(error);
            Assert.False(error.IsTransient);
            Assert.Contains("full", error.Message);
            Assert.DoesNotContain("\n", error.Message);
        }
        using var reopened = ProfileStore.Open(path, createIfMissing: false);
        Assert.Equal("first", Assert.Single(reopened.Devices.List()).Device.Name);
        Assert.Equal(2.5, reopened.Measurements.Latencies(reopened.Devices.Get("first"), Space)["333333"]);
    }

    [Theory]
    [InlineData(5, typeof(ProfileStoreFailedException), true, "locked by another process")]     // SQLITE_BUSY
    [InlineData(6, typeof(ProfileStoreFailedException), true, "locked by another process")]     // SQLITE_LOCKED
    [InlineData(13, typeof(ProfileStoreFailedException), false, "full")]                         // SQLITE_FULL
    [InlineData(522, typeof(ProfileStoreFailedException), false, "I/O error")]                   // SQLITE_IOERR_SHORT_READ
    [InlineData(8, typeof(ProfileStoreException), false, "read-only")]                           // SQLITE_READONLY
    [InlineData(14, typeof(ProfileStoreException), false, "Cannot open")]                        // SQLITE_CANTOPEN
    [InlineData(26, typeof(ProfileStoreException), false, "not a LatencyNas profile store")]     // SQLITE_NOTADB
    [InlineData(11, typeof(ProfileStoreException), false, "damaged")]                            // SQLITE_CORRUPT
    public void Sqlite_result_codes_are_classified_as_bad_input_or_a_failed_run(int code, Type expected, bool transient, string says)
    {
        var error = StoreErrors.Classify(new SqliteException("SQLite Error " + code + ": something happened.", code), "/data/latnas.db");
        Assert.IsType(expected, error);
        Assert.Equal(transient, error.IsTransient);
        Assert.Contains(says, error.Message);
        Assert.Contains("/data/latnas.db", error.Message);
    }

    /// <summary>A tmpfs of the given size mounted on a fresh folder (needs root; the test is skipped otherwise).</summary>
    private TmpfsMount TinyFileSystem(int kilobytes) => TmpfsMount.Tiny(_directory.File("tmpfs"), kilobytes);

    private TmpfsMount ReadOnlyFolder() => TmpfsMount.ReadOnly(_directory.File("readonly"));
}
