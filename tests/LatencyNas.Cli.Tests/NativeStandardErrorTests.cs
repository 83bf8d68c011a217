using System.Runtime.InteropServices;
using System.Text;

namespace LatencyNas.Cli.Tests;

public sealed class NativeStandardErrorTests
{
    [DllImport("libc", EntryPoint = "write")]
    private static extern nint Write(int descriptor, byte[] bytes, nint count);

    private static void WriteNatively(string text)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        Assert.Equal(bytes.Length, (int)Write(2, bytes, bytes.Length));
    }

    [SkippableFact]
    public void What_native_code_writes_to_descriptor_2_is_captured_and_counted_while_dotnet_writes_pass()
    {
        Skip.IfNot(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS(), "descriptor 2 is captured on Linux and macOS only");
        var native = NativeStandardError.Capture();
        try
        {
            // libtorch stamps each line with the time, so the two differ only in their prefix
            WriteNatively("[W1205 01:08:48.931176553 NNPACK.cpp:56] Could not initialize NNPACK! Reason: Unsupported hardware.\n");
            WriteNatively("[W1205 01:08:48.942417008 NNPACK.cpp:56] Could not initialize NNPACK! Reason: Unsupported hardware.\n");
            Console.Error.WriteLine("a line of the verb's own progress");
        }
        finally
        {
            native.Dispose();
        }
        Assert.Equal(2, native.Lines.Count(l => l.Contains("Could not initialize NNPACK")));
        Assert.DoesNotContain(native.Lines, l => l.Contains("the verb's own progress"));
        Assert.StartsWith("libtorch wrote 2 lines of its own to standard error (1 distinct), e.g. \"[W1205 01:08:48.931176553 NNPACK.cpp:56]", native.Summary("libtorch"));
    }

    [SkippableFact]
    public async Task A_verbs_work_runs_with_native_output_set_aside_and_descriptor_2_comes_back_even_when_the_work_fails()
    {
        Skip.IfNot(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS(), "descriptor 2 is captured on Linux and macOS only");
        var outer = NativeStandardError.Capture(); // stands for the terminal: what reaches descriptor 2 after the verb
        try
        {
            var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => NativeStandardError.AsideAsync<int>("libtorch", () =>
            {
                WriteNatively("written while the work ran\n");
                throw new InvalidOperationException("the work failed");
            }));
            Assert.Equal("the work failed", failure.Message);
            WriteNatively("written after the work\n");
        }
        finally
        {
            outer.Dispose();
        }
        Assert.Contains("written after the work", outer.Lines);
        Assert.DoesNotContain("written while the work ran", outer.Lines);
    }
}
