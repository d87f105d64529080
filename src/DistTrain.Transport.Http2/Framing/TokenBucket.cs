using System.Diagnostics;

namespace DistTrain.Transport.Http2.Framing;

/// <summary>
/// A rate bound for frames a peer may send: <c>rate</c> per second on average, bursts of ten
/// times that. Read loop only (not thread-safe).
/// </summary>
internal sealed class TokenBucket(int rate)
{
    private readonly double _capacity = 10.0 * rate;
    private double _tokens = 10.0 * rate;
    private long _last = Stopwatch.GetTimestamp();

    /// <summary>Takes one token; false when the peer has gone past the bound.</summary>
    public bool TryTake()
    {
        var now = Stopwatch.GetTimestamp();
        _tokens = Math.Min(_capacity, _tokens + (rate * Stopwatch.GetElapsedTime(_last, now).TotalSeconds));
        _last = now;
        if (_tokens < 1)
        {
            return false;
        }
        _tokens--;
        return true;
    }
}
