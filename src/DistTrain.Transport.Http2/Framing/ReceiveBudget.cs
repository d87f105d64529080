namespace DistTrain.Transport.Http2.Framing;

/// <summary>
/// Request bytes received but not yet read by a handler, across every connection of a server.
/// Each connection's window bounds its own share; this bounds their sum, so many connections
/// that each fill their window and stall cannot add up to more memory than the server budgets.
/// </summary>
internal sealed class ReceiveBudget(long maxBytes)
{
    private long _used;

    public long Used => Interlocked.Read(ref _used);

    public long MaxBytes => maxBytes;

    /// <summary>False when taking <paramref name="bytes"/> goes past the budget (they are counted anyway, and released as usual).</summary>
    public bool TryTake(int bytes) => Interlocked.Add(ref _used, bytes) <= maxBytes;

    public void Release(int bytes) => Interlocked.Add(ref _used, -bytes);
}
