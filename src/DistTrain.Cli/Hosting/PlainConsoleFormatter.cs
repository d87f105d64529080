using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace DistTrain.Cli.Hosting;

/// <summary>
/// One line per entry, "HH:mm:ss level category: message", without the event id the simple
/// console prints (<c>DistTrain.Rpc.GrpcServer[1929458206]</c>) and with a namespaced category
/// shortened to its last part (GrpcServer); an exception follows on the next lines.
/// </summary>
public sealed class PlainConsoleFormatter() : ConsoleFormatter(Name)
{
    public new const string Name = "disttrain-plain";

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = logEntry.Formatter(logEntry.State, logEntry.Exception);
        if (message is null && logEntry.Exception is null)
        {
            return;
        }
        textWriter.Write(DateTime.Now.ToString("HH:mm:ss ", System.Globalization.CultureInfo.InvariantCulture));
        textWriter.Write(Level(logEntry.LogLevel));
        textWriter.Write(' ');
        textWriter.Write(ShortCategory(logEntry.Category));
        textWriter.Write(": ");
        textWriter.Write(message);
        if (logEntry.Exception is not null)
        {
            textWriter.Write(Environment.NewLine);
            textWriter.Write(logEntry.Exception.ToString());
        }
        textWriter.Write(Environment.NewLine);
    }

    /// <summary>"DistTrain.Rpc.GrpcServer" → "GrpcServer"; "coordinator" stays.</summary>
    public static string ShortCategory(string category)
    {
        var dot = category.LastIndexOf('.');
        return dot >= 0 && dot < category.Length - 1 ? category[(dot + 1)..] : category;
    }

    private static string Level(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        LogLevel.Critical => "crit",
        _ => "    ",
    };
}
