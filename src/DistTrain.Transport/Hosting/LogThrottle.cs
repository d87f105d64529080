using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace DistTrain.Transport.Hosting;

/// <summary>
/// Keeps lines about misbehaving peers from becoming an amplifier (an attack that costs a line
/// per frame would fill the disk): at most <c>perWindow</c> lines per ten seconds for one
/// server; the rest are counted and the count is logged with the next line let through.
/// </summary>
public sealed partial class LogThrottle(ILogger logger, int perWindow = 10)
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(10);
    private readonly Lock _gate = new();
    private long _windowStart = Stopwatch.GetTimestamp();
    private int _inWindow;
    private int _suppressed;

    /// <summary>Logs through <paramref name="log"/> unless this window's lines are used up.</summary>
    public void Warn(Action<ILogger> log)
    {
        int suppressed;
        lock (_gate)
        {
            var now = Stopwatch.GetTimestamp();
            if (Stopwatch.GetElapsedTime(_windowStart, now) >= Window)
            {
                _windowStart = now;
                _inWindow = 0;
            }
            if (_inWindow >= perWindow)
            {
                _suppressed++;
                return;
            }
            _inWindow++;
            suppressed = _suppressed;
            _suppressed = 0;
        }
        if (suppressed > 0)
        {
            LogSuppressed(logger, suppressed);
        }
        log(logger);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} more lines about peers were not logged (at most 10 every 10 s)")]
    private static partial void LogSuppressed(ILogger logger, int count);
}
