using LatencyNas.Core.IO;
using LatencyNas.Tests;

namespace LatencyNas.Core.Tests.IO;

public sealed class AtomicFileTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Files_written_together_are_all_written_or_none_replaced()
    {
        string first = _directory.File("first.csv"), second = _directory.File("second.csv");
        File.WriteAllText(first, "old");
        Directory.CreateDirectory(_directory.File("folder"));

        Assert.Throws<InvalidInputException>(() => AtomicFile.WriteTogether(
            [(first, s => s.Write("new"u8)), (_directory.File("folder"), s => s.Write("x"u8))]));
        Assert.Equal("old", File.ReadAllText(first));
        var twice = Assert.Throws<InvalidInputException>(() => AtomicFile.WriteTogether([(second, _ => { }), (second, _ => { })]));
        Assert.Contains("two outputs to one file", twice.Message);
        Assert.False(File.Exists(second));

        AtomicFile.WriteTogether([(first, s => s.Write("new"u8)), (second, s => s.Write("two"u8))]);
        Assert.Equal(("new", "two"), (File.ReadAllText(first), File.ReadAllText(second)));
        Assert.Empty(Directory.GetFiles(_directory.Path, "*.tmp"));
    }

    [Fact]
    public void An_output_folder_is_checked_before_any_work_and_nothing_is_left_by_the_check()
    {
        string file = _directory.File("a-file");
        File.WriteAllText(file, "x");
        Assert.Contains("is a file", Assert.Throws<InvalidInputException>(() => AtomicFile.CheckFolder(file, "--out")).Message);
        Assert.Contains("lies under the file", Assert.Throws<InvalidInputException>(() => AtomicFile.CheckFolder(Path.Combine(file, "sub"), "--out")).Message);

        string nested = _directory.File("not/yet/there");
        AtomicFile.CheckFolder(nested, "--out");
        Assert.False(Directory.Exists(_directory.File("not"))); // checked, not made
        AtomicFile.CheckFolder(_directory.Path, "--out");
        Assert.Equal(["a-file"], Directory.GetFileSystemEntries(_directory.Path).Select(Path.GetFileName));
    }
}
