using LatencyNas.Core;

namespace LatencyNas.Profiling;

/// <summary>A device descriptor that cannot be used; the message names every invalid field.</summary>
public sealed class DeviceDescriptorException : InvalidInputException
{
    public DeviceDescriptorException(string source, IReadOnlyList<string> problems)
        : base($"{source} is not a valid device descriptor: {string.Join("; ", problems)}.")
    {
        Problems = problems;
    }

    public IReadOnlyList<string> Problems { get; }
}

/// <summary>The device a descriptor names is not present or not usable here (no CUDA provider, no GPU, no agent).</summary>
public sealed class DeviceUnavailableException : InvalidInputException
{
    public DeviceUnavailableException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>
/// A runner failed while preparing or measuring one architecture. <see cref="IsTransient"/> tells
/// the retry policy whether the same measurement may succeed if tried again (a dropped connection,
/// a busy agent) or not (a model the runtime rejects).
/// </summary>
public class DeviceException : LatencyNasException
{
    private readonly bool _isTransient;

    public DeviceException(string message, bool isTransient, Exception? inner = null, string? agent = null) : base(message, inner)
    {
        _isTransient = isTransient;
        Agent = agent;
    }

    public override bool IsTransient => _isTransient;

    /// <summary>The remote agent that failed, for a remote device.</summary>
    public string? Agent { get; }
}
