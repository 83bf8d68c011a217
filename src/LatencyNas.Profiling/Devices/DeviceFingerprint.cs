using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace LatencyNas.Profiling.Devices;

/// <summary>
/// What a measurement was taken on: the host and the runtime settings. Two profiles with the
/// same fingerprint are comparable; the store refuses to mix different ones under one device name.
/// </summary>
public sealed record DeviceFingerprint(
    string CpuModel,
    int Cores,
    string OperatingSystem,
    string Runtime,
    string RuntimeVersion,
    string Provider,
    int Threads,
    string Optimization,
    int BatchSize,
    int Resolution,
    string Dataset,
    bool Spinning)
{
    /// <summary>A short stable hash of every field, for quick comparison.</summary>
    [JsonIgnore]
    public string Hash
    {
        get
        {
            byte[] digest = SHA256.HashData(Encoding.UTF8.GetBytes(ToJson()));
            return Convert.ToHexStringLower(digest)[..16];
        }
    }

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    public static DeviceFingerprint FromJson(string json) => JsonSerializer.Deserialize<DeviceFingerprint>(json, JsonOptions)!;

    public static DeviceFingerprint ForHost(DeviceDescriptor device, string runtimeVersion) => new(
        HostCpuModel(),
        Environment.ProcessorCount,
        RuntimeInformation.OSDescription,
        device.RuntimeName,
        runtimeVersion,
        device.Provider.ToString().ToLowerInvariant(),
        device.Threads,
        device.Optimization,
        device.BatchSize,
        device.Dataset.Height,
        device.Dataset.Name,
        device.Spinning);

    /// <summary>The CPU's marketing name from /proc/cpuinfo on Linux, else the architecture.</summary>
    public static string HostCpuModel()
    {
        try
        {
            if (File.Exists("/proc/cpuinfo"))
            {
                foreach (string line in File.ReadLines("/proc/cpuinfo"))
                {
                    if (line.StartsWith("model name", StringComparison.Ordinal) || line.StartsWith("Model", StringComparison.Ordinal))
                    {
                        return line[(line.IndexOf(':') + 1)..].Trim();
                    }
                }
            }
        }
        catch (IOException)
        {
            // Fall through to the architecture name.
        }
        return RuntimeInformation.ProcessArchitecture.ToString();
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
}
