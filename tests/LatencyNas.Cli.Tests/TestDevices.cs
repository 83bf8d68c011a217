namespace LatencyNas.Cli.Tests;

/// <summary>
/// Device descriptors for process tests that measure for real. Their protocol is short, in small
/// batches (so a kill can fall between two), and counts no visit as contended: these tests check
/// what the commands do while other test processes keep the machine busy, not the contention rule
/// (the protocol's own tests cover it on a synthetic machine).
/// </summary>
internal static class TestDevices
{
    public const string QuickProtocol =
        """{ "architectures_per_batch": BATCH, "min_rounds": 3, "max_rounds": 4, "extra_rounds": 0, "min_quiet_visits": 3, "contended_above": 1, "min_round_seconds": 0, "instances_per_architecture": 1 }""";

    /// <summary>The shipped ort-cpu-1t setting under <paramref name="name"/>, with the quick protocol.</summary>
    public static string Local(string directory, string name = "ort-cpu-1t", int batch = 3)
    {
        string path = Path.Combine(directory, name + ".json");
        File.WriteAllText(path, $$"""
            { "name": "{{name}}", "runtime": "onnxruntime", "threads": 1, "protocol": {{Protocol(batch)}} }
            """);
        return path;
    }

    public static string Protocol(int batch) => QuickProtocol.Replace("BATCH", batch.ToString(System.Globalization.CultureInfo.InvariantCulture));
}
