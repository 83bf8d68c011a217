using System.Globalization;
using System.Text.RegularExpressions;

namespace LatencyNas.Core.Spaces;

/// <summary>
/// The task a network is built for: its input (channels × height × width) and its number of classes.
/// Networks adapt their stem to the channels and their classifier to the classes; their analytic
/// features, export and measured latency follow the input shape. Built in are NAS-Bench-201's three
/// datasets, ImageNet, and three 2-D tasks of NAS-Bench-360; any other task is written
/// <c>CxHxW-Ncls</c> (see <see cref="Custom"/>).
/// </summary>
public sealed partial record Dataset(string Name, int Channels, int Height, int Width, int Classes)
{
    public static readonly Dataset Cifar10 = new("cifar10", 3, 32, 32, 10);
    public static readonly Dataset Cifar100 = new("cifar100", 3, 32, 32, 100);
    public static readonly Dataset ImageNet16_120 = new("imagenet16-120", 3, 16, 16, 120);
    public static readonly Dataset ImageNet = new("imagenet", 3, 224, 224, 1000);

    /// <summary>NAS-Bench-360's spherical CIFAR-100: images projected onto a sphere, 3×60×60, 100 classes.</summary>
    public static readonly Dataset Spherical = new("spherical", 3, 60, 60, 100);

    /// <summary>NAS-Bench-360's NinaPro DB5: electromyography windows of 16 sensors × 52 samples, 18 hand gestures.</summary>
    public static readonly Dataset NinaPro = new("ninapro", 1, 16, 52, 18);

    /// <summary>NAS-Bench-360's FSD50K: log-mel spectrograms of 96 bands × 102 frames, 200 sound classes.</summary>
    public static readonly Dataset Fsd50k = new("fsd50k", 1, 96, 102, 200);

    /// <summary>Every built-in task.</summary>
    public static IReadOnlyList<Dataset> All { get; } = [Cifar10, Cifar100, ImageNet16_120, ImageNet, Spherical, NinaPro, Fsd50k];

    /// <summary>The tasks every space can be built for, beside the datasets its benchmark defines.</summary>
    public static IReadOnlyList<Dataset> Tasks { get; } = [Spherical, NinaPro, Fsd50k];

    /// <summary>The most input channels a task may have.</summary>
    public const int MaxChannels = 256;

    /// <summary>The largest input height or width: a network at 1024×1024 already needs gigabytes to build and export.</summary>
    public const int MaxSide = 1024;

    /// <summary>The most classes a task may have.</summary>
    public const int MaxClasses = 100_000;

    /// <summary>Whether the input is as high as it is wide.</summary>
    public bool IsSquare => Height == Width;

    /// <summary>The input shape as text, <c>CxHxW</c>, e.g. <c>1x16x52</c>.</summary>
    public string Input => string.Create(CultureInfo.InvariantCulture, $"{Channels}x{Height}x{Width}");

    /// <summary>
    /// The task at another input size (a device may measure CIFAR at 64×64). Only square inputs
    /// scale: a non-square task keeps its shape, which <paramref name="height"/> must then match.
    /// </summary>
    /// <exception cref="InvalidInputException">The size is out of range, or the task is not square and the size is not its height.</exception>
    public Dataset AtResolution(int height)
    {
        if (height == Height)
        {
            return this;
        }
        if (!IsSquare)
        {
            throw new InvalidInputException($"{Name} is {Height}×{Width}, not square: its input size cannot be set to {height}; give another task instead.");
        }
        CheckRange(height, 1, MaxSide, "input size");
        return this with { Height = height, Width = height };
    }

