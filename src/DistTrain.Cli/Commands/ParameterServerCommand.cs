using System.CommandLine;
using DistTrain.Cli.Hosting;
using DistTrain.Training.Configuration;
using DistTrain.Training.ParameterShards;
using DistTrain.Transport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace DistTrain.Cli.Commands;

/// <summary>disttrain parameter-server: own a slice of the parameters for a coordinator with --parameter-shards, until the run ends.</summary>
public static class ParameterServerCommand
{
    private const int MaxMessageBytes = 256 * 1024 * 1024;

    public static Command Create()
    {
        var defaults = new ParameterServerOptions();
        var coordinatorUrl = new Option<string?>("--coordinator") { Description = "Coordinator address, e.g. http://coordinator:50051 (also ParameterServer__Coordinator)" };
        var listen = new Option<string?>("--listen") { Description = $"Address workers connect to (also ParameterServer__Listen) [default: {defaults.Listen}]" };
        var advertise = new Option<string?>("--advertise")
        {
            Description = "Address workers should use when it is not --listen's, e.g. a DNS name (also ParameterServer__Advertise) [default: --listen, a wildcard host replaced by the address the coordinator sees]",
        };
        var name = new Option<string?>("--name") { Description = "Name in the coordinator's logs [default: host name and process id]" };
        var retry = new Option<double?>("--retry-seconds") { Description = $"Seconds between attempts to reach the coordinator [default: {defaults.RetrySeconds}]" };
        var giveUp = new Option<double?>("--give-up-after") { Description = "Exit with an error when the coordinator has been unreachable this many seconds [default: 0, keep waiting]; also ParameterServer__GiveUpAfterSeconds" };
        var security = new SecurityOptions();
        var transport = new TransportOption();
        var logFormat = DisttrainCommands.LogFormatOption();
        var command = new Command("parameter-server", "Own a slice of the weights and optimizer state for a coordinator with --parameter-shards")
        {
            coordinatorUrl, listen, advertise, name, retry, giveUp, logFormat, security.TrustedCa,
        };
        security.AddServerOptions(command);
        transport.AddTo(command);
        command.SetAction((parse, cancellationToken) => CommandErrors.Guard(async () =>
        {
            var configuration = CliHost.BuildConfiguration();
            var options = new ParameterServerOptions();
            configuration.GetSection(ParameterServerOptions.Section).Bind(options);
            options.Coordinator = parse.GetValue(coordinatorUrl) ?? options.Coordinator;
            options.Listen = parse.GetValue(listen) ?? options.Listen;
            options.Advertise = parse.GetValue(advertise) ?? options.Advertise;
            options.Name = parse.GetValue(name) ?? options.Name;
            options.RetrySeconds = parse.GetValue(retry) ?? options.RetrySeconds;
            options.GiveUpAfterSeconds = parse.GetValue(giveUp) ?? options.GiveUpAfterSeconds;
            if (options.GiveUpAfterSeconds < 0 || !double.IsFinite(options.GiveUpAfterSeconds))
            {
                throw new OptionsException($"--give-up-after: {options.GiveUpAfterSeconds} must be 0 (keep waiting) or a positive number of seconds");
            }
            if (!(options.RetrySeconds > 0) || !double.IsFinite(options.RetrySeconds))
            {
                throw new OptionsException($"--retry-seconds: {options.RetrySeconds} must be a positive number of seconds");
            }
            ServerAddress.ToConnect("--coordinator", options.Coordinator, "http://127.0.0.1:50051");
            ServerAddress.ToListen("--listen", options.Listen, "http://0.0.0.0:50061");
            if (!string.IsNullOrEmpty(options.Advertise))
            {
                ServerAddress.ToConnect("--advertise", options.Advertise, "http://parameter-server-1:50061");
            }
            var grpc = transport.Create(parse, configuration);
            using var loggers = CliHost.CreateLoggerFactory(parse.GetValue(logFormat) ?? configuration["Logging:Format"], configuration);
            var logger = loggers.CreateLogger("parameter-server");

            var service = new ParameterServerService(logger);
            var serverOptions = security.ServerOptions(parse, configuration);
            serverOptions.ListenUrl = options.Listen;
            await using var server = await grpc.StartServerAsync(serverOptions, [service.Definition], loggers, cancellationToken);
            var address = string.IsNullOrEmpty(options.Advertise) ? server.Address.GetLeftPart(UriPartial.Authority) : options.Advertise;
            logger.LogInformation("Parameter server {Name} ({Transport} transport) serving on {Address}, advertised as {Advertised}; registering with {Coordinator}",
                options.Name, TransportKinds.Name(grpc.Kind), server.Address, address, options.Coordinator);
            var runner = new ParameterServerRunner(options, grpc, security.ChannelOptions(parse, configuration, MaxMessageBytes), service, address, logger);
            var exit = await runner.RunAsync(cancellationToken);
            await server.StopAsync(TimeSpan.FromSeconds(1));
            return exit;
        }));
        return command;
    }
}
