using System.Globalization;
using System.Reflection;
using LatencyNas.Analysis.Reports;
using LatencyNas.Core;
using LatencyNas.Core.Statistics;
using LatencyNas.Tests;

namespace LatencyNas.Workflows.Tests;

/// <summary>What a report writes, checked against the shared tables read here independently of the product.</summary>
[Collection(RealStoreCollection.Name)]
public sealed class ReportUseCaseTests(RealStore real) : IDisposable
{
    private static readonly string[] Devices = ["pixel3", "raspi4", "eyeriss"];

    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private ReportResult Report(string folder, string? commandLine = null)
        => new ReportUseCase().Run(new ReportRequest(Devices, folder, RealStore.Space, real.Location, "cifar10_test_acc", Bootstrap: 10, CommandLine: commandLine));

    /// <summary>Rows of a report CSV; its fields are never quoted (device names and NB201's canonical form hold no comma).</summary>
    private static (string[] Header, List<string[]> Rows) ReadCsv(string path)
    {
        string[] lines = File.ReadAllLines(path);
        Assert.DoesNotContain(lines, l => l.Contains('"'));
        return (lines[0].Split(','), lines.Skip(1).Select(l => l.Split(',')).ToList());
    }

    private static double Number(string text) => double.Parse(text, CultureInfo.InvariantCulture);

    [Fact]
    public void The_heatmap_csv_is_the_srcc_matrix_of_the_tables()
    {
        string folder = _directory.File("report");
        Report(folder);
        var (header, rows) = ReadCsv(Path.Combine(folder, "srcc-heatmap.csv"));
        Assert.Equal(["device", .. Devices], header);
        Assert.Equal(Devices, rows.Select(r => r[0]));
        var ops = real.Help.Keys.ToList();
        for (int i = 0; i < Devices.Length; i++)
        {
            for (int j = 0; j < Devices.Length; j++)
            {
                double expected = RankCorrelation.Spearman(ops.Select(o => real.Latency(Devices[i], o)).ToList(), ops.Select(o => real.Latency(Devices[j], o)).ToList());
                Assert.Equal(expected, Number(rows[i][j + 1]), 12);
            }
        }
    }

    [Fact]
    public void The_fronts_csv_holds_each_true_front_in_latency_order_and_marks_what_the_plot_leaves_out()
    {
        string folder = _directory.File("report");
        Report(folder);
        var (header, rows) = ReadCsv(Path.Combine(folder, "pareto-fronts.csv"));
        Assert.Equal(["device", "latency_ms", "objective", "arch", "ops", "drawn"], header);

        // The floor the plot is drawn from: the 10th percentile of the accuracies, by linear interpolation between ranks.
        double[] accuracies = real.Accuracy.Values.Order().ToArray();
        double position = 0.10 * (accuracies.Length - 1);
        int below = (int)position;
        double floor = accuracies[below] + (position - below) * (accuracies[below + 1] - accuracies[below]);

        foreach (string device in Devices)
        {
            var front = rows.Where(r => r[0] == device).ToList();
            Assert.NotEmpty(front);
            for (int k = 1; k < front.Count; k++)
            {
                // Both rise along a front, except between twins (the same latency and accuracy), which are both on it.
                bool twin = Number(front[k][1]) == Number(front[k - 1][1]) && Number(front[k][2]) == Number(front[k - 1][2]);
                Assert.True(twin || Number(front[k][1]) > Number(front[k - 1][1]), $"{device}: latency falls at row {k}");
                Assert.True(twin || Number(front[k][2]) > Number(front[k - 1][2]), $"{device}: objective falls at row {k}");
            }
            var latency = real.Accuracy.Keys.ToDictionary(o => o, o => real.Latency(device, o));
            foreach (var member in front)
            {
                string ops = member[4];
                Assert.Equal(latency[ops], Number(member[1]), 12);
                Assert.Equal(real.Accuracy[ops], Number(member[2]), 12);
                Assert.Equal(ops, RealStore.Space.Parse(member[3]).Digits);
                Assert.DoesNotContain(latency.Keys, other => latency[other] < latency[ops] && real.Accuracy[other] > real.Accuracy[ops]);
                Assert.Equal(real.Accuracy[ops] >= floor ? "true" : "false", member[5]);
            }
            // Nothing is missing: each point of the front (the fastest of each accuracy level that no other beats) is there.
            int expectedSize = latency.Keys.OrderBy(o => latency[o]).ThenByDescending(o => real.Accuracy[o])
                .Aggregate((Best: double.NegativeInfinity, Count: 0), (s, o) => real.Accuracy[o] > s.Best ? (real.Accuracy[o], s.Count + 1) : s).Count;
            var positions = front.Select(r => (Number(r[1]), Number(r[2]))).ToHashSet();
            Assert.Equal(expectedSize, positions.Count);
            // And every twin of a member (the same latency and accuracy) is on the front too.
            Assert.Equal(latency.Keys.Count(o => positions.Contains((latency[o], real.Accuracy[o]))), front.Count);
        }
        // The pruned cell that used to stretch the axes: pixel3 measures 022000 at 0.003 ms with 10% accuracy.
        var pruned = Assert.Single(rows, r => r[0] == "pixel3" && r[5] == "false");
        Assert.Equal("022000", pruned[4]);
        Assert.True(Number(pruned[1]) < 0.01);
    }

