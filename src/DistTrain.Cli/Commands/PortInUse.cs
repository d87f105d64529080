using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;

namespace DistTrain.Cli.Commands;

/// <summary>Recognises a listen that failed because another process holds the port, whichever transport reported it.</summary>
public static class PortInUse
{
    public static bool IsCause(Exception error)
    {
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            if (e is AddressInUseException or SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse })
            {
                return true;
            }
            if (e is AggregateException aggregate && aggregate.InnerExceptions.Any(IsCause))
            {
                return true;
            }
        }
        return false;
    }
}
