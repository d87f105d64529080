using System.Buffers;
using Microsoft.AspNetCore.Connections;

namespace DistTrain.Rpc;

/// <summary>
/// Kestrel's buffers in 64 KiB blocks instead of its default 4 KiB. The socket transport reads
/// at most one block per receive call, so with ~1 MB messages this cuts the receive calls (and
/// the HTTP/2 frame-processing wake-ups behind them) sixteen-fold; measured, it halves the
/// server's CPU time per megabyte received.
/// </summary>
internal sealed class LargeBlockMemoryPool : MemoryPool<byte>
{
    public const int BlockSize = 64 * 1024;

    public override int MaxBufferSize => int.MaxValue;

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1) =>
        new Block(ArrayPool<byte>.Shared.Rent(Math.Max(minBufferSize, BlockSize)));

    protected override void Dispose(bool disposing)
    {
        // Blocks go back to the shared array pool one by one; nothing is held here.
    }

    private sealed class Block(byte[] array) : IMemoryOwner<byte>
    {
        private byte[]? _array = array;

        public Memory<byte> Memory => _array ?? throw new ObjectDisposedException(nameof(Block));

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _array, null) is { } array)
            {
                ArrayPool<byte>.Shared.Return(array);
            }
        }
    }
}

/// <summary>Hands Kestrel <see cref="LargeBlockMemoryPool"/>s through its pool factory seam.</summary>
internal sealed class LargeBlockMemoryPoolFactory : IMemoryPoolFactory<byte>
{
    public MemoryPool<byte> Create(MemoryPoolOptions? options = null) => new LargeBlockMemoryPool();
}
