using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DistTrain.Transport.AspNetCore;

/// <summary>
/// The caller's loggers for the web host, minus the generic host's own lines: a failed start
/// (a port in use) reaches the caller as an exception with one clear message, so the host's
/// "Hosting failed to start" with its stack trace would only say the same thing again, louder.
/// </summary>
internal sealed class HostLoggerFactory(ILoggerFactory inner) : ILoggerFactory
{
    private const string GenericHost = "Microsoft.Extensions.Hosting";

    public ILogger CreateLogger(string categoryName) =>
        categoryName.StartsWith(GenericHost, StringComparison.Ordinal) ? NullLogger.Instance : inner.CreateLogger(categoryName);

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    public void Dispose()
    {
        // The caller owns the inner factory.
    }
}
