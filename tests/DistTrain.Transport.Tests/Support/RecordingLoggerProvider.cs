using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace DistTrain.Transport.Tests.Support;

/// <summary>Keeps every log entry (all levels, all categories) so tests can assert what was logged.</summary>
public sealed class RecordingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();

    public IReadOnlyCollection<LogEntry> Entries => _entries;

    public ILoggerFactory CreateFactory() =>
        LoggerFactory.Create(builder => builder.AddProvider(this).SetMinimumLevel(LogLevel.Trace));

    public ILogger CreateLogger(string categoryName) => new Recorder(categoryName, _entries);

    public bool Contains(Func<LogEntry, bool> predicate) => _entries.Any(predicate);

    /// <summary>Log lines are written as the server reacts, which may be just after a client saw the result.</summary>
    public async Task<bool> WaitForAsync(Func<LogEntry, bool> predicate, TimeSpan? timeout = null)
    {
        var until = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(5));
        while (DateTime.UtcNow < until)
        {
            if (Contains(predicate))
            {
                return true;
            }
            await Task.Delay(20);
        }
        return Contains(predicate);
    }

    public void Dispose()
    {
    }

    public sealed record LogEntry(string Category, LogLevel Level, string Message, Exception? Exception)
    {
        public DateTime Time { get; } = DateTime.UtcNow;
    }

    private sealed class Recorder(string category, ConcurrentQueue<LogEntry> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            entries.Enqueue(new LogEntry(category, logLevel, formatter(state, exception), exception));
    }
}
