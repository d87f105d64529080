using System.CommandLine;
using DistTrain.Training.Configuration;
using DistTrain.Transport;
using Microsoft.Extensions.Configuration;

namespace DistTrain.Cli.Commands;

/// <summary>
/// --auth-token (configuration Security:AuthToken, environment Security__AuthToken) and TLS files,
/// shared by coordinator and worker. The token is never logged.
/// </summary>
public sealed class SecurityOptions
{
    public Option<string?> AuthToken { get; } = new("--auth-token") { Description = "Shared secret every call must carry (also Security__AuthToken)" };

    public Option<string?> Certificate { get; } = new("--tls-cert") { Description = "Server certificate (PEM or .pfx): serve TLS; use an https:// --listen URL (also Security__TlsCert)" };

    public Option<string?> CertificateKey { get; } = new("--tls-key") { Description = "Private key (PEM) of --tls-cert (also Security__TlsKey)" };

    public Option<string?> TrustedCa { get; } = new("--ca-cert") { Description = "CA certificate (PEM) to trust for an https:// coordinator (also Security__CaCert)" };

    public void AddServerOptions(Command command)
    {
        command.Options.Add(AuthToken);
        command.Options.Add(Certificate);
        command.Options.Add(CertificateKey);
    }

    public void AddClientOptions(Command command)
    {
        command.Options.Add(AuthToken);
        command.Options.Add(TrustedCa);
    }

    /// <summary>The server's options: token and TLS files, and the connection limits of configuration section Transport:Limits.</summary>
    public GrpcServerOptions ServerOptions(ParseResult parse, IConfiguration configuration)
    {
        var options = new GrpcServerOptions
        {
            AuthToken = Value(parse, AuthToken, configuration, "Security:AuthToken"),
            CertificatePath = Value(parse, Certificate, configuration, "Security:TlsCert"),
            CertificateKeyPath = Value(parse, CertificateKey, configuration, "Security:TlsKey"),
        };
        try
        {
            configuration.GetSection("Transport:Limits").Bind(options.Limits);
            options.Limits.Validate();
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            throw new OptionsException($"configuration section 'Transport:Limits' (Transport__Limits__* environment variables): {e.Message}");
        }
        return options;
    }

    public GrpcClientOptions ChannelOptions(ParseResult parse, IConfiguration configuration, int maxMessageSize) => new()
    {
        AuthToken = Value(parse, AuthToken, configuration, "Security:AuthToken"),
        TrustedCaCertificatePath = Value(parse, TrustedCa, configuration, "Security:CaCert"),
        MaxReceiveMessageSize = maxMessageSize,
        MaxSendMessageSize = maxMessageSize,
    };

    private static string? Value(ParseResult parse, Option<string?> option, IConfiguration configuration, string key)
    {
        var value = parse.GetValue(option) ?? configuration[key];
        return string.IsNullOrEmpty(value) ? null : value;
    }
}
