namespace LatencyNas.Core;

/// <summary>Base of every error LatencyNas raises on purpose. <see cref="IsTransient"/> tells a retry policy whether trying again may succeed.</summary>
public abstract class LatencyNasException : Exception
{
    protected LatencyNasException(string message, Exception? inner = null) : base(message, inner) { }

    /// <summary>True when the same operation may succeed if tried again (a busy device, a dropped connection).</summary>
    public virtual bool IsTransient => false;
}

/// <summary>The user gave something the tool cannot use: a malformed architecture, an unknown name, a bad file. The CLI exits with code 2.</summary>
public class InvalidInputException : LatencyNasException
{
    public InvalidInputException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>The input was valid but the run could not complete (a device keeps failing, nothing fits a budget). The CLI exits with code 1.</summary>
public class RunFailedException : LatencyNasException
{
    public RunFailedException(string message, Exception? inner = null) : base(message, inner) { }
}
