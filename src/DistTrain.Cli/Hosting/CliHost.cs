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

    /// <summary>
    /// Plain single-line logs (<see cref="PlainConsoleFormatter"/>), or JSON lines when <paramref name="format"/>
    /// is "json" (for compose and log shippers). Levels as .NET users set them: configuration section
    /// Logging:LogLevel (environment Logging__LogLevel__Default=Debug, Logging__LogLevel__DistTrain.Transport=Warning, ...).
    /// </summary>
    public static ILoggerFactory CreateLoggerFactory(string? format, IConfiguration? configuration = null, bool verbose = false) => LoggerFactory.Create(b =>
    {
        b.SetMinimumLevel(verbose ? LogLevel.Debug : LogLevel.Information);
        b.AddFilter("Microsoft", LogLevel.Warning);
        // A dashboard host that cannot start throws, and the command says why in one line; the host's
        // own log entry would repeat it with a stack trace.
        b.AddFilter("Microsoft.Extensions.Hosting", LogLevel.None);
        // Grpc.AspNetCore logs every cancelled call at Information: noise in a training log.
        b.AddFilter("Grpc", LogLevel.Warning);
        if (configuration is not null)
        {
            b.AddConfiguration(configuration.GetSection("Logging"));
        }
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
