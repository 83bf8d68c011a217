using System.Collections.Frozen;
using System.Reflection;
using System.Security.Cryptography;

namespace LatencyNas.Web;

/// <summary>The page, its script and the chart library, read once from this assembly's resources (<c>web/…</c>).</summary>
internal sealed class EmbeddedAssets
{
    private const string Prefix = "web/";

    private readonly FrozenDictionary<string, Asset> _assets;

    public EmbeddedAssets()
    {
        var assembly = typeof(EmbeddedAssets).Assembly;
        _assets = assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(Prefix, StringComparison.Ordinal))
            .ToFrozenDictionary(n => "/" + n[Prefix.Length..], n => Read(assembly, n), StringComparer.Ordinal);
    }

    public sealed record Asset(byte[] Content, string ContentType, string ETag);

    public Asset? Find(string path) => _assets.GetValueOrDefault(path == "/" ? "/index.html" : path);

    private static Asset Read(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        byte[] content = copy.ToArray();
        string type = Path.GetExtension(name) switch
        {
            ".html" => "text/html; charset=utf-8",
            ".js" => "text/javascript; charset=utf-8",
            ".css" => "text/css; charset=utf-8",
            ".svg" => "image/svg+xml",
            ".png" => "image/png",
            _ => "application/octet-stream",
        };
        return new Asset(content, type, $"\"{Convert.ToHexStringLower(SHA256.HashData(content))[..16]}\"");
    }
}
