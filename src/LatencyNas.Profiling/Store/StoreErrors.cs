using LatencyNas.Core;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace LatencyNas.Profiling.Store;

/// <summary>
/// The profile store cannot be used as given: the file is not a store (or is damaged), was written
/// by a newer LatencyNas, cannot be created where asked, or does not hold what was asked for (an
/// unknown device or objective). Bad input: the CLI exits with code 2.
/// </summary>
public sealed class ProfileStoreException : InvalidInputException
{
    public ProfileStoreException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>
/// The store could not complete a read or write although the input was fine: the disk is full, an
/// I/O error, or another process holds the database locked (<see cref="IsTransient"/>: trying again
/// later may succeed). Everything committed before stays. A failed run: the CLI exits with code 1.
/// </summary>
public sealed class ProfileStoreFailedException : RunFailedException
{
    private readonly bool _isTransient;

    public ProfileStoreFailedException(string message, bool isTransient, Exception? inner = null) : base(message, inner)
        => _isTransient = isTransient;

    public override bool IsTransient => _isTransient;
}

/// <summary>Maps SQLite's result codes and PostgreSQL's SQL states to one of the two store errors, each a line that says what to do.</summary>
internal static class StoreErrors
{
    // SQLite primary result codes (https://www.sqlite.org/rescode.html).
    private const int Perm = 3, Busy = 5, Locked = 6, ReadOnly = 8, IoError = 10, Corrupt = 11, Full = 13, CantOpen = 14, Auth = 23, NotADatabase = 26;

    public static LatencyNasException Classify(SqliteException error, string path)
    {
        string detail = error.Message.Split('\n')[0].Replace("SQLite Error ", "", StringComparison.Ordinal);
        return (error.SqliteErrorCode & 0xFF) switch
        {
            Busy or Locked => new ProfileStoreFailedException(
                $"The profile store '{path}' is locked by another process; wait for it to finish and run the command again.", isTransient: true, error),
            Full => new ProfileStoreFailedException(
                $"The disk holding the profile store '{path}' is full; free some space and run the command again (everything committed so far is kept).", isTransient: false, error),
            IoError => new ProfileStoreFailedException(
                $"I/O error on the profile store '{path}' ({detail}); check the disk and run the command again.", isTransient: false, error),
            ReadOnly or Perm or Auth => new ProfileStoreException(
                $"Cannot write the profile store '{path}': the file or its folder is read-only; use --store (or LATNAS_STORE) to choose a writable place.", error),
            CantOpen => new ProfileStoreException(
                $"Cannot open the profile store '{path}' ({detail}); use --store (or LATNAS_STORE) to choose a file in a writable folder.", error),
            Corrupt or NotADatabase => new ProfileStoreException(
                $"'{path}' is not a LatencyNas profile store (not an SQLite database, or a damaged one: {detail}).", error),
            _ => new ProfileStoreFailedException($"The profile store '{path}' failed ({detail}).", isTransient: false, error),
        };
    }

    /// <summary>
    /// PostgreSQL's errors (https://www.postgresql.org/docs/current/errcodes-appendix.html): a refused
    /// login, a missing database or a missing privilege is bad input; an unreachable server, a restart
    /// or a serialisation conflict is a transient failure. No message carries the password.
    /// </summary>
    public static LatencyNasException Classify(NpgsqlException error, string location, string database)
    {
        if (error is PostgresException postgres)
        {
            string detail = postgres.MessageText;
            return postgres.SqlState switch
            {
                "28P01" or "28000" => new ProfileStoreException(
                    $"The PostgreSQL server of the profile store {location} refused the login ({detail}); check the user and password (in the URL, PGPASSWORD or ~/.pgpass).", error),
                "3D000" => new ProfileStoreException(
                    $"The PostgreSQL server has no database '{database}' for the profile store {location}; create it (createdb) or name another.", error),
                "42501" => new ProfileStoreException(
                    $"The user of the profile store {location} may not do this ({detail}); grant it the rights on the database or use another user.", error),
                "53100" => new ProfileStoreFailedException(
                    $"The disk of the PostgreSQL server of the profile store {location} is full; free some space and run the command again (everything committed so far is kept).", isTransient: false, error),
                _ when postgres.IsTransient => new ProfileStoreFailedException(
                    $"The PostgreSQL server of the profile store {location} failed for a moment ({detail}); run the command again.", isTransient: true, error),
                _ => new ProfileStoreFailedException($"The profile store {location} failed ({detail}).", isTransient: false, error),
            };
        }
        string reason = (error.InnerException ?? error).Message.Split('\n')[0];
        return error.IsTransient || error.InnerException is System.Net.Sockets.SocketException or TimeoutException
            ? new ProfileStoreFailedException(
                $"Cannot reach the PostgreSQL server of the profile store {location} ({reason}); check that it is running and reachable, and run the command again.", isTransient: true, error)
            : new ProfileStoreFailedException($"The profile store {location} failed ({reason}).", isTransient: false, error);
    }
}
