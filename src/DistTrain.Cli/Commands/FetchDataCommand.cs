using System.CommandLine;
using DistTrain.Cli.Hosting;
using DistTrain.Data;
using DistTrain.Training.Configuration;
using Microsoft.Extensions.Logging;

namespace DistTrain.Cli.Commands;

/// <summary>disttrain fetch-data: download and verify a dataset into --data-dir.</summary>
public static class FetchDataCommand
{
    public static Command Create()
    {
        var dataset = new Option<string>("--dataset") { Description = "mnist or fashion-mnist", DefaultValueFactory = _ => "mnist" };
        var dataDir = new Option<string>("--data-dir") { Description = "Folder to put it in (DIR/mnist, DIR/fashion-mnist)", DefaultValueFactory = _ => DatasetStore.DefaultDataDirectory };
        var logFormat = DisttrainCommands.LogFormatOption();
        var command = new Command("fetch-data", "Download a dataset and verify its SHA-256 checksums") { dataset, dataDir, logFormat };
        command.SetAction((parse, cancellationToken) => CommandErrors.Guard(async () =>
        {
            var configuration = CliHost.BuildConfiguration();
            using var loggers = CliHost.CreateLoggerFactory(parse.GetValue(logFormat) ?? configuration["Logging:Format"], configuration);
            var logger = loggers.CreateLogger("fetch-data");
            var kind = TrainingConfiguration.From(new TrainingOptions { Dataset = parse.GetValue(dataset)! }).Dataset;
            var folder = parse.GetValue(dataDir)!;
            await DatasetFetcher.FetchAsync(kind, folder, logger, cancellationToken);
            DatasetStore.Load(kind, folder);
            logger.LogInformation("{Dataset} is ready in {Folder}", parse.GetValue(dataset), DatasetStore.DirectoryFor(kind, Path.GetFullPath(folder)));
            return ExitCodes.Success;
        }));
        return command;
    }
}
