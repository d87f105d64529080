using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using DistTrain.Transport.Http2.Framing;
using DistTrain.Training.Protocol;
using DistTrain.Transport.Tests.Support;
using DistTrain.Training.Protocol.V1;
using Google.Protobuf;
using Grpc.Core;

namespace DistTrain.Transport.Tests;

/// <summary>
/// The blocks of a stream's inbound pipe, in process: shared by the pipe and the tensors left in
/// them, back in ArrayPool only when both have let go, and never twice.
/// </summary>
public sealed class ReceiveBlockTests
{
    private const int BlockSize = 1 << 20;
    private const int TensorBytes = 300_000;

    [Fact]
    public void A_block_goes_back_to_ArrayPool_only_after_the_pipe_and_the_tensor_released_it()
    {
        foreach (var pipeFirst in new[] { true, false })
        {
            var pool = new ReceiveBlockPool();
            var block = (ReceiveBlock)pool.Rent(BlockSize);
            // The block does not hand out its array: the address of its first byte identifies it.
            ref var array = ref MemoryMarshal.GetReference(block.GetSpan());
            Random.Shared.NextBytes(block.GetSpan());
            var expected = block.GetSpan().Slice(7, TensorBytes).ToArray();

            var tensor = Take(new ReadOnlySequence<byte>(block.Memory.Slice(7, TensorBytes)));
            Assert.True(IsLeased(tensor));
            if (pipeFirst)
            {
                ((IDisposable)block).Dispose();
                Assert.Equal(1, pool.Outstanding);
                AssertNotInArrayPool(ref array);
                Assert.Equal(expected, tensor.ToByteArray());
                ReceivedTensor.Release(tensor);
            }
            else
            {
                ReceivedTensor.Release(tensor);
                Assert.Equal(1, pool.Outstanding);
                AssertNotInArrayPool(ref array);
                ((IDisposable)block).Dispose();
            }
            Assert.Equal(0, pool.Outstanding);
            // ArrayPool hands the array it got last back first, on the same thread.
            var again = ArrayPool<byte>.Shared.Rent(BlockSize);
            ArrayPool<byte>.Shared.Return(again);
            Assert.True(Unsafe.AreSame(ref array, ref MemoryMarshal.GetArrayDataReference(again)));
        }
    }

    [Fact]
    public void Returning_a_tensor_twice_releases_its_block_once()
    {
        var pool = new ReceiveBlockPool();
        var block = (ReceiveBlock)pool.Rent(BlockSize);
        Random.Shared.NextBytes(block.GetSpan());
        var first = Take(new ReadOnlySequence<byte>(block.Memory[..TensorBytes]));
        var second = Take(new ReadOnlySequence<byte>(block.Memory.Slice(TensorBytes, TensorBytes)));
        var expected = block.Memory.Slice(TensorBytes, TensorBytes).ToArray();

        ReceivedTensor.Release(first);
        ReceivedTensor.Release(first);
        ((IDisposable)block).Dispose();
        ((IDisposable)block).Dispose();

        // The second tensor still holds the block: counting any release twice would have freed it.
        Assert.Equal(1, pool.Outstanding);
        Assert.Equal(expected, second.ToByteArray());
        Assert.Throws<ObjectDisposedException>(() => first.Span[0]);
        ReceivedTensor.Release(second);
        Assert.Equal(0, pool.Outstanding);
        Assert.Throws<ObjectDisposedException>(() => second.Span[0]);
    }

    [Fact]
    public void A_pinned_tensor_keeps_its_block_until_unpinned()
    {
        var pool = new ReceiveBlockPool();
        var block = (ReceiveBlock)pool.Rent(BlockSize);
        var tensor = Take(new ReadOnlySequence<byte>(block.Memory.Slice(3, TensorBytes)));
        var handle = tensor.Memory.Pin();
        ((IDisposable)block).Dispose();
        ReceivedTensor.Release(tensor);
        Assert.Equal(1, pool.Outstanding);
        handle.Dispose();
        Assert.Equal(0, pool.Outstanding);
    }

    [Fact]
    public void The_inbound_pipe_takes_every_DATA_payload_from_the_block_pool()
    {
        var pipe = new Pipe(Http2Stream.InboundOptions);
        // Frame payload sizes from empty to the largest HTTP/2 allows (2^24 - 1).
        foreach (var size in new[] { 1, 4096, 16_384, 200_000, BlockSize + 69, (1 << 24) - 1 })
        {
            var memory = pipe.Writer.GetMemory(size);
            Assert.True(MemoryMarshal.TryGetMemoryManager<byte, ReceiveBlock>(memory, out _), $"a {size}-byte payload went elsewhere");
            pipe.Writer.Advance(size);
        }
        pipe.Writer.Complete();
        Assert.True(pipe.Reader.TryRead(out var result));
        pipe.Reader.AdvanceTo(result.Buffer.End);
        pipe.Reader.Complete();
    }

