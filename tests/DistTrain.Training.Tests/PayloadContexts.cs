using System.Buffers;
using DistTrain.Transport.Buffers;
using Grpc.Core;

namespace DistTrain.Training.Tests;

/// <summary>A payload as a transport hands it to a marshaller; with <c>retain</c> it keeps slices the way the engine does (here: by reference, counted).</summary>
internal sealed class TestDeserializationContext(ReadOnlySequence<byte> payload, bool retain = false) : DeserializationContext, IPayloadRetention
{
    public int Retained { get; private set; }

    public int Released { get; private set; }

    public override int PayloadLength => (int)payload.Length;

    public override ReadOnlySequence<byte> PayloadAsReadOnlySequence() => payload;

    public IMemoryOwner<byte>? TryRetain(ReadOnlySequence<byte> slice)
    {
        if (!retain || !slice.IsSingleSegment)
        {
            return null;
        }
        Retained++;
        return new Owner(this, slice.First);
    }

    private sealed class Owner(TestDeserializationContext context, ReadOnlyMemory<byte> memory) : IMemoryOwner<byte>
    {
        private bool _disposed;

        public Memory<byte> Memory => System.Runtime.InteropServices.MemoryMarshal.AsMemory(memory);

        public void Dispose()
        {
            if (!_disposed)
            {
                _disposed = true;
                context.Released++;
            }
        }
    }
}

/// <summary>A serialization context like a transport's: a growing buffer, optionally taking the tail by reference.</summary>
internal sealed class TestSerializationContext(bool takesTail) : SerializationContext, IBufferWriter<byte>
{
    private readonly ArrayBufferWriter<byte> _buffer = new();

    public int? DeclaredLength { get; private set; }

    public bool Completed { get; private set; }

    public ReadOnlyMemory<byte> Tail { get; private set; }

    public byte[] Payload => [.. _buffer.WrittenSpan, .. Tail.Span];

    public override void SetPayloadLength(int payloadLength) => DeclaredLength = payloadLength;

    public override IBufferWriter<byte> GetBufferWriter() => this;

    public override void Complete() => Completed = true;

    public override void Complete(byte[] payload)
    {
        _buffer.Write(payload);
        Completed = true;
    }

    public void Advance(int count) => _buffer.Advance(count);

    public Memory<byte> GetMemory(int sizeHint = 0) => _buffer.GetMemory(sizeHint);

    public Span<byte> GetSpan(int sizeHint = 0) => _buffer.GetSpan(sizeHint);

    /// <summary>The same context, taking the tail by reference as the engine does.</summary>
    public sealed class WithTail() : SerializationContext, ISerializationTail
    {
        private readonly TestSerializationContext _inner = new(takesTail: true);

        public TestSerializationContext Inner => _inner;

        public override void SetPayloadLength(int payloadLength) => _inner.SetPayloadLength(payloadLength);

        public override IBufferWriter<byte> GetBufferWriter() => _inner;

        public override void Complete() => _inner.Complete();

        public void CompleteWithTail(ReadOnlyMemory<byte> tail)
        {
            _inner.Tail = tail;
            _inner.Completed = true;
        }
    }

    internal bool TakesTail => takesTail;
}
