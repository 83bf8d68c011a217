using LatencyNas.Tests;

namespace LatencyNas.Cli.Tests;

/// <summary>
/// Every numeric option family refuses a non-numeric, an overflowing and a NaN value while parsing:
/// exit code 2, one line naming the option, no stack trace, nothing written.
/// </summary>
public sealed class OptionValidationTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("latnas-options-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>A verb and the arguments it needs besides the option under test, by option family.</summary>
    public static TheoryData<string, string, string> Families()
    {
        var families = new (string Option, string Verb)[]
        {
            ("--count", "space sample"),
            ("--seed", "space sample"),
            ("--batch", "export --arch 333333 --out x.onnx"),
            ("--tolerance", "check-export"),
            ("--session", "profile"),
            ("--max-runs", "profile"),
            ("--precision", "profile"),
            ("--max-seconds", "profile"),
            ("--warmup-seconds", "profile"),
            ("--timeout", "profile"),
            ("--retries", "profile"),
            ("--train-size", "train --device d"),
            ("--target-samples", "adapt --proxy p --targets t"),
            ("--bootstrap", "monotonicity --devices a,b"),
            ("--threshold", "recommend --target t"),
            ("--max-latency", "search --target t --objective o"),
            ("--evaluations", "search --target t --objective o --max-latency 5"),
            ("--repeats", "bench predict --device d"),
            ("--overhead-count", "bench profile"),
        };
        var data = new TheoryData<string, string, string>();
        foreach (var (option, verb) in families)
        {
            foreach (string value in new[] { "abc", "99999999999999999999", "1e999", "NaN" })
            {
                data.Add(verb, option, value);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void A_bad_number_is_one_line_and_exit_2(string verb, string option, string value)
    {
        var result = Latnas.Run([.. verb.Split(' '), option, value, .. StoreFor(verb)]);
        Assert.True(result.ExitCode == 2, result.ToString());
        string line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"latnas: {option}", line);
        Assert.Equal("", result.Stdout);
        Assert.False(Directory.Exists(Path.Combine(_directory, "store")));
    }

    [Theory]
    [InlineData("space sample --count 0", "--count must be between 1")]
    [InlineData("space sample --count -5", "--count must be between 1")]
    [InlineData("space sample --count 20000000", "--count must be between 1 and 10,000,000")]
    [InlineData("profile --precision 0", "--precision must be more than 0")]
    [InlineData("profile --timeout -1", "--timeout must be more than 0")]
    [InlineData("search --target t --objective o --max-latency 0", "--max-latency must be more than 0")]
    [InlineData("search --target t --objective o --max-latency 5,Infinity --sweep --out f.csv", "--max-latency: 'Infinity' is not a finite number")]
    [InlineData("search --target t --objective o --max-latency 5 --strategy greedy", "--strategy: 'greedy' is not one of auto, exhaustive, random, evolution")]
    [InlineData("search --target t --objective o --max-latency 5 --latency guessed", "--latency: 'guessed' is not one of predicted, measured")]
    [InlineData("train --device d --model xgboost", "--model: 'xgboost' is not one of auto, additive, fasttree, lightgbm")]
    [InlineData("adapt --proxy p --targets t --method magic", "--method: 'magic' is not one of none, rescale, proxy-feature, device-mix, device-prior or all")]
    [InlineData("adapt --proxy p --targets t --sampling sorted", "--sampling: 'sorted' is not one of random, spread")]
    [InlineData("import --csv x.csv --unit h", "--unit: 'h' is not one of ms, s, us")]
    [InlineData("profile --device-name a/small", "--device-name: device name 'a/small' must be lower-case letters")]
    [InlineData("profile --input 0x16x52", "input channels 0 is out of range: give 1 to 256")]
    [InlineData("profile --input -1x16x52", "'-1x16x52' is not an input shape: expected channels x height x width")]
    [InlineData("profile --input 1x16", "'1x16' is not an input shape")]
    [InlineData("profile --dataset ninapro --classes 0", "--classes must be between 1 and 100,000")]
    [InlineData("profile --dataset mnist", "Unknown dataset 'mnist'")]
    [InlineData("profile --dataset 1x16x52-0cls", "classes 0 is out of range")]
    [InlineData("space describe --arch 333333 --input 3x5000x5000", "input height 5000 is out of range: give 1 to 1,024")]
    [InlineData("space describe --arch 333333 --dataset imagenet", "nb201 is not defined for dataset 'imagenet'")]
    [InlineData("export --arch 333333 --out x.onnx --input 1x99999999999x2", "input height 99999999999 is out of range")]
    [InlineData("profile --device-name box@cifar100", "Device name 'box@cifar100' says task cifar100, but the device measures cifar10")]
    [InlineData("nonexistentverb", "Unrecognized command or argument 'nonexistentverb'")]
    [InlineData("space sample --sampling spread", "--sampling: 'spread' is not one of random, diverse")]
    [InlineData("profile --retry-failed --give-up-failed", "Invalid profile options: retrying the failed architectures and giving up on them exclude each other")]
    public void Out_of_range_and_unknown_names_are_one_line_and_exit_2(string arguments, string expected)
    {
        var result = Latnas.Run([.. arguments.Split(' '), .. StoreFor(arguments)]);
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.StartsWith($"latnas: {expected}", Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        Assert.False(Directory.Exists(Path.Combine(_directory, "store")));
    }

    /// <summary>A store in a folder that must not come to exist, for the verbs that take one.</summary>
    private string[] StoreFor(string verb)
        => verb.StartsWith("space", StringComparison.Ordinal) || verb.StartsWith("export", StringComparison.Ordinal) ||
           verb.StartsWith("check-export", StringComparison.Ordinal) || verb.StartsWith("bench profile", StringComparison.Ordinal)
            ? []
            : ["--store", Path.Combine(_directory, "store", "latnas.db")];

    [Fact]
    public void Help_shows_defaults_one_way_as_the_user_would_type_them()
    {
        var help = Latnas.Run("search", "--help");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("[default: auto]", help.Stdout);
        Assert.Contains("[default: predicted]", help.Stdout);
        Assert.Contains("[default: 1000]", help.Stdout);
        Assert.DoesNotContain("(default ", help.Stdout);
    }
}
