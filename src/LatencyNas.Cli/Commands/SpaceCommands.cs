using System.CommandLine;
using LatencyNas.Analysis;
using LatencyNas.Core.Spaces;
using LatencyNas.Workflows;

namespace LatencyNas.Cli.Commands;

/// <summary>space describe, space sample: read-only looks at a search space (and, for a diverse sample, at the store's devices).</summary>
internal static class SpaceCommands
{
    public static Command Create()
    {
        var space = new Command("space", "Inspect search spaces and their architectures.");
        space.Subcommands.Add(Describe());
        space.Subcommands.Add(Sample());
        return space;
    }

    internal sealed record SampledArchitecture(string Arch, string Ops, int? Index);

    private static Command Describe()
    {
        var spaceOption = LatnasOptions.Space();
        var archOption = LatnasOptions.Arch();
        var datasetOptions = new DatasetOptions();
        var jsonOption = LatnasOptions.Json();
        var command = new Command("describe", "Print an architecture's canonical forms and analytic features (parameters, MACs, op counts, connectivity).")
        {
            spaceOption, archOption, jsonOption,
        };
        datasetOptions.AddTo(command);
        command.SetHandler(parse =>
        {
            var space = parse.SearchSpace(spaceOption);
            var architecture = space.Parse(parse.GetValue(archOption)!);
            var dataset = datasetOptions.Parse(parse, space)!;
            var description = ArchitectureDescription.Of(space, architecture, dataset);
            if (parse.GetValue(jsonOption))
            {
                Json.Write(description);
                return ExitCodes.Success;
            }
            Write(description);
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>The description as aligned lines, for <c>space describe</c> and <c>show</c>.</summary>
    internal static void Write(ArchitectureDescription description)
    {
        Console.WriteLine($"space         {description.Space}");
        Console.WriteLine($"arch          {description.Arch}");
        Console.WriteLine($"ops           {description.Ops}");
        if (description.Index is { } index)
        {
            Console.WriteLine($"index         #{index}");
        }
        Console.WriteLine($"dataset       {description.Dataset} (input {description.Input}, {description.Classes:N0} classes)");
        Console.WriteLine($"params        {description.Params:N0}");
        Console.WriteLine($"macs          {description.Macs:N0}");
        Console.WriteLine($"op counts     {string.Join(", ", description.OpCounts.Select(p => $"{p.Key} {p.Value}"))}");
        Console.WriteLine($"disconnected  {(description.Disconnected ? "yes" : "no")}");
        // The features a predictor reads besides the choices (README, "What a predictor knows of an NB201 network"), a few to a line.
        foreach (var (line, first) in description.Extra.Select(p => $"{p.Key} {p.Value:0.###}").Chunk(4).Select((chunk, i) => (string.Join(", ", chunk), i == 0)))
        {
            Console.WriteLine($"{(first ? "features" : ""),-14}{line}");
        }
    }

    private static Command Sample()
    {
        var spaceOption = LatnasOptions.Space();
        var countOption = LatnasOptions.Count(10);
        var seedOption = LatnasOptions.Seed();
        var samplingOption = LatnasOptions.Sampling(
            "How they are drawn: random (uniformly), or diverse (where the store's devices disagree most: farthest apart in the leading principal components " +
            "of their log latencies, among the architectures all of them measured) — what to measure first on a new device, so that a few measurements " +
            "tell which known devices it resembles.");
        var devicesOption = LatnasOptions.Devices("--devices", "With --sampling diverse: the devices whose disagreement counts [default: all of the store's on the space].");
        devicesOption.Required = false;
        var storeOption = LatnasOptions.Store();
        var formatOption = LatnasOptions.Choice("--format", "How to print each architecture: arch (the space's text form) or ops (digits).", "arch", ("arch", "arch"), ("ops", "ops"));
        var jsonOption = LatnasOptions.Json();
        var command = new Command("sample", "Print distinct architectures, one a line (reproducible for a seed): drawn uniformly at random, or where the store's devices disagree most.")
        {
            spaceOption, countOption, seedOption, samplingOption, devicesOption, storeOption, formatOption, jsonOption,
        };
        command.SetHandler(parse =>
        {
            var space = parse.SearchSpace(spaceOption);
            var sampling = samplingOption.ValueIn(parse);
            var result = new SampleUseCase().Run(new SampleRequest(space, parse.GetValue(countOption), parse.GetValue(seedOption), sampling, parse.ListOrNull(devicesOption),
                sampling == TargetSampling.Diverse ? parse.StoreLocation(storeOption) : null));
            if (parse.GetValue(jsonOption))
            {
                Json.Write(result.Architectures.Select(a => new SampledArchitecture(space.Format(a), a.Digits, space.IndexOf(a))));
                return ExitCodes.Success;
            }
            bool digits = formatOption.ValueIn(parse) == "ops";
            foreach (var architecture in result.Architectures)
            {
                Console.WriteLine(digits ? architecture.Digits : space.Format(architecture));
            }
            return ExitCodes.Success;
        });
        return command;
    }
}
