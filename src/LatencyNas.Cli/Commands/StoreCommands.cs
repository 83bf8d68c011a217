using LatencyNas.Core.IO;
using System.CommandLine;
using System.Globalization;
using System.Text;
using LatencyNas.Core;
using LatencyNas.Core.Spaces;
using LatencyNas.Core.Tables;
using LatencyNas.Profiling.Import;
using LatencyNas.Profiling.Store;
using Spectre.Console;

namespace LatencyNas.Cli.Commands;

/// <summary>Verbs that read or fill the profile store without measuring: import, profiles export, devices list.</summary>
internal static class StoreCommands
{
    public static Command Import()
    {
        var csvOption = new Option<string>("--csv") { Description = "Latency table: a CSV with an architecture column and one column per device.", Required = true };
        var spaceOption = CommonOptions.Space();
        var archColumnOption = new Option<string>("--arch-column") { Description = "Column holding architectures in either text form.", DefaultValueFactory = _ => "arch" };
        var columnsOption = new Option<string?>("--columns") { Description = "Comma-separated device columns to import (default: every numeric column except index, id, ops, arch)." };
        var objectivesOption = new Option<string?>("--objectives") { Description = "Comma-separated columns to import as objectives (higher is better, e.g. cifar10_test_acc) instead of devices." };
        var prefixOption = new Option<string>("--prefix") { Description = "Prefix of the device names, e.g. \"help:\" (none by default).", DefaultValueFactory = _ => "" };
        var datasetOption = CommonOptions.Dataset();
        datasetOption.Description = "Dataset the table was measured for.";
        var unitOption = new Option<string>("--unit") { Description = "Unit of the values: ms (default), s or us.", DefaultValueFactory = _ => "ms" };
        unitOption.AcceptOnlyFromAmong("ms", "s", "us");
        var storeOption = CommonOptions.Store();
        var command = new Command("import", "Import an external latency table (each device column becomes a device of kind \"table\"), or objective columns such as accuracy.")
        {
            csvOption, spaceOption, archColumnOption, columnsOption, objectivesOption, prefixOption, datasetOption, unitOption, storeOption,
        };
        command.SetHandler(parse =>
        {
            var space = SearchSpaces.Get(parse.GetValue(spaceOption)!);
            string csv = parse.GetValue(csvOption)!;
            if (!File.Exists(csv))
            {
                throw new InvalidInputException($"No latency table at '{csv}'.");
            }
            string? objectives = parse.GetValue(objectivesOption);
            if (objectives is not null && parse.GetValue(columnsOption) is not null)
            {
                throw new InvalidInputException("Give --columns (devices) or --objectives, not both.");
            }
            var import = new LatencyTableImport
            {
                CsvPath = csv,
                Space = space,
                ArchitectureColumn = parse.GetValue(archColumnOption)!,
                Columns = (objectives ?? parse.GetValue(columnsOption))?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                AsObjectives = objectives is not null,
                Prefix = parse.GetValue(prefixOption)!,
                Dataset = space.ParseDataset(parse.GetValue(datasetOption)!),
                ToMilliseconds = parse.GetValue(unitOption) switch { "s" => 1000, "us" => 0.001, _ => 1 },
            };
            using var store = ProfileStore.Open(parse.GetValue(storeOption)!);
            var imported = LatencyTableImporter.Import(store, import);
            foreach (var column in imported)
            {
                Console.WriteLine($"{column.Name,-28} {column.Values,7:N0} values{(column.Empty > 0 ? $" ({column.Empty:N0} empty cells skipped)" : "")}");
            }
            Console.WriteLine($"imported {imported.Count} {(import.AsObjectives ? "objectives" : "devices")} from {csv} into {store.Path}");
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command Profiles()
    {
        var profiles = new Command("profiles", "Read measurements back out of the profile store.");
        var deviceOption = new Option<string>("--device") { Description = "Device name in the store.", Required = true };
        var outOption = new Option<string>("--out") { Description = "CSV file to write.", Required = true };
        var spaceOption = new Option<string?>("--space") { Description = "Only this space's architectures (default all)." };
        var storeOption = CommonOptions.Store();
        var export = new Command("export", "Write a device's measurements (statistics and failures) as CSV.") { deviceOption, outOption, spaceOption, storeOption };
        export.SetHandler(parse =>
        {
            using var store = ProfileStore.Open(parse.GetValue(storeOption)!, createIfMissing: false);
            var device = store.GetDevice(parse.GetValue(deviceOption)!);
            string? space = parse.GetValue(spaceOption) is { } name ? SearchSpaces.Get(name).Name : null;
            var measurements = store.ReadMeasurements(device, space);
            var csv = new StringBuilder("space,arch,ops,session,status,median_ms,mean_ms,min_ms,p10_ms,p90_ms,iqr_ms,cv,runs,precision_met,ci_half_width,warmup_runs,warmup_settled,session_ms,failure,agent,measured_at\n");
            foreach (var m in measurements)
            {
                csv.AppendJoin(',',
                    m.Space, CsvTable.Escape(m.Arch), m.Digits, Text(m.Session), m.Ok ? "ok" : "failed",
                    Text(m.MedianMs), Text(m.MeanMs), Text(m.MinMs), Text(m.P10Ms), Text(m.P90Ms), Text(m.IqrMs), Text(m.Cv), Text(m.Runs),
                    Text(m.PrecisionMet), Text(m.CiHalfWidthRelative), Text(m.WarmupRuns), Text(m.WarmupSettled), Text(m.SessionMs),
                    CsvTable.Escape(m.Failure ?? ""), CsvTable.Escape(m.Agent ?? ""), m.MeasuredAt.ToString("O", CultureInfo.InvariantCulture)).Append('\n');
            }
            string path = parse.GetValue(outOption)!;
            AtomicFile.WriteAllText(path, csv.ToString());
            Console.WriteLine($"wrote {measurements.Count:N0} measurements of {device.Name} to {path}");
            return ExitCodes.Success;
        });
        profiles.Subcommands.Add(export);
        return profiles;
    }

    public static Command Devices()
    {
        var devices = new Command("devices", "The devices in the profile store.");
        var storeOption = CommonOptions.Store();
        var jsonOption = CommonOptions.Json();
        var list = new Command("list", "List live, remote and imported devices with their measurement counts.") { storeOption, jsonOption };
        list.SetHandler(parse =>
        {
            using var store = ProfileStore.Open(parse.GetValue(storeOption)!, createIfMissing: false);
            var summaries = store.ListDevices();
            if (parse.GetValue(jsonOption))
            {
                Json.Write(summaries.Select(s => new
                {
                    name = s.Device.Name,
                    kind = s.Device.Kind.ToString().ToLowerInvariant(),
                    measured = s.Measured,
                    failed = s.Failed,
                    runtime = s.Device.Fingerprint?.Runtime,
                    provider = s.Device.Fingerprint?.Provider,
                    threads = s.Device.Fingerprint?.Threads,
                    cpu = s.Device.Fingerprint?.CpuModel,
                    source = s.Device.Source,
                }));
                return ExitCodes.Success;
            }
            var table = new Table().Border(TableBorder.Simple)
                .AddColumns("device", "kind", "measured", "failed", "setting", "host / source");
            foreach (var s in summaries)
            {
                var f = s.Device.Fingerprint;
                table.AddRow(
                    Markup.Escape(s.Device.Name),
                    s.Device.Kind.ToString().ToLowerInvariant(),
                    s.Measured.ToString("N0", CultureInfo.InvariantCulture),
                    s.Failed.ToString("N0", CultureInfo.InvariantCulture),
                    Markup.Escape(f is null ? $"{s.Device.Dataset} {s.Device.Resolution}px" : $"{f.Runtime} {f.Provider} {f.Threads}t {f.Optimization} b{f.BatchSize} {f.Resolution}px"),
                    Markup.Escape(f is null ? Path.GetFileName(s.Device.Source ?? "") : $"{f.CpuModel} ({f.Cores} cores)"));
            }
            AnsiConsole.Write(table);
            Console.WriteLine($"{summaries.Count} devices in {store.Path}");
            return ExitCodes.Success;
        });
        devices.Subcommands.Add(list);
        return devices;
    }

    private static string Text(double? value) => value?.ToString("G9", CultureInfo.InvariantCulture) ?? "";

    private static string Text(int? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "";

    private static string Text(bool? value) => value is null ? "" : value.Value ? "true" : "false";
}
