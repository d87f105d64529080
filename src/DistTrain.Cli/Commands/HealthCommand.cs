using System.CommandLine;
using DistTrain.Cli.Hosting;
using DistTrain.Transport;

namespace DistTrain.Cli.Commands;

/// <summary>disttrain health: the grpc.health.v1 probe compose and Kubernetes use (the images have no curl).</summary>
public static class HealthCommand
{
    public static Command Create()
    {
        var address = new Option<string>("--address") { Description = "Server address, e.g. http://127.0.0.1:50051", Required = true };
        var timeout = new Option<double>("--timeout") { Description = "Seconds to wait for the answer", DefaultValueFactory = _ => 3 };
        var service = new Option<string>("--service") { Description = "Service name to ask about ('' = the whole server)", DefaultValueFactory = _ => "" };
        var transport = new TransportOption();
        var command = new Command("health", "Ask a coordinator or worker whether it is serving (exit 0 SERVING, 1 NOT_SERVING, 3 unreachable)") { address, timeout, service };
        transport.AddTo(command);
        command.SetAction((parse, cancellationToken) => CommandErrors.Guard(() =>
            HealthProbe.CheckAsync(transport.Create(parse, CliHost.BuildConfiguration()), parse.GetValue(address)!, TimeSpan.FromSeconds(parse.GetValue(timeout)), Console.Out, parse.GetValue(service)!, new GrpcClientOptions())));
        return command;
    }
}
