using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace LatencyNas.Tests;

/// <summary>
/// A PostgreSQL server of a test's own, for the tests that stop and start it: a throwaway cluster from
/// Debian's package in a temporary folder, on a free loopback port, run as the postgres user when the
/// tests run as root (initdb refuses root). Skipped with the reason when there is no package (a failure when <c>CI=true</c>).
/// </summary>
public sealed class PostgresCluster : IDisposable
{
    private readonly string _bin;
    private readonly string _folder;

    private PostgresCluster(string bin, string folder, int port)
    {
        _bin = bin;
        _folder = folder;
        Port = port;
    }

    public int Port { get; }

    /// <summary>An Npgsql connection string to a database of the server.</summary>
    public string ConnectionString(string database = "postgres") => $"Host=127.0.0.1;Port={Port};Username=latnas;Database={database};Pooling=false";

    public static PostgresCluster Start()
    {
        string? bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "initdb"))).Order().LastOrDefault()
            : null;
        if (bin is null)
        {
            const string reason = "no PostgreSQL server binaries under /usr/lib/postgresql (.ci/run installs Debian's postgresql package)";
            if (Environment.GetEnvironmentVariable("CI") == "true")
            {
                Assert.Fail(reason + "; with CI=true that is a failure");
            }
            Skip.If(true, reason);
        }
        string folder = Directory.CreateTempSubdirectory("latnas-pg-").FullName;
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var cluster = new PostgresCluster(bin!, folder, port);
        if (Environment.IsPrivilegedProcess)
        {
            Run("chown", "postgres", folder);
        }
        cluster.AsServerUser("initdb", "-D", cluster.Data, "-A", "trust", "-U", "latnas");
        cluster.Resume();
        return cluster;
    }

    private string Data => Path.Combine(_folder, "data");

    public void CreateDatabase(string name)
    {
        using var connection = new NpgsqlConnection(ConnectionString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"CREATE DATABASE {name}";
        command.ExecuteNonQuery();
    }

    /// <summary>Stops the server as an administrator would (fast: connections are cut, nothing is lost).</summary>
    public void Stop() => AsServerUser("pg_ctl", "-D", Data, "-m", "fast", "-w", "stop");

    public void Resume() => AsServerUser("pg_ctl", "-D", Data, "-o", $"-p {Port} -k {_folder} -c listen_addresses=127.0.0.1", "-l", Path.Combine(_folder, "server.log"), "-w", "start");

    public void Dispose()
    {
        try
        {
            AsServerUser("pg_ctl", "-D", Data, "-m", "immediate", "stop");
        }
        catch (InvalidOperationException)
        {
            // already stopped
        }
        Directory.Delete(_folder, recursive: true);
    }

    private void AsServerUser(string program, params string[] arguments)
    {
        string path = Path.Combine(_bin, program);
        if (Environment.IsPrivilegedProcess)
        {
            Run("runuser", ["-u", "postgres", "--", path, .. arguments]);
        }
        else
        {
            Run(path, arguments);
        }
    }

    private static void Run(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        arguments.ToList().ForEach(start.ArgumentList.Add);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited {process.ExitCode}: {error}{output.Result}");
        }
    }
}
