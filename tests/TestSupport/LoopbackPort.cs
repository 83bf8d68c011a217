using System.Net;
using System.Net.Sockets;

namespace LatencyNas.Tests;

/// <summary>A loopback port nobody listens on right now, for an agent, a workbench or a server a test starts.</summary>
public static class LoopbackPort
{
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
