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

    [Fact]
    public void A_device_node_is_written_in_place_not_replaced_by_a_regular_file()
    {
        // Through a link, so that a rename (the defect) would replace the link here, not the machine's /dev/null.
        string link = _directory.File("null-link");
        File.CreateSymbolicLink(link, "/dev/null");

        AtomicFile.WriteAllText(link, "not kept");

        Assert.Equal("/dev/null", new FileInfo(link).LinkTarget);
        Assert.Equal(0, new FileInfo("/dev/null").Length);
        Assert.Empty(Directory.GetFiles(_directory.Path, "*.tmp"));
    }

    [Fact]
    public void A_folder_is_written_whole_or_not_at_all()
    {
        string folder = _directory.File("report");
        var failing = Assert.Throws<InvalidOperationException>(() => AtomicFile.WriteFolder(folder, staging =>
        {
            File.WriteAllText(Path.Combine(staging, "a.csv"), "1");
            throw new InvalidOperationException("the second plot failed");
        }));
        Assert.Equal("the second plot failed", failing.Message);
        Assert.Empty(Directory.GetFileSystemEntries(_directory.Path)); // neither the folder nor its staging

        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "a.csv"), "old");
        File.WriteAllText(Path.Combine(folder, "notes.txt"), "the user's");
        var written = AtomicFile.WriteFolder(folder, staging =>
        {
            string a = Path.Combine(staging, "a.csv"), b = Path.Combine(staging, "b.csv");
            File.WriteAllText(a, "new");
            File.WriteAllText(b, "2");
            return [a, b];
        });

        Assert.Equal([Path.Combine(folder, "a.csv"), Path.Combine(folder, "b.csv")], written);
        Assert.Equal(("new", "2", "the user's"),
            (File.ReadAllText(written[0]), File.ReadAllText(written[1]), File.ReadAllText(Path.Combine(folder, "notes.txt"))));
        Assert.Equal(["report"], Directory.GetFileSystemEntries(_directory.Path).Select(Path.GetFileName));
    }
}
