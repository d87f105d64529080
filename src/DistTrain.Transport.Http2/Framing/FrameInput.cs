using System.Buffers;

namespace DistTrain.Transport.Http2.Framing;

/// <summary>
/// Buffered reading of frames from the transport stream. Small frames are parsed from the
/// buffer; a large DATA payload is read straight into its destination, so a received message
/// is copied by the kernel only. The buffer is rented only while bytes are waiting in it: an
/// idle connection waits with a zero-byte read and holds no buffer at all.
/// </summary>
internal sealed class FrameInput(Stream stream)
{
    private const int InitialSize = 16 * 1024;

    private byte[]? _buffer;
    private int _start;
    private int _end;

    public int Buffered => _end - _start;

    /// <summary>The first <paramref name="length"/> buffered bytes (call <see cref="FillAsync"/> first).</summary>
    public ReadOnlySpan<byte> Peek(int length) => _buffer.AsSpan(_start, length);

    public ReadOnlySequence<byte> PeekSequence(int length) => length == 0 ? ReadOnlySequence<byte>.Empty : new(_buffer!, _start, length);

    public void Consume(int length)
    {
        _start += length;
        if (_start == _end)
        {
            ReturnBuffer();
        }
    }

    /// <summary>Buffers at least <paramref name="length"/> bytes; false when the stream ended first.</summary>
    public async ValueTask<bool> FillAsync(int length)
    {
        if (Buffered >= length)
        {
            return true;
        }
        if (_buffer is null)
        {
            // Wait for data before taking memory: thousands of silent connections cost no buffers.
            await stream.ReadAsync(Memory<byte>.Empty).ConfigureAwait(false);
            _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(InitialSize, length));
            _start = _end = 0;
        }
        else if (_buffer.Length - _start < length)
        {
            var larger = _buffer.Length >= length ? _buffer : ArrayPool<byte>.Shared.Rent(length);
            Buffer.BlockCopy(_buffer, _start, larger, 0, Buffered);
            if (!ReferenceEquals(larger, _buffer))
            {
                ArrayPool<byte>.Shared.Return(_buffer);
            }
            _buffer = larger;
            _end = Buffered;
            _start = 0;
        }
        while (Buffered < length)
        {
            var read = await stream.ReadAsync(_buffer.AsMemory(_end)).ConfigureAwait(false);
            if (read == 0)
            {
                return false;
            }
            _end += read;
        }
        return true;
    }

    /// <summary>Fills <paramref name="destination"/>: buffered bytes first, the rest straight from the stream.</summary>
    public async ValueTask ReadExactlyAsync(Memory<byte> destination)
    {
        var buffered = Math.Min(Buffered, destination.Length);
        if (buffered > 0)
        {
            _buffer.AsSpan(_start, buffered).CopyTo(destination.Span);
            Consume(buffered);
        }
        if (buffered < destination.Length)
        {
            await stream.ReadExactlyAsync(destination[buffered..]).ConfigureAwait(false);
        }
    }

    /// <summary>Discards <paramref name="length"/> bytes.</summary>
    public async ValueTask SkipAsync(int length)
    {
        while (length > 0)
        {
            if (Buffered == 0 && !await FillAsync(1).ConfigureAwait(false))
            {
                throw new EndOfStreamException();
            }
            var skipped = Math.Min(Buffered, length);
            Consume(skipped);
            length -= skipped;
        }
    }

    /// <summary>
    /// The read loop has ended: the buffer goes back to the pool. Only the read loop calls this
    /// (and only it reads), so no read can still be filling the buffer.
    /// </summary>
    public void Dispose() => ReturnBuffer();

    private void ReturnBuffer()
    {
        if (_buffer is { } buffer)
        {
            _buffer = null;
            _start = _end = 0;
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
