using System.CommandLine;
using DistTrain.Cli.Hosting;
using DistTrain.Training.Configuration;
using DistTrain.Training.Loop;
using Microsoft.Extensions.Logging;

namespace DistTrain.Cli.Commands;

/// <summary>disttrain train: the whole run in one process, no network. The reference the distributed run must equal.</summary>
public static class TrainCommand
{
    public static Command Create()
    {
        var options = new TrainingOptionSet("Shards per mini-batch; the gradient is the sum of the shard sums in shard order, as with that many workers", "1");
        var logFormat = DisttrainCommands.LogFormatOption();
        var command = new Command("train", "Train in this process (no network): the reference run");
        options.AddTo(command);
        command.Options.Add(logFormat);
        command.SetAction((parse, cancellationToken) => CommandErrors.Guard(async () =>
        {
            var configuration = CliHost.BuildConfiguration();
            var config = TrainingConfiguration.From(options.Resolve(parse, configuration));
            using var loggers = CliHost.CreateLoggerFactory(parse.GetValue(logFormat) ?? configuration["Logging:Format"], configuration);
            var logger = loggers.CreateLogger("train");
            logger.LogInformation("Training in one process: {Configuration}, threads={Threads}, out={Out}", config.Describe(), config.Threads, Path.GetFullPath(config.OutputDirectory));

            var data = await DatasetSource.LoadAsync(config, logger, cancellationToken);
            await using var executor = new LocalShardExecutor(config.Network, TrainingLoop.MaxShardSamples(config), config.Threads);
            await new TrainingLoop(config, data, executor, logger).RunAsync(cancellationToken);
            return ExitCodes.Success;
        }));
        return command;
    }
}
