// Records log events so tests can tell what the fetcher did.
using Microsoft.Extensions.Logging;

namespace DistTrain.Data.Tests;

internal sealed class ListLogger : ILogger
{
    private readonly List<(int EventId, string Message)> events = [];

    public IReadOnlyList<(int EventId, string Message)> Events
    {
        get
        {
            lock (events)
            {
                return [.. events];
            }
        }
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (events)
        {
            events.Add((eventId.Id, formatter(state, exception)));
        }
    }
}
