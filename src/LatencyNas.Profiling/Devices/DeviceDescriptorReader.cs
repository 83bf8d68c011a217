using System.Reflection;
using System.Text.Json;
using LatencyNas.Core;
using LatencyNas.Core.Spaces;
using LatencyNas.Profiling.Runners;
using LatencyNas.Profiling.Timing;

namespace LatencyNas.Profiling.Devices;

/// <summary>
/// Reads and validates device descriptors. Every problem in a file is collected and reported in
/// one message, so a user fixes the file once, not once per field.
/// </summary>
public static partial class DeviceDescriptorReader
{
    private const string EmbeddedPrefix = "devices/";

    private static readonly string[] KnownFields =
    [
        "name", "description", "runtime", "provider", "threads", "optimization", "spinning", "batch",
        "dataset", "resolution", "device_index", "protocol", "remote", "sleep",
    ];

    /// <summary>Names of the descriptors shipped inside the binary (the repository's devices/*.json).</summary>
    public static IReadOnlyList<string> EmbeddedNames { get; } = typeof(DeviceDescriptorReader).Assembly
        .GetManifestResourceNames()
        .Where(n => n.StartsWith(EmbeddedPrefix, StringComparison.Ordinal) && n.EndsWith(".json", StringComparison.Ordinal))
        .Select(n => n[EmbeddedPrefix.Length..^".json".Length])
        .Order(StringComparer.Ordinal)
        .ToArray();

    /// <summary>
    /// Resolves what a user typed after <c>--device</c>: a path to a JSON file, or the name of a
    /// shipped descriptor (e.g. <c>ort-cpu-1t</c>).
    /// </summary>
    /// <exception cref="InvalidInputException">No such file or shipped device, or the descriptor is invalid.</exception>
    public static DeviceDescriptor Resolve(string pathOrName)
    {
        if (File.Exists(pathOrName))
        {
            return ReadFile(pathOrName);
        }
        if (EmbeddedNames.Contains(pathOrName))
        {
            using var stream = typeof(DeviceDescriptorReader).Assembly.GetManifestResourceStream(EmbeddedPrefix + pathOrName + ".json")!;
            using var reader = new StreamReader(stream);
            return Parse(reader.ReadToEnd(), $"embedded:{pathOrName}");
        }
        throw new InvalidInputException(
            $"No device descriptor file '{pathOrName}' and no shipped device of that name. Shipped devices: {string.Join(", ", EmbeddedNames)}.");
    }

