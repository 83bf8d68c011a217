using System.CommandLine;
using System.CommandLine.Parsing;
using LatencyNas.Analysis;
using LatencyNas.Analysis.Search;
using LatencyNas.Core.Spaces;
using LatencyNas.Prediction;
using LatencyNas.Profiling.Devices;
using LatencyNas.Workflows;

namespace LatencyNas.Cli;

/// <summary>
/// Every option of every verb, made here so that one concept has one name, one range and one way of
/// showing its default ("[default: …]" in help) across all verbs. Values are checked while parsing:
/// a non-numeric, overflowing, NaN, infinite or out-of-range value is one line and exit code 2.
/// </summary>
internal static class LatnasOptions
{
    // Names used by more than one verb.
    public static Option<int> Count(int defaultValue, string description = "Architectures to draw (distinct, uniformly at random).")
        => Integer("--count", description, defaultValue, InputLimits.Count);

    public static Option<int> Seed(string description = "Random seed.") => Integer("--seed", description, 0, InputLimits.Seed);

    public static Option<int> TargetSamples(string description) => Integer("--target-samples", description, 10, InputLimits.TargetSamples);

    /// <summary>--target-samples where it is optional (no K: no adaptation, or all the target has).</summary>
    public static Option<int?> OptionalTargetSamples(string description) => OptionalInteger("--target-samples", description, InputLimits.TargetSamples);

    public static Option<int> TrainSize() => Integer("--train-size",
        "Measured architectures to train on; the rest are the test set (a device with fewer than 1,250 measurements trains on 80%).",
        PredictorCatalog.DefaultTrainSize, InputLimits.TrainSize);

    public static Option<double> MaxLatency() => Number("--max-latency", "Latency budget on the target, in ms.", null, InputLimits.MaxLatencyMs);

    public static Option<int> Evaluations() => Integer("--evaluations", "Most architectures a search evaluates (random, evolution, shrink).", SearchRequest.DefaultEvaluations, InputLimits.Evaluations);

    public static Option<int> Bootstrap() => Integer("--bootstrap", "Bootstrap resamples for each SRCC 95% interval; 0 gives the analytic interval (Fisher's z with the Bonett–Wright variance), instant.", Monotonicity.DefaultBootstrap, InputLimits.Bootstrap);

    public static Option<double> Threshold(string description) => Number("--threshold", description, Monotonicity.DefaultThreshold, InputLimits.Threshold);

    public static Option<int> Batch(string description = "Batch size of the network input.") => Integer("--batch", description, 1, InputLimits.Batch);

    public static Option<int> Repeats(int defaultValue, string description) => Integer("--repeats", description, defaultValue, InputLimits.Repeats);

    public static Option<string> Space() => Text("--space", $"Search space ({string.Join(", ", SearchSpaces.All.Select(s => s.Name))}).", SearchSpaces.Default.Name);

    public static Option<string> Arch(bool required = true) => new("--arch")
    {
        Description = ArchForms,
        Required = required,
    };

    /// <summary>The forms an architecture may be given in, for every option and argument that takes one.</summary>
    public const string ArchForms = "Architecture: the arch string (|op~0|+|op~0|op~1|+...), its ops digits (e.g. 333133), or #N, its NB201 index (e.g. '#1234'; quote it in a shell).";

    public static Option<string?> Archs(string description = "A file with one architecture a line, in any form of --arch ('#' not followed by a digit starts a comment).")
        => new("--archs") { Description = description };

    public static Option<string?> Store() => new("--store")
    {
        Description = $"The profile store: an SQLite file, or a PostgreSQL database (postgresql://USER@HOST[:PORT]/DATABASE, or a connection string) a lab shares (else ${Workflows.StoreLocation.EnvironmentVariable}, else {Profiling.Store.ProfileStore.DefaultPath}); predictors live beside a file, in a database.",
    };

    public static Option<bool> Json() => new("--json") { Description = "Print the result as JSON instead of text." };

    public static Option<string> Device(string description) => new("--device") { Description = description, Required = true };

    /// <summary>--device for a verb that measures: a descriptor file or a shipped descriptor's name.</summary>
    public static Option<string> DeviceDescriptor(string defaultValue) => Text("--device",
        $"Device descriptor: a JSON file, or the name of a shipped one ({string.Join(", ", DeviceDescriptorReader.EmbeddedNames)}).", defaultValue);

    public static Option<string?> DeviceName(string description) => new("--device-name") { Description = description };

    public static Option<string[]> Devices(string name, string description) => new(name)
    {
        Description = description + " Comma-separated names; 'all' and a trailing * (prefix) are allowed.",
        Required = true,
        CustomParser = result => result.Tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToArray(),
    };

    /// <summary>How the K target samples of an adapted proxy are drawn from the target's measurements (search, pareto).</summary>
    public static ChoiceOption<TargetSampling> TargetSampling() => Sampling(
        "How the K target samples are drawn from the target's measurements: random, or diverse (where the store's other devices disagree most); " +
        "diverse samples are mixed, not cross-validated. Give diverse also when the target holds just the K that `space sample --sampling diverse` chose.");

