using System.CommandLine;

namespace DistTrain.Cli.Commands;

/// <summary>The disttrain command tree of design.md.</summary>
public static class DisttrainCommands
{
    public static async Task<int> InvokeAsync(string[] args)
    {
        var root = new RootCommand("DistTrain: synchronous data-parallel MLP training on MNIST, in one process or over gRPC workers.\n\n" + ExitCodes.Legend)
        {
            FetchDataCommand.Create(),
            TrainCommand.Create(),
            RunCommand.Create(),
            CoordinatorCommand.Create(),
            WorkerCommand.Create(),
            ParameterServerCommand.Create(),
            HealthCommand.Create(),
        };
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var line in ParseErrorReport.Lines(parse))
            {
                Console.Error.WriteLine($"error: {line}");
            }
            Console.Error.WriteLine("Run 'disttrain --help' (or 'disttrain COMMAND --help') for the options.");
            return ExitCodes.BadInput;
        }
        // Long enough for a coordinator to write its checkpoint after SIGTERM or Ctrl+C.
        return await parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(9) });
    }

    /// <summary>--log-format, also settable as configuration Logging:Format (environment Logging__Format).</summary>
    public static Option<string?> LogFormatOption() => new("--log-format")
    {
        Description = "plain (default) or json (one JSON object per line); also Logging__Format",
    };
}
