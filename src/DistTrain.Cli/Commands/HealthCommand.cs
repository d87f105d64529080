using System.CommandLine;
using DistTrain.Cli.Hosting;
using DistTrain.Training.Configuration;
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
        var command = new Command("health",
            "Ask a coordinator or worker whether it is serving. Exit 0 when SERVING, 1 when it answers NOT_SERVING or does not know " +
            "the service, 4 when nothing answers within --timeout, 2 for a bad --address or --timeout")
        {
            address, timeout, service,
        };
        transport.AddTo(command);
        command.SetAction((parse, cancellationToken) => CommandErrors.Guard(async () =>
        {
            var target = ServerAddress.ToConnect("--address", parse.GetValue(address), "http://127.0.0.1:50051");
            var seconds = parse.GetValue(timeout);
            if (!(seconds > 0) || double.IsInfinity(seconds))
            {
                throw new OptionsException($"--timeout: {seconds} must be a positive number of seconds, e.g. --timeout 3");
            }
            var probe = transport.Create(parse, CliHost.BuildConfiguration());
            var answer = await HealthProbe.CheckAsync(probe, target.OriginalString, TimeSpan.FromSeconds(seconds), Console.Out, parse.GetValue(service)!, new GrpcClientOptions());
            // The probe's own codes, mapped to the ones every disttrain command uses (2 is reserved for bad input).
            return answer switch
            {
                HealthProbe.Serving => ExitCodes.Success,
                HealthProbe.Unreachable => ExitCodes.Unreachable,
                _ => ExitCodes.Failure,
            };
        }));
        return command;
    }
}