    /// <summary>--sampling: random or diverse, and spread where a proxy's latency can order the draw (adapt).</summary>
    public static ChoiceOption<TargetSampling> Sampling(string description, bool spread = false) => Choice("--sampling", description, Analysis.TargetSampling.Random,
        [("random", Analysis.TargetSampling.Random), .. spread ? [("spread", Analysis.TargetSampling.Spread)] : Array.Empty<(string, TargetSampling)>(),
         ("diverse", Analysis.TargetSampling.Diverse)]);

    /// <summary>A list option's values, or null when it was not given (System.CommandLine reads an absent list option as an empty one).</summary>
    public static T[]? ListOrNull<T>(this ParseResult parse, Option<T[]> option) => parse.GetValue(option) is { Length: > 0 } values ? values : null;

    public static Option<string> Objective(string description, bool required = true) => new("--objective") { Description = description, Required = required };

    public static Option<string> Out(string description, bool required = true) => new("--out") { Description = description, Required = required };

    public static ChoiceOption<PredictorModel> Model(PredictorModel defaultValue = PredictorModel.Auto) => Choice("--model", "Predictor family (auto cross-validates variants of the others, the additive model with features among them, and keeps the best).", defaultValue,
        ("auto", PredictorModel.Auto), ("additive", PredictorModel.Additive), ("fasttree", PredictorModel.FastTree), ("lightgbm", PredictorModel.LightGbm));

    /// <summary>--model for a verb that uses a saved predictor.</summary>
    public static ChoiceOption<PredictorModel?> SavedModel() => Choice<PredictorModel?>("--model", "Which saved predictor; any takes auto if trained, else the newest.", null,
        ("any", null), ("auto", PredictorModel.Auto), ("additive", PredictorModel.Additive), ("fasttree", PredictorModel.FastTree), ("lightgbm", PredictorModel.LightGbm));

    /// <summary>--method for a verb that uses one adapted model; "default" lets cross-validation on the K samples choose.</summary>
    public static ChoiceOption<AdaptationMethod?> Method() => Choice<AdaptationMethod?>("--method",
        "How the proxy is adapted with the target samples; default: the method whose held-out predictions of the K samples err least (cross-validation; below 6 samples device-mix where the store can mix, else rescale; diverse samples device-prior).", null,
        [("default", null), .. AdaptationMethods.Select(m => (m.Name, (AdaptationMethod?)m.Value))]);

    /// <summary>Every adaptation method by the name the command line spells it, in the order they are tried.</summary>
    public static (string Name, AdaptationMethod Value)[] AdaptationMethods { get; } =
        Enum.GetValues<AdaptationMethod>().Select(m => (ProxyAdaptation.Name(m), m)).ToArray();

    public static ChoiceOption<SearchStrategyKind> Strategy() => Choice("--strategy",
        "Search strategy; auto: exhaustive where the space has at most 1,000,000 members (NB201: 15,625), else evolution. " +
        "shrink: from the costliest member, one decision cheaper at a time (keeping those that lose least objective per ms saved) until the budget is met, then a short refinement.", SearchStrategyKind.Auto,
        ("auto", SearchStrategyKind.Auto), ("exhaustive", SearchStrategyKind.Exhaustive), ("random", SearchStrategyKind.Random), ("evolution", SearchStrategyKind.Evolution),
        ("shrink", SearchStrategyKind.Shrink));

    public static ChoiceOption<LatencyMode> Latency() => Choice("--latency",
        "Without --proxy: predicted (the target's predictor) or measured (its measurements, the predictor where it has none).", LatencyMode.Predicted,
        ("predicted", LatencyMode.Predicted), ("measured", LatencyMode.Measured));

    /// <summary>The value the user gave, or null when the option was left at its default.</summary>
    public static T? Given<T>(this ParseResult parse, Option<T> option) where T : struct
        => parse.GetResult(option) is { Implicit: false } ? parse.GetValue(option) : null;

    /// <param name="fallback">The store when neither the option nor the environment names one (null: the default store).</param>
    public static StoreLocation StoreLocation(this ParseResult parse, Option<string?> option, string? fallback = null)
        => Workflows.StoreLocation.Resolve(parse.GetValue(option), Environment.GetEnvironmentVariable(Workflows.StoreLocation.EnvironmentVariable), fallback);

    public static SearchSpace SearchSpace(this ParseResult parse, Option<string> option) => SearchSpaces.Get(parse.GetValue(option)!);

    public static Option<int> Integer(string name, string description, int defaultValue, int minimum, int maximum)
        => Integer(name, description, defaultValue, new IntegerRange(minimum, maximum));

    /// <summary>An integer in a range the API checks too (<see cref="InputLimits"/>).</summary>
    public static Option<int> Integer(string name, string description, int defaultValue, IntegerRange range)
    {
        var option = new Option<int>(name)
        {
            Description = description,
            CustomParser = result => ParseInteger(result, name, range) ?? range.Minimum,
        };
        option.DefaultValueFactory = _ => defaultValue;
        return option;
    }

    /// <summary>An integer with no default: null when not given.</summary>
    public static Option<int?> OptionalInteger(string name, string description, int minimum, int maximum)
        => OptionalInteger(name, description, new IntegerRange(minimum, maximum));

