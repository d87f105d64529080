namespace DistTrain.Transport.Tests.Fuzzing;

/// <summary>
/// The socket of a connection under fuzz: reads hand out a fixed input in chunks of the given
/// sizes (as TCP may), then end of stream, unless <see cref="HoldEnd"/> keeps it open until
/// released; writes are kept so the test can read what the engine answered. Notes whether the
/// engine ever asked for more than there was (<see cref="ReachedEnd"/>).
/// </summary>
internal sealed class ScriptedPeer(byte[] input, Func<int> chunkSize) : Stream
{
    private readonly MemoryStream _written = new();
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _position;
    private volatile bool _disposed;

    /// <summary>Reads past the input wait for <see cref="ReleaseEnd"/> instead of returning end of stream.</summary>
    public bool HoldEnd { get; init; }

    public bool ReachedEnd { get; private set; }

    /// <summary>Output is kept up to this many bytes, then only counted.</summary>
    public int MaxKept { get; init; } = 1 << 20;

    public long WrittenCount { get; private set; }

    public void ReleaseEnd() => _release.TrySetResult();

    public byte[] Written()
    {
        lock (_written)
        {
            return _written.ToArray();
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (buffer.IsEmpty)
        {
            return 0;
        }
        if (_position == input.Length)
        {
            ReachedEnd = true;
            if (HoldEnd)
            {
                await _release.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
                ObjectDisposedException.ThrowIf(_disposed, this);
            }
            return 0;
        }
        var count = Math.Min(Math.Min(buffer.Length, Math.Max(1, chunkSize())), input.Length - _position);
        input.AsSpan(_position, count).CopyTo(buffer.Span);
        _position += count;
        return count;
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        lock (_written)
        {
            WrittenCount += buffer.Length;
            if (_written.Length + buffer.Length <= MaxKept)
            {
                _written.Write(buffer.Span);
            }
        }
        return ValueTask.CompletedTask;
    }

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    protected override void Dispose(bool disposing)
    {
        _disposed = true;
        // A read held at the end wakes and fails, as a socket's does when it is closed.
        _release.TrySetResult();
        base.Dispose(disposing);
    }

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
