using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace DistTrain.Cli.Hosting;

/// <summary>Configuration sources and logging shared by every command.</summary>
public static class CliHost
{
    /// <summary>appsettings.json (beside the executable, then the working directory), then environment variables (Training__Epochs=5).</summary>
    public static IConfiguration BuildConfiguration() => new ConfigurationBuilder()
        .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
        .AddJsonFile(Path.Combine(Directory.GetCurrentDirectory(), "appsettings.json"), optional: true)
        .AddEnvironmentVariables()
        .Build();

    /// <summary>Plain single-line logs (<see cref="PlainConsoleFormatter"/>), or JSON lines when <paramref name="format"/> is "json" (for compose and log shippers).</summary>
    public static ILoggerFactory CreateLoggerFactory(string? format, bool verbose = false) => LoggerFactory.Create(b =>
    {
        b.SetMinimumLevel(verbose ? LogLevel.Debug : LogLevel.Information);
        b.AddFilter("Microsoft", LogLevel.Warning);
        // A dashboard host that cannot start throws, and the command says why in one line; the host's
        // own log entry would repeat it with a stack trace.
        b.AddFilter("Microsoft.Extensions.Hosting", LogLevel.None);
        if (string.Equals(format, "json", StringComparison.OrdinalIgnoreCase))
        {
            b.AddJsonConsole(o =>
            {
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                o.UseUtcTimestamp = true;
            });
        }
        else
        {
            b.AddConsole(o => o.FormatterName = PlainConsoleFormatter.Name)
                .AddConsoleFormatter<PlainConsoleFormatter, ConsoleFormatterOptions>();
        }
    });
}