    /// <summary>An integer with no default, in a range the API checks too: null when not given.</summary>
    public static Option<int?> OptionalInteger(string name, string description, IntegerRange range) => new(name)
    {
        Description = description,
        CustomParser = result => ParseInteger(result, name, range),
    };

    public static Option<double> Number(string name, string description, double? defaultValue, double minimum, double maximum, bool minimumExclusive = false)
        => Number(name, description, defaultValue, new NumberRange(minimum, maximum, minimumExclusive));

    /// <summary>A number in a range the API checks too (<see cref="InputLimits"/>).</summary>
    public static Option<double> Number(string name, string description, double? defaultValue, NumberRange range)
    {
        var option = new Option<double>(name)
        {
            Description = description,
            CustomParser = result => Check(result, name, result.Tokens.Count > 0 ? result.Tokens[^1].Value.Trim() : "", range) ?? 0,
        };
        if (defaultValue is { } value)
        {
            option.DefaultValueFactory = _ => value;
        }
        return option;
    }

    /// <summary>Numbers given as one comma-separated list (or the option repeated).</summary>
    public static Option<double[]> Numbers(string name, string description, double minimum, double maximum, bool minimumExclusive)
        => Numbers(name, description, new NumberRange(minimum, maximum, minimumExclusive));

    /// <summary>Numbers given as one comma-separated list (or the option repeated), each in a range the API checks too.</summary>
    public static Option<double[]> Numbers(string name, string description, NumberRange range) => new(name)
    {
        Description = description,
        CustomParser = result =>
        {
            var values = new List<double>();
            foreach (string item in result.Tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
            {
                if (Check(result, name, item, range) is not { } value)
                {
                    return [];
                }
                values.Add(value);
            }
            return values.ToArray();
        },
    };

    public static Option<string> Text(string name, string description, string defaultValue) => new(name) { Description = description, DefaultValueFactory = _ => defaultValue };

    public static ChoiceOption<T> Choice<T>(string name, string description, T defaultValue, params (string Name, T Value)[] choices)
        => new(name, description, defaultValue, choices);

    /// <summary>Several choices, comma-separated; <c>all</c> selects every one.</summary>
    public static Option<T[]> Choices<T>(string name, string description, params (string Name, T Value)[] choices) => new(name)
    {
        Description = description + $" Comma-separated, or all [default: all].",
        HelpName = string.Join("|", choices.Select(c => c.Name).Append("all")),
        CustomParser = result =>
        {
            var values = new List<T>();
            foreach (string item in result.Tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
            {
                if (item.Equals("all", StringComparison.OrdinalIgnoreCase))
                {
                    values.AddRange(choices.Select(c => c.Value));
                    continue;
                }
                var match = choices.Where(c => c.Name.Equals(item, StringComparison.OrdinalIgnoreCase)).ToList();
                if (match.Count == 0)
                {
                    result.AddError($"{name}: '{item}' is not one of {string.Join(", ", choices.Select(c => c.Name))} or all.");
                    return [];
                }
                values.Add(match[0].Value);
            }
            return values.Distinct().ToArray();
        },
    };

    /// <summary>The option's value, or null with the range's one line as the parse error.</summary>
    private static int? ParseInteger(ArgumentResult result, string name, IntegerRange range)
    {
        var (value, problem) = range.Check(name, result.Tokens.Count > 0 ? result.Tokens[^1].Value.Trim() : "");
        if (problem is not null)
        {
            result.AddError(problem);
        }
        return value;
    }

    private static double? Check(ArgumentResult result, string name, string text, NumberRange range)
    {
        var (value, problem) = range.Check(name, text);
        if (problem is not null)
        {
            result.AddError(problem);
        }
        return value;
    }
}

/// <summary>
/// An option whose value is one of a few names, each standing for a typed value (an enum member). The
/// parsed text stays the name, so help shows "[default: evolution]" as the user would type it.
/// </summary>
internal sealed class ChoiceOption<T> : Option<string>
{
    private readonly (string Name, T Value)[] _choices;

    public ChoiceOption(string name, string description, T defaultValue, (string Name, T Value)[] choices) : base(name)
    {
        _choices = choices;
        string defaultName = choices.First(c => EqualityComparer<T>.Default.Equals(c.Value, defaultValue)).Name;
        Description = description;
        HelpName = string.Join("|", choices.Select(c => c.Name));
        DefaultValueFactory = _ => defaultName;
        Validators.Add(result =>
        {
            string given = result.GetValueOrDefault<string>() ?? "";
            if (!choices.Any(c => c.Name.Equals(given, StringComparison.OrdinalIgnoreCase)))
            {
                result.AddError($"{name}: '{given}' is not one of {string.Join(", ", choices.Select(c => c.Name))}.");
            }
        });
    }

    /// <summary>The typed value of the name given (or of the default).</summary>
    public T ValueIn(ParseResult parse)
    {
        string given = parse.GetValue(this) ?? "";
        return _choices.First(c => c.Name.Equals(given, StringComparison.OrdinalIgnoreCase)).Value;
    }
}
