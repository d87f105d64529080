using System.Globalization;
using System.Net;
using DistTrain.Training.Configuration;

namespace DistTrain.Cli.Commands;

/// <summary>
/// Addresses from the command line or configuration, checked before anything starts so that a
/// typo gets one line naming the option and an example instead of an error from deep inside.
/// </summary>
public static class ServerAddress
{
    /// <summary>An address to connect to: http:// or https://, a host, optionally a port.</summary>
    public static Uri ToConnect(string option, string? value, string example)
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Host.Length == 0)
        {
            throw new OptionsException(
                $"{option}: '{value}' is not an http:// or https:// address with a host, e.g. {option} {example}");
        }
        return uri;
    }

    /// <summary>An address to listen on: http:// or https://, an IP address, localhost or *, and a port (0: any free one).</summary>
    public static string ToListen(string option, string? value, string example)
    {
        var normalized = value?.Replace("://*:", "://0.0.0.0:", StringComparison.Ordinal).Replace("://+:", "://0.0.0.0:", StringComparison.Ordinal);
        if (!Uri.TryCreate(normalized, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")
            || uri.AbsolutePath is not ("/" or "") || !normalized!.Contains(':' + uri.Port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal))
        {
            throw new OptionsException(
                $"{option}: '{value}' is not of the form http://HOST:PORT (or https://), e.g. {option} {example}");
        }
        if (!uri.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase) && !IPAddress.TryParse(uri.Host.Trim('[', ']'), out _))
        {
            throw new OptionsException(
                $"{option}: '{uri.Host}' in '{value}' is not an IP address, localhost or * (the address of an interface of this machine), e.g. {option} {example}");
        }
        return value!;
    }
}
