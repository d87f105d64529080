using System.Net;

namespace DistTrain.Transport.Hosting;

/// <summary>Where the server listens, parsed from a URL such as "https://0.0.0.0:5000".</summary>
public sealed record ListenEndpoint(bool IsTls, IPAddress? Address, bool IsLocalhost, int Port)
{
    public static ListenEndpoint Parse(string url)
    {
        ArgumentException.ThrowIfNullOrEmpty(url);
        // Uri cannot hold the wildcard hosts ASP.NET users write; they mean every interface.
        var normalized = url.Replace("://*:", "://0.0.0.0:", StringComparison.Ordinal)
            .Replace("://+:", "://0.0.0.0:", StringComparison.Ordinal);
        if (!Uri.TryCreate(normalized, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || (uri.AbsolutePath != "/" && uri.AbsolutePath.Length > 0))
        {
            throw new ArgumentException($"Listen URL '{url}' is not of the form http(s)://host:port.", nameof(url));
        }
        var isTls = uri.Scheme == Uri.UriSchemeHttps;
        if (uri.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            return new ListenEndpoint(isTls, null, IsLocalhost: true, uri.Port);
        }
        if (!IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address))
        {
            throw new ArgumentException($"Listen URL '{url}' must name an IP address, localhost or *.", nameof(url));
        }
        return new ListenEndpoint(isTls, address, IsLocalhost: false, uri.Port);
    }
}
