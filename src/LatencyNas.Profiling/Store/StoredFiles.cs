namespace LatencyNas.Profiling.Store;

/// <summary>A file kept in the store: its name (a relative path with '/'), size in bytes and when it was saved.</summary>
public sealed record StoredFile(string Name, long Size, DateTimeOffset SavedAt);

/// <summary>
/// Files kept in the store itself, so that every machine reaching a server store finds them: the
/// predictors trained on a PostgreSQL store. Each save replaces the file of that name in one statement.
/// </summary>
public sealed class StoredFiles
{
    private readonly StoreConnection _connection;

    internal StoredFiles(StoreConnection connection) => _connection = connection;

    public void Save(string name, byte[] content) => _connection.Guard(() =>
    {
        using var command = _connection.Command("""
            INSERT INTO store_files (name, content, saved_at) VALUES (@name, @content, @at)
            ON CONFLICT (name) DO UPDATE SET content = excluded.content, saved_at = excluded.saved_at
            """).With("@name", name).With("@content", content).With("@at", StoreConnection.Now());
        command.ExecuteNonQuery();
    });

    /// <summary>The file's content, or null when the store has no file of that name.</summary>
    public byte[]? Read(string name) => _connection.Guard(() =>
    {
        using var command = _connection.Command("SELECT content FROM store_files WHERE name = @name").With("@name", name);
        return command.ExecuteScalar() as byte[];
    });

    /// <summary>The files whose names start with <paramref name="prefix"/>, by name.</summary>
    public IReadOnlyList<StoredFile> List(string prefix = "") => _connection.Guard(() =>
    {
        using var command = _connection.Command("SELECT name, length(content) AS size, saved_at FROM store_files");
        using var reader = command.ExecuteReader();
        var files = new List<StoredFile>();
        while (reader.Read())
        {
            if (reader.Text("name") is var name && name.StartsWith(prefix, StringComparison.Ordinal))
            {
                files.Add(new StoredFile(name, reader.Integer("size"), reader.Timestamp("saved_at")));
            }
        }
        return files.OrderBy(f => f.Name, StringComparer.Ordinal).ToList();
    });
}