    [Fact]
    public async Task A_tensor_outlives_the_failed_pipe_it_arrived_in()
    {
        var pool = new ReceiveBlockPool();
        var pipe = new Pipe(new PipeOptions(pool: pool, pauseWriterThreshold: 0, useSynchronizationContext: false));
        var sent = Weights(1_000_000);
        sent.WriteTo(pipe.Writer.GetSpan(sent.CalculateSize() + 100)[..sent.CalculateSize()]);
        pipe.Writer.Advance(sent.CalculateSize());
        pipe.Writer.Write(new byte[100]); // the start of a message that never finishes
        await pipe.Writer.FlushAsync();

        Assert.True(pipe.Reader.TryRead(out var result));
        var received = Read(result.Buffer.Slice(0, sent.CalculateSize()));
        Assert.True(IsLeased(received.Weights.Parameters));
        pipe.Reader.AdvanceTo(result.Buffer.GetPosition(sent.CalculateSize()));
        pipe.Writer.Complete(new IOException("connection lost"));
        pipe.Reader.Complete();

        Assert.Equal(1, pool.Outstanding);
        Assert.Equal(sent, received);
        ReceivedTensor.Release(received.Weights.Parameters);
        Assert.Equal(0, pool.Outstanding);
    }

    [Fact]
    public void A_tensor_across_blocks_or_a_small_one_is_copied()
    {
        var pool = new ReceiveBlockPool();
        var sent = Weights(200_000).ToByteArray();
        var head = (ReceiveBlock)pool.Rent(BlockSize);
        var tail = (ReceiveBlock)pool.Rent(BlockSize);
        sent.AsSpan(0, 100_000).CopyTo(head.GetSpan());
        sent.AsSpan(100_000).CopyTo(tail.GetSpan());
        var split = Read(Segments.Join(head.Memory[..100_000], tail.Memory[..(sent.Length - 100_000)]));

        var small = (ReceiveBlock)pool.Rent(BlockSize);
        var smallSent = Weights(ReceivedTensorMinimum - 1).ToByteArray();
        smallSent.CopyTo(small.GetSpan());
        var smallRead = Read(new ReadOnlySequence<byte>(small.Memory[..smallSent.Length]));

        foreach (var block in new[] { head, tail, small })
        {
            ((IDisposable)block).Dispose();
        }
        Assert.Equal(0, pool.Outstanding);
        Assert.Equal(CoordinatorMessage.Parser.ParseFrom(sent), split);
        Assert.Equal(CoordinatorMessage.Parser.ParseFrom(smallSent), smallRead);
        foreach (var copied in new[] { split.Weights.Parameters, smallRead.Weights.Parameters })
        {
            Assert.False(IsLeased(copied));
            Assert.NotNull(ReceivedTensor.Of(copied));
            ReceivedTensor.Release(copied);
        }
    }

    private const int ReceivedTensorMinimum = 64 * 1024;

    /// <summary>True when the bytes are a received tensor left where the engine received them.</summary>
    internal static bool IsLeased(ByteString bytes) => ReceivedTensor.Of(bytes)?.IsRetained == true;

    /// <summary>The tensor bytes as the training marshaller takes them from an engine payload.</summary>
    private static ByteString Take(ReadOnlySequence<byte> bytes)
    {
        var context = new IncomingMessage();
        context.Reset(bytes);
        return ReceivedTensor.Take(bytes, context);
    }

    /// <summary>A weights message as the training marshaller reads it from an engine payload.</summary>
    private static CoordinatorMessage Read(ReadOnlySequence<byte> payload)
    {
        var context = new IncomingMessage();
        context.Reset(payload);
        return TrainerMethods.CoordinatorMessages.ContextualDeserializer(context);
    }

    private static CoordinatorMessage Weights(int length)
    {
        var bytes = new byte[length];
        Random.Shared.NextBytes(bytes);
        return new CoordinatorMessage { Weights = new WeightsBroadcast { Version = 3, Precision = WirePrecision.Fp32, Parameters = ByteString.CopyFrom(bytes) } };
    }

    private static void AssertNotInArrayPool(ref byte array)
    {
        var rented = ArrayPool<byte>.Shared.Rent(BlockSize);
        ArrayPool<byte>.Shared.Return(rented);
        Assert.False(Unsafe.AreSame(ref array, ref MemoryMarshal.GetArrayDataReference(rented)));
    }
}
