using System.Diagnostics;

namespace LatencyNas.Tests;

/// <summary>
/// The reference ONNX checker (<c>onnx.checker.check_model</c> with full shape inference) of
/// Debian's <c>python3-onnx</c>, run on files in one Python process.
/// </summary>
internal static class OnnxChecker
{
    private const string Python = "/usr/bin/python3";

    private const string Script = """
        import sys, onnx
        for path in sys.argv[1:]:
            try:
                onnx.checker.check_model(onnx.load(path), full_check=True)
                print(path + "\tok")
            except Exception as error:
                print(path + "\t" + str(error).replace("\n", " ")[:300])
        """;

    public static bool Available { get; } = Run(["-c", "import onnx.checker"]).ExitCode == 0;

    /// <returns>Each file's verdict: "ok" or the checker's complaint.</returns>
    public static IReadOnlyDictionary<string, string> Check(IReadOnlyList<string> files)
    {
        var (exit, output) = Run(["-c", Script, .. files]);
        Assert.True(exit == 0, $"the checker itself failed: {output}");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('\t', 2))
            .ToDictionary(parts => parts[0], parts => parts[1]);
    }

    private static (int ExitCode, string Output) Run(IReadOnlyList<string> arguments)
    {
        if (!File.Exists(Python))
        {
            return (-1, "");
        }
        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd();
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output + error);
    }
}
