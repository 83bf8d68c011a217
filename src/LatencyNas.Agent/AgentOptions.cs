using System.Net;
using LatencyNas.Core;

namespace LatencyNas.Agent;

/// <summary>How an agent listens and what it accepts. Defaults suit a board on a lab network.</summary>
public sealed record AgentOptions
{
    /// <summary>Addresses to listen on. Default http://127.0.0.1:5080.</summary>
    public IReadOnlyList<string> Urls { get; init; } = ["http://127.0.0.1:5080"];

    /// <summary>The bearer token clients must send; null only with <see cref="Insecure"/>.</summary>
    public string? Token { get; init; }

    /// <summary>Accept requests without a token. Allowed only when every URL is a loopback address. Default false.</summary>
    public bool Insecure { get; init; }

    /// <summary>Largest model accepted, in MiB. Default 64.</summary>
    public int MaxModelMegabytes { get; init; } = 64;

    /// <summary>Most models one batch request may hold. Default 64.</summary>
    public int MaxBatchModels { get; init; } = 64;

    /// <summary>Largest batch request body, in MiB. Default 256.</summary>
    public int MaxBatchMegabytes { get; init; } = 256;

    /// <summary>Requests that may wait while one is measured; more are refused with 429. Default 4.</summary>
    public int QueueLimit { get; init; } = 4;

    /// <summary>Name reported with every measurement. Default: host name and port.</summary>
    public string? Name { get; init; }

    /// <summary>Most timed and warm-up runs a request may ask of one model (max_runs and warm-up runs, or rounds × runs per visit). Default 20,000.</summary>
    public int MaxRunsPerModel { get; init; } = 20_000;

    /// <summary>
    /// Most seconds a request may ask to spend on one model (max_seconds and warm-up seconds of a burst); a
    /// request is stopped after this many seconds per model, whatever it asked. Default 60.
    /// </summary>
    public int MaxSecondsPerModel { get; init; } = 60;

    /// <summary>Most elements one model input may have (batch × channels × height × width). Default 16,777,216 (64 MiB of floats).</summary>
    public long MaxInputElements { get; init; } = 16L * 1024 * 1024;

    /// <summary>Completed measurements remembered by idempotency key, so a retried request is not measured twice. Default 4,096.</summary>
    public int RememberedResults { get; init; } = 4_096;

    public long MaxModelBytes => MaxModelMegabytes * 1024L * 1024L;

    public long MaxBatchBytes => MaxBatchMegabytes * 1024L * 1024L;

    /// <exception cref="InvalidInputException">Every problem, in one message.</exception>
    public AgentOptions Validated()
    {
        var problems = new List<string>();
        if (Urls.Count == 0)
        {
            problems.Add("give at least one --urls address");
        }
        var uris = new List<Uri>();
        foreach (string url in Urls)
        {
            if (Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")
            {
                uris.Add(uri);
            }
            else
            {
                problems.Add($"'{url}' is not an http(s) address");
            }
        }
        if (Token is null && !Insecure)
        {
            problems.Add("a token is required (--token-file FILE or LATNAS_AGENT_TOKEN); only --insecure on a loopback address runs without one");
        }
        if (Token is { Length: < 16 })
        {
            problems.Add("the token must be at least 16 characters");
        }
        if (Insecure && uris.Any(u => !IsLoopback(u)))
        {
            problems.Add("--insecure is allowed only on loopback addresses (127.0.0.1, [::1], localhost)");
        }
        if (MaxModelMegabytes is < 1 or > 4096)
        {
            problems.Add($"--max-model-mb must be between 1 and 4096 (got {MaxModelMegabytes})");
        }
        if (MaxBatchModels is < 1 or > 1024)
        {
            problems.Add($"--max-batch-models must be between 1 and 1024 (got {MaxBatchModels})");
        }
        if (MaxBatchMegabytes < MaxModelMegabytes || MaxBatchMegabytes > 16_384)
        {
            problems.Add($"--max-batch-mb must be between --max-model-mb and 16384 (got {MaxBatchMegabytes})");
        }
        if (MaxRunsPerModel is < 10 or > 10_000_000)
        {
            problems.Add($"--max-runs must be between 10 and 10000000 (got {MaxRunsPerModel})");
        }
        if (MaxSecondsPerModel is < 1 or > 86_400)
        {
            problems.Add($"--max-seconds must be between 1 and 86400 (got {MaxSecondsPerModel})");
        }
        if (MaxInputElements is < 1 or > int.MaxValue)
        {
            problems.Add($"--max-input-elements must be between 1 and {int.MaxValue} (got {MaxInputElements})");
        }
        if (QueueLimit < 0)
        {
            problems.Add($"the queue limit must be ≥ 0 (got {QueueLimit})");
        }
        return problems.Count == 0 ? this : throw new InvalidInputException($"Invalid agent options: {string.Join("; ", problems)}.");
    }

    private static bool IsLoopback(Uri uri)
        => uri.IsLoopback || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));
}
