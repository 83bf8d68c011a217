using LatencyNas.Profiling;
using Spectre.Console;

namespace LatencyNas.Cli;

/// <summary>
/// Shows a profile's progress: a live bar (count, rate, ETA, last median) on a terminal, or a
/// plain line every few seconds when output goes to a file or pipe.
/// </summary>
internal static class ConsoleProgress
{
    public static bool Interactive => !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    /// <param name="toStandardError">Keep standard output for the result (--json): progress goes to stderr as plain lines.</param>
    /// <remarks>
    /// What native libraries print meanwhile (libtorch's NNPACK warning, once per convolution built on some CPUs) is
    /// kept out of the progress and summed up in one line at the end: a profile builds thousands of networks.
    /// </remarks>
    public static Task<T> RunAsync<T>(string title, Func<IProgress<ProfileProgress>, Task<T>> work, bool toStandardError = false)
        => NativeStandardError.AsideAsync("libtorch", () => ShowAsync(title, work, toStandardError));

    private static async Task<T> ShowAsync<T>(string title, Func<IProgress<ProfileProgress>, Task<T>> work, bool toStandardError)
    {
        if (!Interactive || toStandardError)
        {
            var plain = new PlainLines(title, toStandardError ? Console.Error : Console.Out);
            var result = await work(plain);
            plain.Finish();
            return result;
        }
        T? outcome = default;
        await AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(Markup.Escape(title), maxValue: 1);
                outcome = await work(new Synchronous<ProfileProgress>(p =>
                {
                    task.MaxValue = Math.Max(p.Total, 1);
                    task.Value = p.Done;
                    task.Description = Markup.Escape(Describe(title, p));
                }));
                task.StopTask();
            });
        return outcome!;
    }

    private static string Describe(string title, ProfileProgress p)
    {
        string last = p.LastLatencyMs is { } latency ? $", last {p.Last} {latency:F3} ms" : p.Last is null ? "" : $", last {p.Last} failed";
        return $"{title} {p.Done}/{p.Total}, {p.RatePerSecond:F2}/s{(p.Failed > 0 ? $", {p.Failed} failed" : "")}{last}";
    }

    private sealed class PlainLines(string title, TextWriter output) : IProgress<ProfileProgress>
    {
        private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);
        private TimeSpan? _lastPrinted;
        private ProfileProgress? _last;

        public void Report(ProfileProgress value)
        {
            _last = value;
            if (_lastPrinted is null || value.Elapsed - _lastPrinted >= Interval || value.Done == value.Total)
            {
                Print(value);
            }
        }

        public void Finish()
        {
            if (_last is not null && _last.Elapsed != _lastPrinted)
            {
                Print(_last);
            }
        }

        private void Print(ProfileProgress value)
        {
            _lastPrinted = value.Elapsed;
            string eta = value.Remaining is { } remaining ? $", ETA {(int)remaining.TotalHours}:{remaining:mm\\:ss}" : "";
            output.WriteLine($"[{value.Done}/{value.Total}] {100.0 * value.Done / Math.Max(value.Total, 1):F0}%{eta} — {Describe(title, value)}");
        }
    }
}
