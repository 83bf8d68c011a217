using System.Collections.Concurrent;

namespace LatencyNas.Web;

/// <summary>
/// Answers kept per question, each while the store stays in the state it was computed in (<c>state</c>: its measurement
/// counts, or its data version). Requests for an answer being computed wait for it instead of computing it again; a failure
/// is not kept.
/// </summary>
internal sealed class KeptAnswers<T>
{
    private readonly ConcurrentDictionary<string, (string State, Lazy<T> Answer)> _entries = new();

    public T Get(string question, string state, Func<T> compute)
    {
        (string, Lazy<T>) Fresh() => (state, new Lazy<T>(compute));
        var entry = _entries.AddOrUpdate(question, _ => Fresh(), (_, old) => old.State == state ? old : Fresh());
        try
        {
            return entry.Answer.Value;
        }
        catch
        {
            _entries.TryRemove(new KeyValuePair<string, (string, Lazy<T>)>(question, entry));
            throw;
        }
    }
}