    [Fact]
    public void The_scatter_csv_pairs_the_proxy_and_target_latency_of_every_shared_architecture()
    {
        string folder = _directory.File("report");
        var result = Report(folder);
        Assert.Equal(("pixel3", "raspi4"), (result.Proxy, result.Target));
        var (header, rows) = ReadCsv(Path.Combine(folder, "proxy-target-scatter.csv"));
        Assert.Equal(["arch", "ops", "proxy_ms", "target_ms"], header);
        Assert.Equal(real.Help.Keys.Order(), rows.Select(r => r[1]).Order());
        Assert.All(rows, r =>
        {
            Assert.Equal(real.Latency("pixel3", r[1]), Number(r[2]), 12);
            Assert.Equal(real.Latency("raspi4", r[1]), Number(r[3]), 12);
        });
    }

    [Fact]
    public void The_index_names_command_version_store_and_time_and_links_every_file_it_shows()
    {
        string folder = _directory.File("report");
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        const string command = "latnas report --devices pixel3,raspi4,eyeriss --out 'my report'";
        var result = Report(folder, command);
        var after = DateTimeOffset.UtcNow;
        string html = File.ReadAllText(Path.Combine(folder, "index.html"));

        Assert.Contains("latnas report --devices pixel3,raspi4,eyeriss --out &#39;my report&#39;", html);
        string version = typeof(ReportUseCase).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;
        Assert.Equal(version, result.Version);
        Assert.Contains($"<td>{version}</td>", html);
        Assert.Contains(Path.GetFullPath(real.Location.Path), html);
        Assert.InRange(result.CreatedUtc, before, after);
        Assert.Contains($"datetime=\"{result.CreatedUtc.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}\"", html);

        var links = System.Text.RegularExpressions.Regex.Matches(html, "(?:href|src)=\"([^\"]+)\"").Select(m => m.Groups[1].Value).Where(l => !l.StartsWith("data:")).ToHashSet();
        var written = result.Files.Select(f => Path.GetFileName(f)).Where(f => f != "index.html").ToHashSet();
        Assert.Equal(9, written.Count);
        Assert.Equal(written, links);
        // The page says what the fronts leave out.
        Assert.Contains("pixel3 <code>022000</code>", html);

        Report(folder);
        Assert.Contains("not recorded", File.ReadAllText(Path.Combine(folder, "index.html")));
    }

    [Fact]
    public void An_objective_that_no_shared_architecture_has_is_refused()
    {
        var store = real.Copy(_directory);
        string objectives = _directory.File("other.csv");
        File.WriteAllLines(objectives, ["arch,other", "000000,1"]);
        new ImportUseCase().Run(new ImportRequest(objectives, RealStore.Space, Core.Spaces.Dataset.Cifar10, store, Objectives: ["other"]));
        string tiny = _directory.File("tiny-only");
        Assert.DoesNotContain(RealStore.Space.SampleDistinct(20, seed: 99), a => a.Digits == "000000"); // the architectures "tiny" holds
        var error = Assert.Throws<InvalidInputException>(() => new ReportUseCase().Run(
            new ReportRequest(["tiny", "pixel3"], tiny, RealStore.Space, store, "other", Bootstrap: 0)));
        Assert.Contains("'other' has no value", error.Message);
        Assert.False(Directory.Exists(tiny));
    }
}
