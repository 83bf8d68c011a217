using System.Text.RegularExpressions;

namespace LatencyNas.Core;

/// <summary>
/// The one rule every device name obeys, wherever it comes from (a descriptor, --device-name, an
/// imported column with its prefix): lower-case letters, digits and . _ : -, starting with a letter
/// or digit, at most 100 characters; then, for a device at a task other than its descriptor's, '@'
/// and the task (<see cref="AtTask"/>). A name is used as a folder name for its predictors, so the
/// rule keeps out path separators, and <see cref="ToFileName"/> maps names to file names one to one.
/// </summary>
public static partial class DeviceName
{
    public const int MaxLength = 100;

    /// <summary>What is wrong with <paramref name="name"/>, or null when it is a valid device name.</summary>
    public static string? Problem(string name)
        => name.Length > MaxLength ? $"device name '{name[..20]}…' is longer than {MaxLength} characters"
            : Pattern().IsMatch(name) ? null
            : $"device name '{name}' must be lower-case letters, digits and . _ : - (starting with a letter or digit), then optionally @ and a task";

    /// <exception cref="InvalidInputException">The name breaks the rule; <paramref name="where"/> says where it came from.</exception>
    public static string Check(string name, string where)
        => Problem(name) is { } problem ? throw new InvalidInputException($"{where}: {problem}.") : name;

    /// <summary>
    /// The name of <paramref name="device"/> measured at <paramref name="task"/> instead of its own
    /// task, e.g. <c>ort-cpu-1t@spherical</c>: a device at two tasks is two devices in the store,
    /// whose measurements never mix, and which every verb that takes a device can compare.
    /// </summary>
    public static string AtTask(string device, Spaces.Dataset task)
    {
        ArgumentNullException.ThrowIfNull(task);
        int at = device.IndexOf('@');
        return $"{(at < 0 ? device : device[..at])}@{task.Name}";
    }

    /// <summary>
    /// The name as a file or folder name, the same on every file system: ':' (not allowed in Windows
    /// file names) becomes '~', which no device name contains, so two names never share a file.
    /// </summary>
    public static string ToFileName(string name) => name.Replace(':', '~');

    [GeneratedRegex("^[a-z0-9][a-z0-9._:-]*(@[a-z0-9][a-z0-9._-]*)?$")]
    private static partial Regex Pattern();
}