    /// <summary>
    /// A task given by its input shape and classes. A shape and classes of a built-in task give that
    /// task; any other is named <c>CxHxW-Ncls</c>, a name <see cref="Parse"/> reads back.
    /// </summary>
    /// <exception cref="InvalidInputException">A dimension or the classes are zero, negative or absurdly large.</exception>
    public static Dataset Custom(int channels, int height, int width, int classes)
    {
        CheckRange(channels, 1, MaxChannels, "input channels");
        CheckRange(height, 1, MaxSide, "input height");
        CheckRange(width, 1, MaxSide, "input width");
        CheckRange(classes, 1, MaxClasses, "classes");
        var shaped = new Dataset("", channels, height, width, classes);
        return All.FirstOrDefault(d => d with { Name = "" } == shaped)
            ?? shaped with { Name = string.Create(CultureInfo.InvariantCulture, $"{shaped.Input}-{classes}cls") };
    }

    /// <summary>
    /// This task with its input shape (<c>CxHxW</c>, as <see cref="ParseInput"/> reads it), its
    /// classes, or both replaced; itself when neither is given. What <c>--input</c> and
    /// <c>--classes</c> do to a <c>--dataset</c>.
    /// </summary>
    /// <exception cref="InvalidInputException">A malformed shape, or a dimension or classes out of range.</exception>
    public Dataset Reshaped(string? input, int? classes)
    {
        if (input is null && classes is null)
        {
            return this;
        }
        var (channels, height, width) = input is null ? (Channels, Height, Width) : ParseInput(input);
        return Custom(channels, height, width, classes ?? Classes);
    }

    /// <summary>Reads an input shape, <c>CxHxW</c> (e.g. <c>1x16x52</c>), as (channels, height, width).</summary>
    /// <exception cref="InvalidInputException">The text is not three positive numbers joined by 'x', or one is out of range.</exception>
    public static (int Channels, int Height, int Width) ParseInput(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var match = InputPattern().Match(text.Trim());
        if (!match.Success)
        {
            throw new InvalidInputException($"'{text}' is not an input shape: expected channels x height x width, e.g. 1x16x52.");
        }
        int channels = Dimension(match.Groups[1].Value, "input channels", MaxChannels);
        int height = Dimension(match.Groups[2].Value, "input height", MaxSide);
        int width = Dimension(match.Groups[3].Value, "input width", MaxSide);
        return (channels, height, width);
    }

    /// <summary>
    /// Finds a built-in task by name, ignoring case, '-' and '_' (so "ImageNet16_120" works), or reads
    /// a custom task's name, <c>CxHxW-Ncls</c>.
    /// </summary>
    public static Dataset Parse(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        static string Normalise(string s) => s.Replace("-", "").Replace("_", "").ToLowerInvariant();
        if (All.FirstOrDefault(d => Normalise(d.Name) == Normalise(name)) is { } known)
        {
            return known;
        }
        var match = CustomPattern().Match(name.Trim());
        if (match.Success)
        {
            var (channels, height, width) = ParseInput(match.Groups[1].Value);
            return Custom(channels, height, width, Dimension(match.Groups[2].Value, "classes", MaxClasses));
        }
        throw new InvalidInputException(
            $"Unknown dataset '{name}'. Known datasets: {string.Join(", ", All.Select(d => d.Name))}; or a task's input and classes, e.g. 1x16x52-18cls.");
    }

    public override string ToString() => Name;

    private static int Dimension(string digits, string what, int maximum)
        => int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out int value)
            ? CheckRange(value, 1, maximum, what)
            : throw new InvalidInputException($"{what} {digits} is out of range: give 1 to {maximum:N0}.");

    private static int CheckRange(int value, int minimum, int maximum, string what)
        => value < minimum || value > maximum
            ? throw new InvalidInputException($"{what} {value} is out of range: give {minimum} to {maximum:N0}.")
            : value;

    [GeneratedRegex(@"^(\d+)x(\d+)x(\d+)$", RegexOptions.IgnoreCase)]
    private static partial Regex InputPattern();

    [GeneratedRegex(@"^(\d+x\d+x\d+)-(\d+)cls$", RegexOptions.IgnoreCase)]
    private static partial Regex CustomPattern();
}
