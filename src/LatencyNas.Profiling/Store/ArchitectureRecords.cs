using System.Text.Json;
using LatencyNas.Core.Spaces;
using System.Data;
using System.Data.Common;

namespace LatencyNas.Profiling.Store;

/// <summary>The store's architectures and their analytic features per dataset, each written once.</summary>
public sealed class ArchitectureRecords
{
    private readonly StoreConnection _connection;
    // Ids known to be committed (or inside the open transaction), by space, digits, dataset and resolution.
    private readonly Dictionary<(string Space, string Digits, string Dataset, int Resolution), long> _ids = [];
    private readonly Lock _idsLock = new();

    internal ArchitectureRecords(StoreConnection connection) => _connection = connection;

    /// <summary>The id of an architecture, inserting it (with its features for <paramref name="dataset"/>) on first sight.</summary>
    public long Ensure(SearchSpace space, Architecture architecture, Dataset dataset) => _connection.Guard(() => Ensure(space, architecture, dataset, null));

    /// <summary>Like <see cref="Ensure(SearchSpace, Architecture, Dataset)"/>, inside a transaction the caller holds.</summary>
    internal long Ensure(SearchSpace space, Architecture architecture, Dataset dataset, DbTransaction? transaction)
    {
        var key = (space.Name, architecture.Digits, dataset.Name, dataset.Height);
        lock (_idsLock)
        {
            if (_ids.TryGetValue(key, out long known))
            {
                return known;
            }
        }
        var features = space.Features(architecture, dataset);
        using var insert = _connection.Command("""
            INSERT INTO architectures (space, digits, arch, disconnected, op_counts) VALUES (@space, @digits, @arch, @disconnected, @ops)
            ON CONFLICT (space, digits) DO UPDATE SET arch = excluded.arch
            RETURNING id
            """, transaction);
        insert.With("@space", space.Name);
        insert.With("@digits", architecture.Digits);
        insert.With("@arch", space.Format(architecture));
        insert.With("@disconnected", features.Disconnected);
        insert.With("@ops", JsonSerializer.Serialize(features.OpCounts.ToDictionary()));
        long id = (long)insert.ExecuteScalar()!;

        using var insertFeatures = _connection.Command("""
            INSERT INTO architecture_features (architecture_id, dataset, resolution, params, macs, extra)
            VALUES (@id, @dataset, @resolution, @params, @macs, @extra)
            ON CONFLICT DO NOTHING
            """, transaction);
        insertFeatures.With("@id", id);
        insertFeatures.With("@dataset", dataset.Name);
        insertFeatures.With("@resolution", dataset.Height);
        insertFeatures.With("@params", features.Parameters);
        insertFeatures.With("@macs", features.Macs);
        insertFeatures.With("@extra", JsonSerializer.Serialize(features.Extra.ToDictionary()));
        insertFeatures.ExecuteNonQuery();
        lock (_idsLock)
        {
            _ids[key] = id;
        }
        return id;
    }

    /// <summary>
    /// The ids of many architectures, inserting (with their features for <paramref name="dataset"/>) those the store
    /// lacks in a few statements, inside a transaction the caller holds: an import's 15,625 rows one by one cost
    /// a server two round trips each.
    /// </summary>
    internal long[] EnsureMany(SearchSpace space, IReadOnlyList<Architecture> architectures, Dataset dataset, DbTransaction transaction)
    {
        var ids = new long[architectures.Count];
        var missing = new List<int>();
        lock (_idsLock)
        {
            for (int i = 0; i < architectures.Count; i++)
            {
                if (_ids.TryGetValue((space.Name, architectures[i].Digits, dataset.Name, dataset.Height), out long known))
                {
                    ids[i] = known;
                }
                else
                {
                    missing.Add(i);
                }
            }
        }
        if (missing.Count == 0)
        {
            return ids;
        }
        var features = missing.AsParallel().AsOrdered().Select(i => space.Features(architectures[i], dataset)).ToList();
        _connection.InsertMany(transaction, "architectures", ["space", "digits", "arch", "disconnected", "op_counts"],
            missing.Select((i, k) => new object?[]
            {
                space.Name, architectures[i].Digits, space.Format(architectures[i]), features[k].Disconnected, JsonSerializer.Serialize(features[k].OpCounts.ToDictionary()),
            }),
            "ON CONFLICT (space, digits) DO NOTHING");
        var idOf = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var chunk in missing.Chunk(500))
        {
            using var select = _connection.Command(
                $"SELECT id, digits FROM architectures WHERE space = @space AND digits IN ({string.Join(", ", chunk.Select((_, k) => $"@d{k}"))})", transaction)
                .With("@space", space.Name);
            for (int k = 0; k < chunk.Length; k++)
            {
                select.With($"@d{k}", architectures[chunk[k]].Digits);
            }
            using var reader = select.ExecuteReader();
            while (reader.Read())
            {
                idOf[reader.Text("digits")] = reader.Integer("id");
            }
        }
        _connection.InsertMany(transaction, "architecture_features", ["architecture_id", "dataset", "resolution", "params", "macs", "extra"],
            missing.Select((i, k) => new object?[]
            {
                idOf[architectures[i].Digits], dataset.Name, (long)dataset.Height, features[k].Parameters, features[k].Macs, JsonSerializer.Serialize(features[k].Extra.ToDictionary()),
            }),
            "ON CONFLICT DO NOTHING");
        lock (_idsLock)
        {
            foreach (int i in missing)
            {
                ids[i] = idOf[architectures[i].Digits];
                _ids[(space.Name, architectures[i].Digits, dataset.Name, dataset.Height)] = ids[i];
            }
        }
        return ids;
    }

    /// <summary>Forgets cached ids after a rolled-back transaction: the rows it inserted are gone.</summary>
    internal void ForgetCached()
    {
        lock (_idsLock)
        {
            _ids.Clear();
        }
    }
}
