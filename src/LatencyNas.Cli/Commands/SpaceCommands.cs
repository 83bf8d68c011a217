using System.CommandLine;
using LatencyNas.Core.Spaces;
using LatencyNas.Workflows;

namespace LatencyNas.Cli.Commands;

/// <summary>space describe, space sample: read-only looks at a search space (the Core library answers them directly).</summary>
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
    }

    private static Command Sample()
    {
        var spaceOption = LatnasOptions.Space();
        var countOption = LatnasOptions.Count(10);
        var seedOption = LatnasOptions.Seed();
        var formatOption = LatnasOptions.Choice("--format", "How to print each architecture: arch (the space's text form) or ops (digits).", "arch", ("arch", "arch"), ("ops", "ops"));
        var jsonOption = LatnasOptions.Json();
        var command = new Command("sample", "Print distinct architectures drawn uniformly at random, one a line (reproducible for a seed).")
        {
            spaceOption, countOption, seedOption, formatOption, jsonOption,
        };
        command.SetHandler(parse =>
        {
            var space = parse.SearchSpace(spaceOption);
            var sample = space.SampleDistinct(parse.GetValue(countOption), parse.GetValue(seedOption));
            if (parse.GetValue(jsonOption))
            {
                Json.Write(sample.Select(a => new SampledArchitecture(space.Format(a), a.Digits, space.IndexOf(a))));
                return ExitCodes.Success;
            }
            bool digits = formatOption.ValueIn(parse) == "ops";
            foreach (var architecture in sample)
            {
                Console.WriteLine(digits ? architecture.Digits : space.Format(architecture));
            }
            return ExitCodes.Success;
        });
        return command;
    }
}
