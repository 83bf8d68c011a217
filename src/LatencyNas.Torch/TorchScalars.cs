using TorchSharp;

namespace LatencyNas.Torch;

/// <summary>
/// Long-lived scalars for tensor arithmetic. TorchSharp's implicit number → Scalar conversions
/// (in <c>a + b</c>, <c>x.mul(0)</c>) create a temporary whose native handle can be released while
/// the native call still uses it; seen here as a sporadic "Expected false to be true" from
/// c10::Scalar::toFloat. Passing these instead avoids the temporaries.
/// </summary>
internal static class TorchScalars
{
    public static readonly Scalar One = 1.0f.ToScalar();
    public static readonly Scalar Zero = 0.0f.ToScalar();
}
