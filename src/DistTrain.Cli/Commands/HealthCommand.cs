using System.CommandLine;
using DistTrain.Rpc;

namespace DistTrain.Cli.Commands;

/// <summary>disttrain health: the grpc.health.v1 probe compose and Kubernetes use (the images have no curl).</summary>
public static class HealthCommand
{
    public static Command Create()
    {
        var address = new Option<string>("--address") { Description = "Server address, e.g. http://127.0.0.1:50051", Required = true };
        var timeout = new Option<double>("--timeout") { Description = "Seconds to wait for the answer", DefaultValueFactory = _ => 3 };
        var service = new Option<string>("--service") { Description = "Service name to ask about ('' = the whole server)", DefaultValueFactory = _ => "" };
        var command = new Command("health", "Ask a coordinator or worker whether it is serving (exit 0 when SERVING)") { address, timeout, service };
        command.SetAction((parse, cancellationToken) => CommandErrors.Guard(() =>
            HealthProbe.CheckAsync(parse.GetValue(address)!, TimeSpan.FromSeconds(parse.GetValue(timeout)), Console.Out, parse.GetValue(service)!)));
        return command;
    }
}
