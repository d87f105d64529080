using DistTrain.Transport.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DistTrain.Transport.AspNetCore;

/// <summary>
/// The caller's loggers for the web host, with two changes. The generic host's own lines go:
/// a failed start (a port in use) reaches the caller as an exception with one clear message,
/// so "Hosting failed to start" with its stack trace would only say it again, louder. And
/// Kestrel's and Grpc.AspNetCore's lines about peers are rate-limited together: under an attack
/// Kestrel writes a line per aborted connection or stream (tens of thousands a second).
/// </summary>
internal sealed class HostLoggerFactory(ILoggerFactory inner) : ILoggerFactory
{
    private const string GenericHost = "Microsoft.Extensions.Hosting";
    private static readonly string[] PerPeer = ["Microsoft.AspNetCore.Server.Kestrel", "Grpc.AspNetCore.Server"];

    private readonly LogThrottle _throttle = new(inner.CreateLogger("DistTrain.Transport.AspNetCore"));

    public ILogger CreateLogger(string categoryName)
    {
        if (categoryName.StartsWith(GenericHost, StringComparison.Ordinal))
        {
            return NullLogger.Instance;
        }
        var logger = inner.CreateLogger(categoryName);
        return PerPeer.Any(p => categoryName.StartsWith(p, StringComparison.Ordinal)) ? new ThrottledLogger(logger, _throttle) : logger;
    }

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    public void Dispose()
    {
        // The caller owns the inner factory.
    }

    private sealed class ThrottledLogger(ILogger inner, LogThrottle throttle) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!inner.IsEnabled(logLevel))
            {
                return;
            }
            // Only warnings and worse are what an attack multiplies; the rest is filtered by level anyway.
            if (logLevel >= LogLevel.Warning)
            {
                throttle.Warn(_ => inner.Log(logLevel, eventId, state, exception, formatter));
            }
            else
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
            }
        }
    }
}
