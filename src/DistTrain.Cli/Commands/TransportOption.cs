using System.CommandLine;
using DistTrain.Cli.Hosting;
using DistTrain.Training.Configuration;
using DistTrain.Transport;
using Microsoft.Extensions.Configuration;

namespace DistTrain.Cli.Commands;

/// <summary>--transport aspnetcore|fast (configuration Transport:Kind, environment Transport__Kind).</summary>
public sealed class TransportOption
{
    /// <summary>The engine: about three times the reference's throughput and it passes the same abuse suite (docs/transport.md).</summary>
    public const TransportKind Default = TransportKind.Fast;

    public Option<string?> Option { get; } = new("--transport")
    {
        Description = $"gRPC transport: aspnetcore (Grpc.AspNetCore on Kestrel, Grpc.Net.Client) or fast (DistTrain's HTTP/2 engine) [default: {TransportKinds.Name(Default)}]; also Transport__Kind",
    };

    public void AddTo(Command command) => command.Options.Add(Option);

    public TransportKind Resolve(ParseResult parse, IConfiguration configuration)
    {
        var text = parse.GetValue(Option) ?? configuration["Transport:Kind"];
        if (string.IsNullOrWhiteSpace(text))
        {
            return Default;
        }
        return TransportKinds.TryParse(text, out var kind)
            ? kind
            : throw new OptionsException($"--transport: '{text}' is not a transport; use aspnetcore or fast");
    }

    public IGrpcTransport Create(ParseResult parse, IConfiguration configuration) => Transports.For(Resolve(parse, configuration));
}
