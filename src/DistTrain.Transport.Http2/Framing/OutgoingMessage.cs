using System.Buffers;
using DistTrain.Transport.Buffers;
using DistTrain.Transport.Http2.Wire;
using Grpc.Core;

namespace DistTrain.Transport.Http2.Framing;

/// <summary>
/// The <see cref="SerializationContext"/> a marshaller writes one message into. When the
/// marshaller announces the payload's length and the whole length-prefixed message fits the
/// peer's frame size and both windows, the DATA frame header and the length prefix go into the
/// connection's output first and the marshaller writes straight after them (one DATA frame, no
/// copy of ours). Otherwise the message is collected in a pooled buffer and sent in chunks as
/// credit allows. Either way a tail given by reference (<see cref="ISerializationTail"/>) is
/// written to the socket from its own memory after the rest.
/// </summary>
internal sealed class OutgoingMessage : SerializationContext, ISerializationTail, IBufferWriter<byte>, IDisposable
{
    private readonly Func<int, bool> _tryReserveWhole;
    private readonly IBufferWriter<byte> _output;
    private readonly int _streamId;
    private readonly bool _endStream;
    private readonly int _maxSize;
    private byte[]? _buffer;
    private int _buffered;
    private int _declared = -1;
    private long _written;
    private bool _completed;

    /// <param name="tryReserveWhole">Reserves send credit for a whole length-prefixed message of the given size; false when it does not fit.</param>
    public OutgoingMessage(IBufferWriter<byte> output, Func<int, bool> tryReserveWhole, int streamId, bool endStream, int maxSize)
    {
        _output = output;
        _tryReserveWhole = tryReserveWhole;
        _streamId = streamId;
        _endStream = endStream;
        _maxSize = maxSize;
    }

    /// <summary>True when the message went into the output as one DATA frame (apart from its tail).</summary>
    public bool Direct { get; private set; }

    /// <summary>The bytes to write from their own memory after the rest.</summary>
    public ReadOnlyMemory<byte> Tail { get; private set; }

    /// <summary>Buffered mode: the length prefix and the message (without its tail).</summary>
    public ReadOnlyMemory<byte> Buffered => _buffer.AsMemory(0, _buffered);

    /// <summary>The message's size without the length prefix.</summary>
    public long Size => _written + Tail.Length;

    public override void SetPayloadLength(int payloadLength)
    {
        ThrowIfCompleted();
        if (_declared >= 0 || _written > 0)
        {
            throw new InvalidOperationException("The payload length must be set once, before anything is written.");
        }
        ArgumentOutOfRangeException.ThrowIfNegative(payloadLength);
        CheckSize(payloadLength);
        _declared = payloadLength;
        if (_tryReserveWhole(MessageFrame.HeaderSize + payloadLength))
        {
            Direct = true;
            var head = _output.GetSpan(FrameHeader.Size + MessageFrame.HeaderSize);
            new FrameHeader(MessageFrame.HeaderSize + payloadLength, FrameType.Data, _endStream ? FrameFlags.EndStream : (byte)0, _streamId).Write(head);
            MessageFrame.WriteHeader(head[FrameHeader.Size..], payloadLength);
            _output.Advance(FrameHeader.Size + MessageFrame.HeaderSize);
        }
    }

    public override IBufferWriter<byte> GetBufferWriter()
    {
        ThrowIfCompleted();
        return this;
    }

    public override void Complete() => Finish();

    public override void Complete(byte[] payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        if (_declared < 0)
        {
            SetPayloadLength(payload.Length);
        }
        Write(payload);
        Finish();
    }

    public void CompleteWithTail(ReadOnlyMemory<byte> tail)
    {
        ThrowIfCompleted();
        Tail = tail;
        Finish();
    }

    /// <summary>Throws unless the marshaller completed the message, with as many bytes as it announced.</summary>
    public void EnsureComplete()
    {
        if (!_completed)
        {
            throw new InvalidOperationException("The marshaller did not complete the message.");
        }
    }

    public void Advance(int count)
    {
        ThrowIfCompleted();
        if (Direct)
        {
            _output.Advance(count);
        }
        else
        {
            _buffered += count;
        }
        _written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        ThrowIfCompleted();
        return Direct ? _output.GetMemory(sizeHint) : Grow(sizeHint).AsMemory(_buffered);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        ThrowIfCompleted();
        return Direct ? _output.GetSpan(sizeHint) : Grow(sizeHint).AsSpan(_buffered);
    }

    public void Dispose()
    {
        if (_buffer is { } buffer)
        {
            _buffer = null;
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void Write(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(GetSpan(bytes.Length));
        Advance(bytes.Length);
    }

    private void Finish()
    {
        ThrowIfCompleted();
        _completed = true;
        if (_declared >= 0 && Size != _declared)
        {
            // A direct frame's header already carries the announced length: the connection cannot recover.
            throw new InvalidOperationException($"The marshaller announced {_declared} bytes but wrote {Size}.");
        }
        CheckSize(Size);
        if (!Direct)
        {
            MessageFrame.WriteHeader(Grow(0), checked((int)Size));
        }
    }

    private void CheckSize(long size)
    {
        if (size > _maxSize)
        {
            throw MessageFrame.TooLarge(size, _maxSize, receivingSide: false);
        }
    }

    /// <summary>The buffer, with room for <paramref name="sizeHint"/> more bytes; its first bytes are kept for the length prefix.</summary>
    private byte[] Grow(int sizeHint)
    {
        if (_buffer is null)
        {
            _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(4096, MessageFrame.HeaderSize + Math.Max(sizeHint, _declared)));
            _buffered = MessageFrame.HeaderSize;
        }
        var needed = _buffered + Math.Max(sizeHint, 1);
        if (needed > _buffer.Length)
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, 2 * _buffer.Length));
            _buffer.AsSpan(0, _buffered).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = larger;
        }
        return _buffer;
    }

    private void ThrowIfCompleted()
    {
        if (_completed)
        {
            throw new InvalidOperationException("The message was already completed.");
        }
    }
}
