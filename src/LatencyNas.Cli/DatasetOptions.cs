using System.CommandLine;
using LatencyNas.Core;
using LatencyNas.Core.Spaces;

namespace LatencyNas.Cli;

/// <summary>
/// The task a verb builds networks for, the same three options on every verb that takes one:
/// <c>--dataset</c> names a built-in task (or a custom one, <c>CxHxW-Ncls</c>); <c>--input</c> and
/// <c>--classes</c> give the shape and classes, each replacing the named task's.
/// </summary>
internal sealed class DatasetOptions
{
    private readonly string? _defaultDataset;

    /// <param name="defaultDataset">The task when none of the three is given; null: the verb's own (see <see cref="Parse"/>).</param>
    public DatasetOptions(string? defaultDataset = "cifar10", string description = "Dataset (task) the network is built for")
    {
        string known = string.Join(", ", Dataset.All.Select(d => $"{d.Name} ({d.Input}, {d.Classes:N0})"));
        Name = new Option<string?>("--dataset")
        {
            Description = $"{description}: {known}; nb201 lacks imagenet, fbnet imagenet16-120. " +
                          (defaultDataset is null ? "" : $"[default: {defaultDataset}]"),
            HelpName = "name",
        };
        Input = new Option<string?>("--input") { Description = "The task's input, channels x height x width (e.g. 1x16x52), instead of the dataset's.", HelpName = "CxHxW" };
        Classes = LatnasOptions.OptionalInteger("--classes", "The task's number of classes, instead of the dataset's.", 1, Dataset.MaxClasses);
        _defaultDataset = defaultDataset;
    }

    public Option<string?> Name { get; }

    public Option<string?> Input { get; }

    public Option<int?> Classes { get; }

    public void AddTo(Command command)
    {
        command.Options.Add(Name);
        command.Options.Add(Input);
        command.Options.Add(Classes);
    }

    /// <summary>The task given, or the default one; null when none is given and there is no default.</summary>
    /// <param name="space">The space whose networks must be built for the task (null: any, as for a worker, which measures every space queued).</param>
    /// <exception cref="InvalidInputException">An unknown dataset, a bad shape, or a dataset the space's networks are not built for.</exception>
    public Dataset? Parse(ParseResult parse, SearchSpace? space)
    {
        string? name = parse.GetValue(Name);
        string? input = parse.GetValue(Input);
        int? classes = parse.GetValue(Classes);
        if (name is null && input is null && classes is null && _defaultDataset is null)
        {
            return null;
        }
        name ??= _defaultDataset ?? Dataset.Cifar10.Name;
        return space is null ? Dataset.Parse(name).Reshaped(input, classes) : space.ParseDataset(name, input, classes);
    }
}
