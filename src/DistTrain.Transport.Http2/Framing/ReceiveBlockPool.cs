using System.Buffers;

namespace DistTrain.Transport.Http2.Framing;

/// <summary>
/// The memory of the streams' inbound pipes: every block is a <see cref="ReceiveBlock"/>, so a
/// received tensor can stay where the socket put it instead of being copied out.
/// </summary>
internal sealed class ReceiveBlockPool : MemoryPool<byte>
{
    private const int DefaultBlockSize = 4096;

    private long _outstanding;

    // Not "Shared", which would hide MemoryPool<byte>.Shared: a Pipe given that one rents from ArrayPool.
    public static ReceiveBlockPool Default { get; } = new();

    // A pipe asked for more than this rents straight from ArrayPool, memory a tensor cannot be
    // left in; so every DATA payload (at most 2^24 - 1 bytes) must fit.
    public override int MaxBufferSize => Array.MaxLength;

    /// <summary>Blocks rented whose arrays are not yet back in ArrayPool.</summary>
    public long Outstanding => Interlocked.Read(ref _outstanding);

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(minBufferSize, -1);
        var block = new ReceiveBlock(this, minBufferSize == -1 ? DefaultBlockSize : minBufferSize);
        Interlocked.Increment(ref _outstanding);
        return block;
    }

    internal void OnReturned() => Interlocked.Decrement(ref _outstanding);

    protected override void Dispose(bool disposing)
    {
        // Blocks outlive the pool's users: each goes back to ArrayPool when its last holder releases it.
    }
}
