using System.Data;
using System.Data.Common;
using System.Globalization;
using LatencyNas.Core;

namespace LatencyNas.Profiling.Store;

/// <summary>
/// The store's one database connection (SQLite or PostgreSQL), shared by its record classes: builds
/// commands, serialises its use (a connection runs one command at a time), runs work in a transaction,
/// and turns every database or file-system error into a <see cref="ProfileStoreException"/> (the input
/// is wrong) or a <see cref="ProfileStoreFailedException"/> (the run failed), so no caller ever sees a
/// raw <see cref="DbException"/>. A server store rides out an outage: work that fails for a transient
/// reason (the connection lost or refused, the server restarting) runs again, whole, on a new
/// connection, for up to the backend's <see cref="StoreBackend.Outage"/>; every write is idempotent, so
/// a commit whose acknowledgement was lost does no harm when it runs again.
/// </summary>
internal sealed class StoreConnection : IDisposable
{
    private readonly Lock _lock = new();
    private readonly StoreBackend _backend;
    private DbConnection? _database;
    private int _depth;

    public StoreConnection(DbConnection connection, StoreBackend backend)
    {
        _database = connection;
        _backend = backend;
    }

    /// <summary>Where the store is, as shown to users: a file's path, or a server URL without its password.</summary>
    public string Location => _backend.Location;

    public StoreBackend Backend => _backend;

    /// <summary>Runs a read or a write, translating its errors; only the outermost call is run again after an outage (a nested one is part of it).</summary>
    public T Guard<T>(Func<T> work)
    {
        lock (_lock)
        {
            if (_depth > 0)
            {
                return Attempt(work);
            }
            return _backend.Outage.Execute(() => Attempt(work));
        }
    }

    public void Guard(Action work) => Guard(() =>
    {
        work();
        return 0;
    });

    /// <summary>Runs <paramref name="work"/> in one transaction: all of it lands, or none.</summary>
    /// <param name="rolledBack">Called when the transaction is rolled back, to forget what it had cached.</param>
    public T InTransaction<T>(Func<DbTransaction, T> work, Action? rolledBack = null) => Guard(() =>
    {
        try
        {
            using var transaction = Database.BeginTransaction();
            T result = work(transaction);
            transaction.Commit();
            return result;
        }
        catch
        {
            rolledBack?.Invoke();
            throw;
        }
    });

    private DbConnection Database => _database ??= _backend.Connect(createIfMissing: true);

    private T Attempt<T>(Func<T> work)
    {
        _depth++;
        try
        {
            return work();
        }
        catch (Exception error) when (error is DbException or ProfileStoreFailedException)
        {
            var classified = error as ProfileStoreFailedException ?? _backend.Classify((DbException)error);
            if (classified is ProfileStoreFailedException { IsTransient: true } && _depth == 1)
            {
                // The connection may be broken: the next attempt opens another.
                _database?.Dispose();
                _database = null;
            }
            if (ReferenceEquals(classified, error))
            {
                throw;
            }
            throw classified;
        }
        catch (IOException error)
        {
            throw new ProfileStoreFailedException($"I/O error on the profile store '{Location}' ({error.Message}); check the disk and run the command again.", isTransient: false, error);
        }
        finally
        {
            _depth--;
        }
    }

    public DbCommand Command(string sql, DbTransaction? transaction = null)
    {
        var command = Database.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        return command;
    }

    /// <summary>
    /// Inserts many rows: <c>INSERT INTO table (columns) VALUES (...), (...) suffix</c>, the backend's
    /// <see cref="StoreBackend.RowsPerStatement"/> rows at a time, one command reused for every full
    /// chunk. A server is sent hundreds of rows per round trip (one per row made an import of 420,000
    /// values take PostgreSQL most of a minute); SQLite, in the process, runs one row per statement, the
    /// fastest way through its parameter binding.
    /// </summary>
    /// <param name="suffix">What follows the values, e.g. an ON CONFLICT clause.</param>
    public void InsertMany(DbTransaction transaction, string table, string[] columns, IEnumerable<object?[]> rows, string suffix = "")
    {
        int perStatement = _backend.RowsPerStatement;
        var chunk = new List<object?[]>(perStatement);
        DbCommand? full = null;
        try
        {
            foreach (var row in rows)
            {
                chunk.Add(row);
                if (chunk.Count == perStatement)
                {
                    full ??= Build(perStatement);
                    Run(full, chunk);
                    chunk.Clear();
                }
            }
            if (chunk.Count > 0)
            {
                using var last = Build(chunk.Count);
                Run(last, chunk);
            }
        }
        finally
        {
            full?.Dispose();
        }

        DbCommand Build(int count)
        {
            var sql = new System.Text.StringBuilder($"INSERT INTO {table} ({string.Join(", ", columns)}) VALUES ");
            var command = Command("", transaction);
            for (int r = 0; r < count; r++)
            {
                sql.Append(r == 0 ? "(" : ", (");
                for (int c = 0; c < columns.Length; c++)
                {
                    var parameter = command.CreateParameter();
                    parameter.ParameterName = $"@p{r}_{c}";
                    command.Parameters.Add(parameter);
                    sql.Append(c == 0 ? parameter.ParameterName : ", " + parameter.ParameterName);
                }
                sql.Append(')');
            }
            command.CommandText = sql.Append(' ').Append(suffix).ToString();
            return command;
        }

        void Run(DbCommand command, List<object?[]> values)
        {
            for (int r = 0; r < values.Count; r++)
            {
                for (int c = 0; c < columns.Length; c++)
                {
                    command.Parameters[r * columns.Length + c].Value = values[r][c] switch { null => DBNull.Value, bool flag => flag ? 1L : 0L, var value => value };
                }
            }
            command.ExecuteNonQuery();
        }
    }

