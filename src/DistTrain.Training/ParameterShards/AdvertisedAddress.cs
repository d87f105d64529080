using System.Globalization;
using System.Net;

namespace DistTrain.Training.ParameterShards;

/// <summary>
/// Where workers reach a parameter server. A server listening on every interface (0.0.0.0, [::])
/// names no address of its own; the coordinator then uses the address the server's own
/// connection comes from, which workers on the same network reach too (no NAT between them).
/// </summary>
public static class AdvertisedAddress
{
    /// <summary>
    /// <paramref name="announced"/> with a wildcard host replaced by the host of <paramref name="peer"/>
    /// (gRPC's "ipv4:10.0.0.7:41234" or "ipv6:[fd00::7]:41234"); null when it is no http(s) address or
    /// the peer's host cannot be told.
    /// </summary>
    public static string? Resolve(string announced, string peer)
    {
        if (!Uri.TryCreate(announced, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Host.Length == 0)
        {
            return null;
        }
        if (!IPAddress.TryParse(uri.Host.Trim('[', ']'), out var host) || !(host.Equals(IPAddress.Any) || host.Equals(IPAddress.IPv6Any)))
        {
            return uri.GetLeftPart(UriPartial.Authority);
        }
        var seen = PeerHost(peer);
        if (seen is null)
        {
            return null;
        }
        var builder = new UriBuilder(uri) { Host = seen.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{seen}]" : seen.ToString() };
        return builder.Uri.GetLeftPart(UriPartial.Authority);
    }

    private static IPAddress? PeerHost(string peer)
    {
        var text = peer.StartsWith("ipv4:", StringComparison.Ordinal) || peer.StartsWith("ipv6:", StringComparison.Ordinal) ? peer[5..] : peer;
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out _))
        {
            return null;
        }
        var address = text[..colon].Trim('[', ']');
        if (!IPAddress.TryParse(address, out var ip))
        {
            return null;
        }
        return ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip;
    }
}
