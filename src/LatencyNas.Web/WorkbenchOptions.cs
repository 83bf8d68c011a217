using LatencyNas.Core;
using System.Net;

namespace LatencyNas.Web;

/// <summary>How <c>latnas serve</c> runs the workbench.</summary>
public sealed record WorkbenchOptions
{
    /// <summary>The documented default: loopback only, a port of its own (the agent's examples use 5080).</summary>
    public const string DefaultUrl = "http://127.0.0.1:5090";

    /// <summary>The profile store the page shows.</summary>
    public required Workflows.StoreLocation Store { get; init; }

    /// <summary>Where to listen. Default <see cref="DefaultUrl"/>; port 0 picks a free one.</summary>
    public string Url { get; init; } = DefaultUrl;

    /// <summary>The token a browser must present (once, as <c>?token=</c>, then in a cookie) or an API client as a bearer token.
    /// Required when <see cref="Url"/> is not a loopback address; optional on loopback.</summary>
    public string? Token { get; init; }

    /// <summary>The documented default of <see cref="ModelSizeLimit"/>: 256 MiB.</summary>
    public const long DefaultModelSizeLimit = 256L * 1024 * 1024;

    /// <summary>
    /// The largest ONNX model, in bytes, the page may send to be predicted (<c>/api/model-prediction</c>); it is held in memory
    /// while read. Default <see cref="DefaultModelSizeLimit"/> (the server's limit for any other request, 30 MB, is too small for
    /// many models); a larger model is answered 413 and is predicted by <c>latnas predict --onnx</c>.
    /// </summary>
    public long ModelSizeLimit { get; init; } = DefaultModelSizeLimit;

    /// <summary>What is wrong with these options, one line each; empty when they can be used.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (!Uri.TryCreate(Url, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp || uri.AbsolutePath != "/")
        {
            problems.Add($"--urls must be an http address without a path, such as {DefaultUrl} (got '{Url}')");
        }
        else if (!IsLoopback(uri.Host) && string.IsNullOrEmpty(Token))
        {
            problems.Add($"{Url} is reachable beyond this machine: give a token (--token-file) so that only its holders can use the workbench");
        }
        if (Token is { Length: > 0 and < 16 })
        {
            problems.Add("the token must be at least 16 characters");
        }
        if (ModelSizeLimit < 1)
        {
            problems.Add($"the model size limit must be at least 1 byte (got {ModelSizeLimit})");
        }
        return problems;
    }

    /// <exception cref="InvalidInputException">Options that cannot be used (<see cref="Problems"/>).</exception>
    public void Check()
    {
        if (Problems() is { Count: > 0 } problems)
        {
            throw new InvalidInputException($"Cannot serve the workbench: {string.Join("; ", problems)}.");
        }
    }

        internal static bool IsLoopback(string host)
        => host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));
}