    /// <summary>Every row of a query, as column name → value (null for SQL NULL): for code that moves rows whatever their columns.</summary>
    public List<IReadOnlyDictionary<string, object?>> Rows(string sql, params (string Name, object? Value)[] parameters)
        => Guard(() => Rows(sql, null, parameters));

    /// <summary>Like <see cref="Rows(string, ValueTuple{string, object}[])"/>, inside a transaction the caller holds.</summary>
    public List<IReadOnlyDictionary<string, object?>> Rows(string sql, DbTransaction? transaction, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(sql, transaction);
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value ?? DBNull.Value;
            command.Parameters.Add(parameter);
        }
        using var reader = command.ExecuteReader();
        var rows = new List<IReadOnlyDictionary<string, object?>>();
        while (reader.Read())
        {
            var row = new Dictionary<string, object?>(reader.FieldCount, StringComparer.Ordinal);
            for (int i = 0; i < reader.FieldCount; i++)
            {
                row[reader.GetName(i)] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            }
            rows.Add(row);
        }
        return rows;
    }

    public void Execute(string sql, DbTransaction? transaction = null)
    {
        using var command = Command(sql, transaction);
        command.ExecuteNonQuery();
    }

    public long Count(string sql, DbTransaction? transaction = null)
    {
        using var command = Command(sql, transaction);
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    public static string Now() => DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);

    public void Dispose() => _database?.Dispose();
}

/// <summary>
/// Parameters written alike on both backends: named <c>@name</c>, typed from the value (so that a null
/// still has a type PostgreSQL can infer), and a flag stored as the integer 0 or 1.
/// </summary>
internal static class CommandParameters
{
    public static DbCommand With(this DbCommand command, string name, string? value) => command.With(name, DbType.String, value);

    public static DbCommand With(this DbCommand command, string name, long? value) => command.With(name, DbType.Int64, value);

    public static DbCommand With(this DbCommand command, string name, double? value) => command.With(name, DbType.Double, value);

    public static DbCommand With(this DbCommand command, string name, bool? value) => command.With(name, DbType.Int64, value is { } flag ? flag ? 1L : 0L : null);

    public static DbCommand With(this DbCommand command, string name, byte[]? value) => command.With(name, DbType.Binary, value);

    /// <summary>Adds a parameter per value, named <paramref name="prefix"/>0, 1, …, and returns them as a list for an IN (...) clause.</summary>
    public static string WithEach(this DbCommand command, string prefix, IEnumerable<string> values)
        => string.Join(", ", values.Select((value, i) =>
        {
            command.With($"{prefix}{i}", value);
            return $"{prefix}{i}";
        }));

    /// <summary>Declares a parameter whose value is set per execution (a prepared command run over many rows).</summary>
    public static DbParameter Declare(this DbCommand command, string name, DbType type)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.DbType = type;
        command.Parameters.Add(parameter);
        return parameter;
    }

    private static DbCommand With(this DbCommand command, string name, DbType type, object? value)
    {
        command.Declare(name, type).Value = value ?? DBNull.Value;
        return command;
    }
}

/// <summary>
/// Reads a row's columns by name, so a reordered SELECT cannot shift a value into the wrong field; numbers
/// are converted, since the backends return an integer column as 32 or 64 bits and a sum as another type.
/// </summary>
internal static class RowReader
{
    public static string Text(this DbDataReader reader, string column) => reader.GetString(reader.GetOrdinal(column));

    public static string? NullableText(this DbDataReader reader, string column)
        => reader.GetOrdinal(column) is var i && reader.IsDBNull(i) ? null : reader.GetString(i);

    public static long Integer(this DbDataReader reader, string column) => Convert.ToInt64(reader.GetValue(reader.GetOrdinal(column)), CultureInfo.InvariantCulture);

    public static int? NullableInt(this DbDataReader reader, string column)
        => reader.GetOrdinal(column) is var i && reader.IsDBNull(i) ? null : Convert.ToInt32(reader.GetValue(i), CultureInfo.InvariantCulture);

    public static double Real(this DbDataReader reader, string column) => Convert.ToDouble(reader.GetValue(reader.GetOrdinal(column)), CultureInfo.InvariantCulture);

    public static double? NullableReal(this DbDataReader reader, string column)
        => reader.GetOrdinal(column) is var i && reader.IsDBNull(i) ? null : Convert.ToDouble(reader.GetValue(i), CultureInfo.InvariantCulture);

    public static bool? NullableBool(this DbDataReader reader, string column)
        => reader.GetOrdinal(column) is var i && reader.IsDBNull(i) ? null : Convert.ToInt64(reader.GetValue(i), CultureInfo.InvariantCulture) != 0;

    public static DateTimeOffset Timestamp(this DbDataReader reader, string column)
        => DateTimeOffset.Parse(reader.Text(column), CultureInfo.InvariantCulture);
}
