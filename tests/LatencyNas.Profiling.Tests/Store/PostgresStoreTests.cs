using System.Net;
using System.Net.Sockets;
using LatencyNas.Core.Spaces.Nb201;
using LatencyNas.Profiling.Devices;
using LatencyNas.Profiling.Store;
using LatencyNas.Tests;
using Npgsql;

namespace LatencyNas.Profiling.Tests.Store;

/// <summary>What is particular to a store on a PostgreSQL server: its address, its login, its migration and its claims.</summary>
public sealed class PostgresStoreTests
{
    private static readonly Nb201Space Space = Nb201Space.Instance;
    private readonly DeviceDescriptor _device = DeviceDescriptorReader.Resolve("ort-cpu-1t");

    [Theory]
    [InlineData("postgresql://lab:s3cret@db.example:6543/profiles", "postgresql://lab@db.example:6543/profiles", true)]
    [InlineData("postgres://lab:s3cret@db.example/profiles?sslmode=require", "postgresql://lab@db.example:5432/profiles", true)]
    [InlineData("Host=db.example;Port=6543;Username=lab;Password=s3cret;Database=profiles", "postgresql://lab@db.example:6543/profiles", true)]
    [InlineData("profiles/latnas.db", "profiles/latnas.db", false)]
    public void A_store_is_shown_without_its_password(string location, string shown, bool server)
    {
        Assert.Equal(shown, ProfileStore.Shown(location));
        Assert.Equal(server, ProfileStore.IsServer(location));
    }

    [Theory]
    [InlineData("postgresql://lab@db.example:6543/", "names no database")]
    [InlineData("postgresql://lab@db.example/profiles?color=blue", "parameter 'color'")]
    [InlineData("Host=db.example;Colour=blue;Database=profiles", "not a valid PostgreSQL connection string")]
    public void A_malformed_server_address_is_bad_input(string location, string says)
    {
        var error = Assert.Throws<ProfileStoreException>(() => ProfileStore.Open(location));
        Assert.Contains(says, error.Message);
    }

    [Fact]
    public void An_unreachable_server_fails_the_run_after_the_retries_and_says_so()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var error = Assert.Throws<ProfileStoreFailedException>(() => ProfileStore.Open($"postgresql://lab:s3cret@127.0.0.1:{port}/profiles"));

        Assert.True(error.IsTransient);
        Assert.Contains("Cannot reach the PostgreSQL server", error.Message);
        Assert.DoesNotContain("s3cret", error.Message);
    }

    [SkippableFact]
    public void Postgres_refuses_an_unknown_user_and_a_missing_database_as_bad_input()
    {
        var server = TestStore.Server();
        string address = $"{server.Host}:{server.Port}";

        var login = Assert.Throws<ProfileStoreException>(() => ProfileStore.Open($"postgresql://nobody_here:s3cret@{address}/postgres"));
        Assert.Contains("refused the login", login.Message);
        Assert.DoesNotContain("s3cret", login.Message);

        var user = string.IsNullOrEmpty(server.Username) ? "" : server.Username + "@";
        var database = Assert.Throws<ProfileStoreException>(() => ProfileStore.Open($"postgresql://{user}{address}/no_such_database"));
        Assert.Contains("no database 'no_such_database'", database.Message);
    }

    [SkippableFact]
    public void Postgres_an_empty_database_is_no_store_until_one_is_created_and_other_tables_are_refused()
    {
        using var at = TestStore.Create("postgres");
        Assert.Contains("No profile store", Assert.Throws<ProfileStoreException>(() => at.Open(createIfMissing: false)).Message);
        Assert.Equal(0L, Convert.ToInt64(at.Scalar("SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()")));

        at.Scalar("CREATE TABLE invoices (id integer)");
        var error = Assert.Throws<ProfileStoreException>(() => at.Open());
        Assert.Contains("is a PostgreSQL database but not a LatencyNas profile store", error.Message);
    }

    [SkippableFact]
    public void Postgres_a_store_of_a_newer_schema_is_refused()
    {
        using var at = TestStore.Create("postgres");
        using (at.Open())
        {
        }
        Assert.Equal(StoreSchema.Version.ToString(), at.Scalar("SELECT value FROM store_info WHERE key = 'schema_version'"));
        at.Scalar("UPDATE store_info SET value = '99' WHERE key = 'schema_version'");

        var error = Assert.Throws<ProfileStoreException>(() => at.Open());

        Assert.Contains("newer LatencyNas (schema 99", error.Message);
    }

    [SkippableFact]
    public void Postgres_many_processes_opening_a_new_database_at_once_migrate_it_once()
    {
        using var at = TestStore.Create("postgres");
        const int openers = 6;
        using var start = new Barrier(openers);
        var ids = new string[openers];
        var threads = Enumerable.Range(0, openers).Select(i => new Thread(() =>
        {
            start.SignalAndWait();
            using var store = at.Open();
            ids[i] = store.Id;
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        Assert.Single(ids.Distinct());
        Assert.Equal(1L, Convert.ToInt64(at.Scalar("SELECT count(*) FROM store_info WHERE key = 'id'")));
    }

    [SkippableFact]
    public void Postgres_two_profiles_claiming_the_same_architectures_share_them_and_a_lapsed_claim_is_taken_over()
    {
        using var at = TestStore.Create("postgres");
        using var first = at.Open();
        using var second = at.Open();
        var device = first.Devices.EnsureMeasured(_device, DeviceFingerprint.ForHost(_device, "1.31.1"), DeviceKind.Live);
        string[] digits = ["000001", "000002", "000003", "000004"];
        // Owners of another machine: their processes cannot be seen, so only the lease decides.
        string a = "lab-a:1:x", b = "lab-b:1:y";

        var claimedByA = first.Claims.Claim(device, Space, 1, a, digits[..3], TimeSpan.FromMinutes(5), includeFailed: true);
        var claimedByB = second.Claims.Claim(device, Space, 1, b, digits, TimeSpan.FromMinutes(5), includeFailed: true);

        Assert.Equal(digits[..3], claimedByA);
        Assert.Equal(["000004"], claimedByB);

        first.Claims.Claim(device, Space, 1, "lab-c:1:z", ["000005"], TimeSpan.FromSeconds(-1), includeFailed: true);
        Assert.Equal(["000005"], second.Claims.Claim(device, Space, 1, b, ["000005"], TimeSpan.FromMinutes(5), includeFailed: true));
    }
}
