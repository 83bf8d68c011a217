using System.Globalization;
using LatencyNas.Core;
using Microsoft.Data.Sqlite;

namespace LatencyNas.Profiling.Store;

/// <summary>
/// The store's one SQLite connection, shared by its record classes: builds commands, serialises
/// writes, runs work in a transaction, and turns every SQLite or file-system error into a
/// <see cref="ProfileStoreException"/> (the input is wrong) or a <see cref="ProfileStoreFailedException"/>
/// (the run failed), so no caller ever sees a raw <see cref="SqliteException"/>.
/// </summary>
internal sealed class StoreConnection(SqliteConnection connection, string path) : IDisposable
{
    private readonly Lock _writeLock = new();

    public string Path { get; } = path;

    /// <summary>Runs a read or a single-statement write, translating its errors.</summary>
    public T Guard<T>(Func<T> work)
    {
        try
        {
            return work();
        }
        catch (SqliteException error)
        {
            throw StoreErrors.Classify(error, Path);
        }
        catch (IOException error)
        {
            throw new ProfileStoreFailedException($"I/O error on the profile store '{Path}' ({error.Message}); check the disk and run the command again.", isTransient: false, error);
        }
    }

    public void Guard(Action work) => Guard(() =>
    {
        work();
        return 0;
    });

    /// <summary>Runs <paramref name="work"/> under the write lock, translating its errors.</summary>
    public T Write<T>(Func<T> work)
    {
        lock (_writeLock)
        {
            return Guard(work);
        }
    }

    /// <summary>Runs <paramref name="work"/> in one transaction under the write lock: all of it lands, or none.</summary>
    /// <param name="rolledBack">Called when the transaction is rolled back, to forget what it had cached.</param>
    public T InTransaction<T>(Func<SqliteTransaction, T> work, Action? rolledBack = null)
    {
        lock (_writeLock)
        {
            try
            {
                return Guard(() =>
                {
                    using var transaction = connection.BeginTransaction();
                    T result = work(transaction);
                    transaction.Commit();
                    return result;
                });
            }
            catch
            {
                rolledBack?.Invoke();
                throw;
            }
        }
    }

    public SqliteCommand Command(string sql, SqliteTransaction? transaction = null)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        return command;
    }

    public void Execute(string sql, SqliteTransaction? transaction = null)
    {
        using var command = Command(sql, transaction);
        command.ExecuteNonQuery();
    }

    public long Count(string sql, SqliteTransaction? transaction = null)
    {
        using var command = Command(sql, transaction);
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    public static string Now() => DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);

    public void Dispose() => connection.Dispose();
}

/// <summary>Reads a row's columns by name, so a reordered SELECT cannot shift a value into the wrong field.</summary>
internal static class RowReader
{
    public static string Text(this SqliteDataReader reader, string column) => reader.GetString(reader.GetOrdinal(column));

    public static string? NullableText(this SqliteDataReader reader, string column)
        => reader.GetOrdinal(column) is var i && reader.IsDBNull(i) ? null : reader.GetString(i);

    public static long Integer(this SqliteDataReader reader, string column) => reader.GetInt64(reader.GetOrdinal(column));

    public static int? NullableInt(this SqliteDataReader reader, string column)
        => reader.GetOrdinal(column) is var i && reader.IsDBNull(i) ? null : reader.GetInt32(i);

    public static double Real(this SqliteDataReader reader, string column) => reader.GetDouble(reader.GetOrdinal(column));

    public static double? NullableReal(this SqliteDataReader reader, string column)
        => reader.GetOrdinal(column) is var i && reader.IsDBNull(i) ? null : reader.GetDouble(i);

    public static bool? NullableBool(this SqliteDataReader reader, string column)
        => reader.GetOrdinal(column) is var i && reader.IsDBNull(i) ? null : reader.GetBoolean(i);

    public static DateTimeOffset Timestamp(this SqliteDataReader reader, string column)
        => DateTimeOffset.Parse(reader.Text(column), CultureInfo.InvariantCulture);
}
