using LatencyNas.Core.Spaces;
using System.Data;
using System.Data.Common;

namespace LatencyNas.Profiling.Store;

/// <summary>Objectives (higher is better) by architecture: imported accuracies, and cached computed scores.</summary>
public sealed class ObjectiveRecords
{
    private readonly StoreConnection _connection;
    private readonly ArchitectureRecords _architectures;

    internal ObjectiveRecords(StoreConnection connection, ArchitectureRecords architectures)
    {
        _connection = connection;
        _architectures = architectures;
    }

    /// <summary>Names of the objectives the store holds, with their counts.</summary>
    public IReadOnlyList<(string Name, int Count)> List() => _connection.Guard(() =>
    {
        using var command = _connection.Command("SELECT name, count(*) AS values_held FROM objectives GROUP BY name");
        var objectives = new List<(string, int)>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            objectives.Add((reader.Text("name"), (int)reader.Integer("values_held")));
        }
        return objectives.OrderBy(o => o.Item1, StringComparer.Ordinal).ToList();
    });

    /// <summary>Whether the store holds values of an objective for a space.</summary>
    public bool Has(string name, SearchSpace space) => ValuesOf(name, space).Count > 0;

    /// <summary>Values of an objective for the architectures of a space, by digits.</summary>
    /// <exception cref="ProfileStoreException">The store holds no objective of that name for the space; the message lists those it has.</exception>
    public IReadOnlyDictionary<string, double> Get(string name, SearchSpace space)
    {
        var values = ValuesOf(name, space);
        if (values.Count == 0)
        {
            var known = List().Select(o => o.Name).Where(n => !n.StartsWith("zerocost:", StringComparison.Ordinal) && Has(n, space)).ToList();
            bool elsewhere = List().Any(o => o.Name == name);
            throw new ProfileStoreException(
                $"No objective '{name}' for {space.Name} in {_connection.Location}{(elsewhere ? " (it holds one of that name for another space)" : "")}. " +
                (known.Count > 0 ? $"Objectives for {space.Name}: {string.Join(", ", known)}." : $"Import one for {space.Name} with `latnas import --csv FILE --objectives COLUMN`."));
        }
        return values;
    }

    /// <summary>Like <see cref="Get"/>, but empty rather than an error when the store has none.</summary>
    public IReadOnlyDictionary<string, double> GetOrEmpty(string name, SearchSpace space) => ValuesOf(name, space);

    /// <summary>Stores computed objective values (e.g. zero-cost proxies) in one transaction, so they are computed once.</summary>
    public void Save(string name, SearchSpace space, Dataset dataset, IEnumerable<(Architecture Architecture, double Value)> values, string source)
        => _connection.InTransaction(transaction =>
        {
            var list = values.GroupBy(v => v.Architecture.Digits).Select(g => g.Last()).ToList(); // one value per architecture: the last given
            var ids = _architectures.EnsureMany(space, list.Select(v => v.Architecture).ToList(), dataset, transaction);
            UpsertMany(transaction, name, ids.Select((id, i) => (id, list[i].Value)), source);
            return 0;
        }, _architectures.ForgetCached);

    /// <summary>Writes an objective's values inside a transaction the caller holds, replacing those it had.</summary>
    internal void UpsertMany(DbTransaction transaction, string name, IEnumerable<(long ArchitectureId, double Value)> values, string source)
        => _connection.InsertMany(transaction, "objectives", ["name", "architecture_id", "value", "source"],
            values.Select(v => new object?[] { name, v.ArchitectureId, v.Value, source }),
            "ON CONFLICT (name, architecture_id) DO UPDATE SET value = excluded.value, source = excluded.source");

    private Dictionary<string, double> ValuesOf(string name, SearchSpace space) => _connection.Guard(() =>
    {
        using var command = _connection.Command("""
            SELECT a.digits, o.value FROM objectives o JOIN architectures a ON a.id = o.architecture_id
            WHERE o.name = @name AND a.space = @space
            """);
        command.With("@name", name);
        command.With("@space", space.Name);
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            values[reader.Text("digits")] = reader.Real("value");
        }
        return values;
    });
}
