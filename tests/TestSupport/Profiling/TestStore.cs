using System.Data.Common;
using LatencyNas.Profiling.Store;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace LatencyNas.Tests;

/// <summary>
/// A fresh profile store for one test on one backend: an SQLite file in a temporary folder, or a
/// database of its own on the PostgreSQL server that <see cref="ServerVariable"/> names (an Npgsql
/// connection string; <c>.ci/run</c> starts a throwaway server and sets it), dropped when the test ends.
/// Without a server a PostgreSQL test is skipped with the reason — and fails when <c>CI=true</c>.
/// </summary>
public sealed class TestStore : IDisposable
{
    public const string ServerVariable = "LATNAS_TEST_POSTGRES";

    /// <summary>The backends a store test runs on: its name says which.</summary>
    public static TheoryData<string> Backends => new() { "sqlite", "postgres" };

    private readonly TempDirectory? _directory;
    private readonly NpgsqlConnectionStringBuilder? _server;

    private TestStore(string location, TempDirectory? directory, NpgsqlConnectionStringBuilder? server)
    {
        Location = location;
        _directory = directory;
        _server = server;
    }

    /// <summary>The store argument (a file's path, or a <c>postgresql://</c> URL).</summary>
    public string Location { get; }

    /// <summary>The server's connection string to its maintenance database, or null (skips the test, or fails it in CI).</summary>
    public static NpgsqlConnectionStringBuilder Server()
    {
        string? server = Environment.GetEnvironmentVariable(ServerVariable);
        if (string.IsNullOrWhiteSpace(server))
        {
            const string reason = $"no PostgreSQL server: {ServerVariable} is not set (.ci/run starts one and sets it)";
            if (Environment.GetEnvironmentVariable("CI") == "true")
            {
                Assert.Fail(reason + "; with CI=true that is a failure");
            }
            Skip.If(true, reason);
        }
        return new NpgsqlConnectionStringBuilder(server) { Pooling = false };
    }

    /// <param name="backend">sqlite or postgres (<see cref="Backends"/>).</param>
    public static TestStore Create(string backend)
    {
        if (backend == "sqlite")
        {
            var directory = new TempDirectory();
            return new TestStore(directory.File("latnas.db"), directory, null);
        }
        var server = Server();
        string database = $"latnas_test_{Guid.NewGuid():N}";
        Run(server, $"CREATE DATABASE {database}");
        var store = new NpgsqlConnectionStringBuilder(server.ConnectionString) { Database = database };
        string user = string.IsNullOrEmpty(store.Username) ? "" : Uri.EscapeDataString(store.Username) +
            (string.IsNullOrEmpty(store.Password) ? "" : ":" + Uri.EscapeDataString(store.Password)) + "@";
        return new TestStore($"postgresql://{user}{store.Host}:{store.Port}/{database}", null, store);
    }

    public ProfileStore Open(bool createIfMissing = true) => ProfileStore.Open(Location, createIfMissing);

    /// <summary>Runs SQL on the store's database outside the store (to look at or to damage what it wrote), returning the first column of the first row.</summary>
    public object? Scalar(string sql)
    {
        using var connection = Connect();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    public DbConnection Connect()
    {
        DbConnection connection = _server is { } server ? new NpgsqlConnection(server.ConnectionString) : new SqliteConnection($"Data Source={Location};Pooling=False");
        connection.Open();
        return connection;
    }

    public void Dispose()
    {
        _directory?.Dispose();
        if (_server is { } server)
        {
            var maintenance = new NpgsqlConnectionStringBuilder(server.ConnectionString) { Database = Server().Database };
            Run(maintenance, $"DROP DATABASE IF EXISTS {server.Database} WITH (FORCE)");
        }
    }

    private static void Run(NpgsqlConnectionStringBuilder server, string sql)
    {
        using var connection = new NpgsqlConnection(server.ConnectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
