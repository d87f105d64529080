using System.Buffers;

namespace DistTrain.Transport.Http2.Framing;

/// <summary>
/// Buffered reading of frames from the transport stream. Small frames are parsed from the
/// buffer; a large DATA payload is read straight into its destination, so a received message
/// is copied by the kernel only.
/// </summary>
internal sealed class FrameInput(Stream stream)
{
    private const int InitialSize = 64 * 1024;

    // Not pooled: a read may still be running into it while the connection is torn down.
    private byte[] _buffer = new byte[InitialSize];
    private int _start;
    private int _end;

    public int Buffered => _end - _start;

    /// <summary>The first <paramref name="length"/> buffered bytes (call <see cref="FillAsync"/> first).</summary>
    public ReadOnlySpan<byte> Peek(int length) => _buffer.AsSpan(_start, length);

    public ReadOnlySequence<byte> PeekSequence(int length) => new(_buffer, _start, length);

    public void Consume(int length) => _start += length;

    /// <summary>Buffers at least <paramref name="length"/> bytes; false when the stream ended first.</summary>
    public async ValueTask<bool> FillAsync(int length)
    {
        if (Buffered >= length)
        {
            return true;
        }
        if (_buffer.Length - _start < length)
        {
            var larger = _buffer.Length >= length ? _buffer : new byte[length];
            Buffer.BlockCopy(_buffer, _start, larger, 0, Buffered);
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
        _buffer.AsSpan(_start, buffered).CopyTo(destination.Span);
        Consume(buffered);
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
}