    public static DeviceDescriptor ReadFile(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new InvalidInputException($"Cannot read device descriptor '{path}': {error.Message}");
        }
        return Parse(text, path);
    }

    /// <exception cref="DeviceDescriptorException">The text is not JSON or some fields are invalid; all are named.</exception>
    public static DeviceDescriptor Parse(string json, string source)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true, AllowDuplicateProperties = false });
        }
        catch (JsonException error)
        {
            throw new DeviceDescriptorException(source, [$"not valid JSON ({error.Message})"]);
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new DeviceDescriptorException(source, ["the top level must be a JSON object"]);
            }
            var fields = new Fields(document.RootElement);
            var problems = fields.Problems;
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (!KnownFields.Contains(property.Name))
                {
                    problems.Add($"unknown field '{property.Name}' (known: {string.Join(", ", KnownFields)})");
                }
            }

            string? name = fields.String("name", required: true);
            if (name is not null && DeviceName.Problem(name) is { } problem)
            {
                problems.Add(problem);
            }
            var runtime = fields.Choice("runtime", required: true, ("onnxruntime", DeviceRuntime.OnnxRuntime), ("torchsharp", DeviceRuntime.TorchSharp), ("remote", DeviceRuntime.Remote), ("sleep", DeviceRuntime.Sleep));
            var provider = fields.Choice("provider", required: false, ("cpu", ExecutionProvider.Cpu), ("cuda", ExecutionProvider.Cuda)) ?? ExecutionProvider.Cpu;
            int threads = fields.Integer("threads", 1, minimum: 1, maximum: 1024);
            string optimization = fields.String("optimization", required: false) ?? (runtime == DeviceRuntime.TorchSharp ? "eager" : "all");
            if (runtime == DeviceRuntime.TorchSharp && optimization != "eager")
            {
                problems.Add($"optimization '{optimization}' does not apply to torchsharp; use eager");
            }
            else if (runtime is DeviceRuntime.OnnxRuntime or DeviceRuntime.Remote && !OrtSettings.Optimizations.Contains(optimization))
            {
                problems.Add($"optimization '{optimization}' is not one of {string.Join(", ", OrtSettings.Optimizations)}");
            }
            bool spinning = fields.Boolean("spinning", false);
            int batch = fields.Integer("batch", 1, minimum: 1, maximum: 65_536);
            Dataset dataset = Dataset.Cifar10;
            if (fields.String("dataset", required: false) is { } datasetName)
            {
                try
                {
                    dataset = Dataset.Parse(datasetName);
                }
                catch (InvalidInputException error)
                {
                    problems.Add(error.Message.TrimEnd('.'));
                }
            }
            int resolution = fields.Integer("resolution", dataset.Height, minimum: 4, maximum: Dataset.MaxSide);
            try
            {
                dataset = dataset.AtResolution(resolution);
            }
            catch (InvalidInputException error)
            {
                problems.Add(error.Message.TrimEnd('.'));
            }
            int deviceIndex = fields.Integer("device_index", 0, minimum: 0, maximum: 64);
            var protocol = fields.Object("protocol") is { } protocolElement ? ReadProtocol(protocolElement, problems) : null;
            var remote = fields.Object("remote") is { } remoteElement ? ReadRemote(remoteElement, problems) : null;
            if (runtime == DeviceRuntime.Remote && remote is null && !fields.Has("remote"))
            {
                problems.Add("runtime remote needs a 'remote' object with 'endpoints'");
            }
            if (runtime != DeviceRuntime.Remote && fields.Has("remote"))
            {
                problems.Add($"'remote' applies only to runtime remote");
            }
            var sleep = fields.Object("sleep") is { } sleepElement ? ReadSleep(sleepElement, problems) : null;
            if (runtime == DeviceRuntime.Sleep && sleep is null && !fields.Has("sleep"))
            {
                problems.Add("runtime sleep needs a 'sleep' object with 'ms'");
            }
            if (runtime != DeviceRuntime.Sleep && fields.Has("sleep"))
            {
                problems.Add("'sleep' applies only to runtime sleep");
            }
            if (problems.Count > 0)
            {
                throw new DeviceDescriptorException(source, problems);
            }
            return new DeviceDescriptor
            {
                Name = name!,
                Description = fields.String("description", required: false),
                Runtime = runtime!.Value,
                Provider = provider,
                Threads = threads,
                Optimization = optimization,
                Spinning = spinning,
                BatchSize = batch,
                Dataset = dataset,
                DeviceIndex = deviceIndex,
                Protocol = protocol,
                Remote = remote,
                Sleep = sleep,
                Source = source,
            };
        }
    }

    private static MeasurementProtocol? ReadProtocol(JsonElement element, List<string> problems)
    {
        var fields = new Fields(element, "protocol.");
        var mode = fields.Choice("mode", required: false, ("interleaved", MeasurementMode.Interleaved), ("burst", MeasurementMode.Burst)) ?? MeasurementMode.Interleaved;
        var defaults = mode == MeasurementMode.Burst ? MeasurementProtocol.Burst : MeasurementProtocol.Default; // the burst's own precision (2%)
        string[] known =
        [
            "mode", "architectures_per_batch", "warmup_runs_per_architecture", "runs_per_visit", "instances_per_architecture", "min_rounds", "max_rounds", "extra_rounds", "min_quiet_visits",
            "contended_above", "min_round_seconds", "reference_architectures", "rotate_cpus",
            "warmup_min_runs", "warmup_max_runs", "warmup_min_seconds", "warmup_max_seconds", "warmup_window", "warmup_settle", "min_runs", "max_runs", "max_seconds",
            "target_precision",
        ];
        foreach (var property in element.EnumerateObject().Where(p => !known.Contains(p.Name)))
        {
            problems.Add($"unknown field 'protocol.{property.Name}' (known: {string.Join(", ", known)})");
        }
        var protocol = new MeasurementProtocol
        {
            Mode = mode,
            ArchitecturesPerBatch = fields.Integer("architectures_per_batch", defaults.ArchitecturesPerBatch, 1, 10_000),
            WarmupRunsPerArchitecture = fields.Integer("warmup_runs_per_architecture", defaults.WarmupRunsPerArchitecture, 0, 1_000),
            ReferenceArchitectures = fields.Integer("reference_architectures", defaults.ReferenceArchitectures, 0, 32),
            RunsPerVisit = fields.Integer("runs_per_visit", defaults.RunsPerVisit, 1, 1_000),
            InstancesPerArchitecture = fields.Integer("instances_per_architecture", defaults.InstancesPerArchitecture, 1, 8),
            MinRounds = fields.Integer("min_rounds", defaults.MinRounds, 2, 10_000),
            MaxRounds = fields.Integer("max_rounds", defaults.MaxRounds, 2, 10_000),
            ExtraRounds = fields.Integer("extra_rounds", defaults.ExtraRounds, 0, 10_000),
            MinQuietVisits = fields.Integer("min_quiet_visits", defaults.MinQuietVisits, 2, 10_000),
            ContendedAbove = fields.Number("contended_above", defaults.ContendedAbove, 1e-6, 1),
            MinRoundTime = TimeSpan.FromSeconds(fields.Number("min_round_seconds", defaults.MinRoundTime.TotalSeconds, 0, 600)),
            RotateCpus = fields.Boolean("rotate_cpus", defaults.RotateCpus),
            WarmupMinRuns = fields.Integer("warmup_min_runs", defaults.WarmupMinRuns, 0, 1_000_000),
            WarmupMaxRuns = fields.Integer("warmup_max_runs", defaults.WarmupMaxRuns, 0, int.MaxValue),
            WarmupMinTime = TimeSpan.FromSeconds(fields.Number("warmup_min_seconds", defaults.WarmupMinTime.TotalSeconds, 0, 3_600)),
            WarmupMaxTime = TimeSpan.FromSeconds(fields.Number("warmup_max_seconds", defaults.WarmupMaxTime.TotalSeconds, 0, 3_600)),
            WarmupWindow = fields.Integer("warmup_window", defaults.WarmupWindow, 1, 1_000),
            WarmupSettleTolerance = fields.Number("warmup_settle", defaults.WarmupSettleTolerance, 1e-6, 10),
            MinRuns = fields.Integer("min_runs", defaults.MinRuns, 1, 1_000_000),
            MaxRuns = fields.Integer("max_runs", defaults.MaxRuns, 1, int.MaxValue),
            MaxTime = TimeSpan.FromSeconds(fields.Number("max_seconds", defaults.MaxTime.TotalSeconds, 1e-3, 86_400)),
            TargetRelativePrecision = fields.IsNull("target_precision") ? null : fields.Number("target_precision", defaults.TargetRelativePrecision ?? MeasurementProtocol.Default.TargetRelativePrecision!.Value, 1e-6, 0.999),
        };
        problems.AddRange(fields.Problems);
        problems.AddRange(protocol.Problems().Select(p => "protocol." + p));
        return protocol;
    }

    private static RemoteEndpoint? ReadRemote(JsonElement element, List<string> problems)
    {
        var fields = new Fields(element, "remote.");
        string[] known = ["endpoints", "token_env", "token_file", "timeout_seconds", "outage_grace_seconds"];
        foreach (var property in element.EnumerateObject().Where(p => !known.Contains(p.Name)))
        {
            problems.Add($"unknown field 'remote.{property.Name}' (known: {string.Join(", ", known)})");
        }
        var endpoints = new List<Uri>();
        if (element.TryGetProperty("endpoints", out var list) && list.ValueKind == JsonValueKind.Array && list.GetArrayLength() > 0)
        {
            foreach (var item in list.EnumerateArray())
            {
                if (item.ValueKind == JsonValueKind.String && Uri.TryCreate(item.GetString(), UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
                {
                    endpoints.Add(uri);
                }
                else
                {
                    problems.Add($"remote.endpoints: '{item}' is not an http(s) address");
                }
            }
        }
        else
        {
            problems.Add("remote.endpoints must be a non-empty array of http(s) addresses");
        }
        var remote = new RemoteEndpoint(
            endpoints,
            fields.String("token_env", required: false),
            fields.String("token_file", required: false),
            TimeSpan.FromSeconds(fields.Number("timeout_seconds", 120, 1, 86_400)),
            TimeSpan.FromSeconds(fields.Number("outage_grace_seconds", RemoteEndpoint.DefaultOutageGrace.TotalSeconds, 0, 86_400)));
        problems.AddRange(fields.Problems);
        return remote;
    }

    private static SleepSettings ReadSleep(JsonElement element, List<string> problems)
    {
        var fields = new Fields(element, "sleep.");
        string[] known = ["ms", "ms_per_choice", "call_log"];
        foreach (var property in element.EnumerateObject().Where(p => !known.Contains(p.Name)))
        {
            problems.Add($"unknown field 'sleep.{property.Name}' (known: {string.Join(", ", known)})");
        }
        if (!fields.Has("ms"))
        {
            problems.Add("sleep.ms is required (the sleep per architecture, in milliseconds)");
        }
        var sleep = new SleepSettings(
            fields.Number("ms", 0, 0, 600_000), fields.Number("ms_per_choice", 0, 0, 60_000), fields.String("call_log", required: false));
        problems.AddRange(fields.Problems);
        return sleep;
    }

    /// <summary>Typed reads of an object's fields that record, rather than throw, what is wrong.</summary>
    private sealed class Fields(JsonElement element, string prefix = "")
    {
        public List<string> Problems { get; } = [];

        public bool Has(string name) => element.TryGetProperty(name, out _);

        public bool IsNull(string name) => element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Null;

        public JsonElement? Object(string name)
        {
            if (!element.TryGetProperty(name, out var value))
            {
                return null;
            }
            if (value.ValueKind != JsonValueKind.Object)
            {
                Problems.Add($"{prefix}{name} must be an object");
                return null;
            }
            return value;
        }

        public string? String(string name, bool required)
        {
            if (!element.TryGetProperty(name, out var value))
            {
                if (required)
                {
                    Problems.Add($"{prefix}{name} is missing");
                }
                return null;
            }
            if (value.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(value.GetString()))
            {
                Problems.Add($"{prefix}{name} must be a non-empty string");
                return null;
            }
            return value.GetString();
        }

        public T? Choice<T>(string name, bool required, params (string Text, T Value)[] choices) where T : struct
        {
            string? text = String(name, required);
            if (text is null)
            {
                return null;
            }
            foreach (var choice in choices)
            {
                if (string.Equals(choice.Text, text, StringComparison.OrdinalIgnoreCase))
                {
                    return choice.Value;
                }
            }
            Problems.Add($"{prefix}{name} '{text}' is not one of {string.Join(", ", choices.Select(c => c.Text))}");
            return null;
        }

        public int Integer(string name, int fallback, int minimum, int maximum)
        {
            if (!element.TryGetProperty(name, out var value))
            {
                return fallback;
            }
            if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out int number))
            {
                Problems.Add($"{prefix}{name} must be a whole number (got {value.GetRawText()})");
                return fallback;
            }
            if (number < minimum || number > maximum)
            {
                Problems.Add($"{prefix}{name} must be between {minimum} and {maximum} (got {number})");
                return fallback;
            }
            return number;
        }

        public double Number(string name, double fallback, double minimum, double maximum)
        {
            if (!element.TryGetProperty(name, out var value))
            {
                return fallback;
            }
            if (value.ValueKind != JsonValueKind.Number)
            {
                Problems.Add($"{prefix}{name} must be a number (got {value.GetRawText()})");
                return fallback;
            }
            double number = value.GetDouble();
            if (number < minimum || number > maximum)
            {
                Problems.Add($"{prefix}{name} must be between {minimum} and {maximum} (got {number})");
                return fallback;
            }
            return number;
        }

        public bool Boolean(string name, bool fallback)
        {
            if (!element.TryGetProperty(name, out var value))
            {
                return fallback;
            }
            if (value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                Problems.Add($"{prefix}{name} must be true or false (got {value.GetRawText()})");
                return fallback;
            }
            return value.GetBoolean();
        }
    }
}
