using System.CommandLine;
using System.Globalization;
using LatencyNas.Workflows;
using Spectre.Console;

namespace LatencyNas.Cli.Commands;

/// <summary>Verbs that read or fill the profile store without measuring: import, profiles export, devices list.</summary>
internal static class StoreCommands
{
    public static Command Import()
    {
        var csvOption = new Option<string>("--csv") { Description = "A table with an architecture column and one column per device (or objective).", Required = true };
        var spaceOption = LatnasOptions.Space();
        var archColumnOption = LatnasOptions.Text("--arch-column", "Column holding architectures in either text form.", "arch");
        var columnsOption = new Option<string?>("--columns") { Description = "Comma-separated device columns to import [default: every numeric column except index, id, ops, arch]." };
        var objectivesOption = new Option<string?>("--objectives") { Description = "Comma-separated columns to import as objectives (higher is better, e.g. cifar10_test_acc) instead of devices." };
        var prefixOption = LatnasOptions.Text("--prefix", "Prefix of the imported names, e.g. \"help:\".", "");
        var datasetOptions = new DatasetOptions(description: "Dataset the table was measured for");
        var unitOption = LatnasOptions.Choice("--unit", "Unit of the latency values.", LatencyUnit.Milliseconds,
            ("ms", LatencyUnit.Milliseconds), ("s", LatencyUnit.Seconds), ("us", LatencyUnit.Microseconds));
        var skipOption = new Option<bool>("--skip-bad-cells")
        {
            Description = "Leave out cells that are not a positive finite number (a number, for objectives) and count them, instead of refusing the table.",
        };
        var storeOption = LatnasOptions.Store();
        var jsonOption = LatnasOptions.Json();
        var command = new Command("import", "Import an external latency table (each device column becomes a device of kind \"table\"), or objective columns such as accuracy.")
        {
            csvOption, spaceOption, archColumnOption, columnsOption, objectivesOption, prefixOption, unitOption, skipOption, storeOption, jsonOption,
        };
        datasetOptions.AddTo(command);
        command.SetHandler(parse =>
        {
            var space = parse.SearchSpace(spaceOption);
            var result = new ImportUseCase().Run(new ImportRequest(
                parse.GetValue(csvOption)!, space, datasetOptions.Parse(parse, space)!, parse.StoreLocation(storeOption),
                parse.GetValue(archColumnOption)!, List(parse.GetValue(columnsOption)), List(parse.GetValue(objectivesOption)), parse.GetValue(prefixOption)!,
                unitOption.ValueIn(parse), parse.GetValue(skipOption)));
            if (parse.GetValue(jsonOption))
            {
                Json.Write(result);
                return ExitCodes.Success;
            }
            foreach (var column in result.Columns)
            {
                Console.WriteLine($"{column.Name,-28} {column.Values,7:N0} values{(column.Empty > 0 ? $" ({column.Empty:N0} empty cells skipped)" : "")}");
                if (column.ReplacedSource is { } replaced)
                {
                    Console.WriteLine($"  its values imported from {replaced} are replaced where this table has one; train its predictors again");
                }
            }
            Console.WriteLine($"imported {result.Columns.Count} {(result.Columns.Count == 1 ? result.Imported.TrimEnd('s') : result.Imported)} from {result.Csv} into {result.Store}");
            if (result.Skipped is { Count: > 0 } skipped)
            {
                var first = skipped[0];
                Console.WriteLine($"  skipped {skipped.Count:N0} cells that were not valid values, e.g. line {first.Line}, column '{first.Column}': '{first.Text}'");
            }
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command Profiles()
    {
        var profiles = new Command("profiles", "Read measurements back out of the profile store.");
        var deviceOption = LatnasOptions.Device("Device name in the store.");
        var outOption = LatnasOptions.Out("File to write (CSV, or Parquet with --format parquet).");
        var spaceOption = new Option<string?>("--space") { Description = "Only this space's architectures [default: all]." };
        var visitsOption = new Option<string?>("--visits") { Description = "Also write every visit of the interleaved measurements to this file (same format), to recompute or audit an estimate." };
        var formatOption = LatnasOptions.Choice("--format", "csv, or parquet (typed columns, nulls for missing values) for pandas, polars or DuckDB to read directly.",
            ExportFormat.Csv, ("csv", ExportFormat.Csv), ("parquet", ExportFormat.Parquet));
        var storeOption = LatnasOptions.Store();
        var jsonOption = LatnasOptions.Json();
        var export = new Command("export", "Write a device's measurements (statistics and failures) as CSV or Parquet.")
        {
            deviceOption, outOption, spaceOption, visitsOption, formatOption, storeOption, jsonOption,
        };
        export.SetHandler(parse =>
        {
            var space = parse.GetValue(spaceOption) is { } name ? Core.Spaces.SearchSpaces.Get(name) : null;
            var result = new ProfilesExportUseCase().Run(new ProfilesExportRequest(parse.GetValue(deviceOption)!, parse.GetValue(outOption)!, parse.StoreLocation(storeOption),
                space, parse.GetValue(visitsOption), formatOption.ValueIn(parse)));
            if (parse.GetValue(jsonOption))
            {
                Json.Write(result);
            }
            else
            {
                Console.WriteLine($"wrote {result.Measurements:N0} measurements of {result.Device} ({result.Failed:N0} failed) to {result.Out}" +
                                  (result.VisitsOut is null ? "" : $", and their {result.Visits:N0} visits to {result.VisitsOut}"));
            }
            return ExitCodes.Success;
        });
        profiles.Subcommands.Add(export);
        return profiles;
    }

    public static Command Store()
    {
        var store = new Command("store", "The profile store as a whole.");
        var fromOption = new Option<string>("--from") { Description = "The store to copy: an SQLite file, or a PostgreSQL URL or connection string.", Required = true };
        var toOption = new Option<string>("--to") { Description = "The store to copy into (created when missing): an SQLite file, or a PostgreSQL URL or connection string.", Required = true };
        var jsonOption = LatnasOptions.Json();
        var copy = new Command("copy",
            "Copy every device, measurement (with its visits), reference latency, objective and queued architecture into another store, between any two backends. " +
            "A device at a time: run it again after a stop and it goes on; nothing is duplicated. Predictors are not copied (train them again on the target).")
        {
            fromOption, toOption, jsonOption,
        };
        copy.SetHandler(parse =>
        {
            bool json = parse.GetValue(jsonOption);
            var progress = new Synchronous<string>(device => Console.Error.WriteLine($"copied {device}"));
            var result = new StoreCopyUseCase().Run(new StoreCopyRequest(new StoreLocation(parse.GetValue(fromOption)!), new StoreLocation(parse.GetValue(toOption)!)), progress);
            if (json)
            {
                Json.Write(result);
            }
            else
            {
                Console.WriteLine($"copied {result.Devices} devices from {result.From} to {result.To}: {result.Measurements:N0} measurements " +
                                  $"({result.AlreadyThere:N0} were there already), {result.Visits:N0} visits, {result.Objectives:N0} objective values, {result.Queued:N0} queued architectures");
            }
            return ExitCodes.Success;
        });
        store.Subcommands.Add(copy);
        return store;
    }

    public static Command Devices()
    {
        var devices = new Command("devices", "The devices in the profile store.");
        var storeOption = LatnasOptions.Store();
        var jsonOption = LatnasOptions.Json();
        var list = new Command("list", "List live, remote and imported devices with their measurement counts.") { storeOption, jsonOption };
        list.SetHandler(parse =>
        {
            var result = new DevicesListUseCase().Run(new DevicesListRequest(parse.StoreLocation(storeOption)));
            if (parse.GetValue(jsonOption))
            {
                Json.Write(result);
                return ExitCodes.Success;
            }
            var table = new Table().Border(TableBorder.Simple).AddColumns("device", "kind", "measured", "failed", "sessions", "setting", "host / source");
            foreach (var d in result.Devices)
            {
                table.AddRow(
                    Markup.Escape(d.Name),
                    d.Kind,
                    d.Measured.ToString("N0", CultureInfo.InvariantCulture),
                    d.Failed.ToString("N0", CultureInfo.InvariantCulture),
                    d.Sessions.ToString(CultureInfo.InvariantCulture),
                    Markup.Escape(d.Runtime is null ? $"{d.Dataset} {d.Input}" : $"{d.Runtime} {d.Provider} {d.Threads}t {d.Optimization} b{d.Batch} {d.Dataset} {d.Input}"),
                    Markup.Escape(d.Cpu is null ? Path.GetFileName(d.Source ?? "") : $"{d.Cpu} ({d.Cores} cores)"));
            }
            AnsiConsole.Write(table);
            Console.WriteLine($"{result.Devices.Count} devices in {result.Store}");
            return ExitCodes.Success;
        });
        devices.Subcommands.Add(list);
        return devices;
    }

    public static Command Show()
    {
        var archArgument = new Argument<string>("ARCH") { Description = LatnasOptions.ArchForms };
        var datasetOptions = new DatasetOptions(description: "Dataset the analytic features are computed for");
        var spaceOption = LatnasOptions.Space();
        var storeOption = LatnasOptions.Store();
        var jsonOption = LatnasOptions.Json();
        var command = new Command("show", "Everything the store knows about one architecture: its forms and features, each device's measured and predicted latency, its objectives.")
        {
            archArgument, spaceOption, storeOption, jsonOption,
        };
        datasetOptions.AddTo(command);
        command.SetHandler(parse =>
        {
            var space = parse.SearchSpace(spaceOption);
            var result = new ShowUseCase().Run(new ShowRequest(space.Parse(parse.GetValue(archArgument)!), space, parse.StoreLocation(storeOption),
                datasetOptions.Parse(parse, space)!));
            if (parse.GetValue(jsonOption))
            {
                Json.Write(result);
                return ExitCodes.Success;
            }
            SpaceCommands.Write(result.Architecture);
            foreach (var objective in result.Objectives)
            {
                Console.WriteLine($"objective     {objective.Name} {objective.Value.ToString("G6", CultureInfo.InvariantCulture)}");
            }
            var table = new Table().Border(TableBorder.Simple).AddColumns("device", "kind", "measured ms", "measurements", "failures", "predicted ms", "predictor");
            foreach (var d in result.Devices)
            {
                table.AddRow(Markup.Escape(d.Device), d.Kind, Ms(d.MeasuredMs), d.Measurements.ToString(CultureInfo.InvariantCulture),
                    d.Failures == 0 ? "0" : Markup.Escape($"{d.Failures} ({d.LastFailure})"), Ms(d.PredictedMs), d.Predictor ?? "");
            }
            AnsiConsole.Write(table);
            Console.WriteLine($"{result.Devices.Count(d => d.MeasuredMs is not null)} of {result.Devices.Count} devices in {result.Store} measured it; " +
                              $"{result.Devices.Count(d => d.PredictedMs is not null)} predicted it with a saved predictor");
            return ExitCodes.Success;
        });
        return command;

        static string Ms(double? value) => value?.ToString("F4", CultureInfo.InvariantCulture) ?? "";
    }

    internal static IReadOnlyList<string>? List(string? text)
        => text?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
