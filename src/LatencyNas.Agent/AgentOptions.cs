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
        if (QueueLimit < 0)
        {
            problems.Add($"the queue limit must be ≥ 0 (got {QueueLimit})");
        }
        return problems.Count == 0 ? this : throw new InvalidInputException($"Invalid agent options: {string.Join("; ", problems)}.");
    }

    private static bool IsLoopback(Uri uri)
        => uri.IsLoopback || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));
}
