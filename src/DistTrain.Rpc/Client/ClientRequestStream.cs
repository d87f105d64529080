using System.Buffers;
using DistTrain.Rpc.Wire;
using Google.Protobuf;

namespace DistTrain.Rpc;

/// <summary>The request side of a client streaming call.</summary>
internal sealed class ClientRequestStream<T>(StreamingCall call, int maxSendMessageSize) : IClientStreamWriter<T>
    where T : IMessage<T>
{
    private readonly SemaphoreSlim _lock = new(1, 1);
    private bool _completed;

    public async Task WriteAsync(T message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        var size = message.CalculateSize();
        if (size > maxSendMessageSize)
        {
            throw MessageFrame.TooLarge(size, maxSendMessageSize, receivingSide: false);
        }
        ThrowIfCallEnded();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(call.Call.Token, cancellationToken);
        var locked = false;
        byte[]? buffer = null;
        try
        {
            await _lock.WaitAsync(linked.Token).ConfigureAwait(false);
            locked = true;
            if (_completed)
            {
                throw new InvalidOperationException("The request stream was already completed.");
            }
            ThrowIfCallEnded();
            var stream = await call.RequestStreamAsync(linked.Token).ConfigureAwait(false);
            buffer = ArrayPool<byte>.Shared.Rent(MessageFrame.HeaderSize + size);
            MessageFrame.WriteHeader(buffer, size);
            message.WriteTo(buffer.AsSpan(MessageFrame.HeaderSize, size));
            await stream.WriteAsync(buffer.AsMemory(0, MessageFrame.HeaderSize + size), linked.Token).ConfigureAwait(false);
            await stream.FlushAsync(linked.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not InvalidOperationException and not RpcException)
        {
            // A write that fails because the call already ended reports that end.
            ThrowIfCallEnded();
            throw call.Fail(e);
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
            if (locked)
            {
                _lock.Release();
            }
        }
    }

    private void ThrowIfCallEnded()
    {
        if (call.FinalStatus is { } ended)
        {
            throw ended.StatusCode == StatusCode.OK
                ? new InvalidOperationException("The call already ended; no more messages can be sent.")
                : ended;
        }
    }

    public async Task CompleteAsync()
    {
        await _lock.WaitAsync().ConfigureAwait(false);
        try
        {
            _completed = true;
            call.Content.Complete();
        }
        finally
        {
            _lock.Release();
        }
    }
}
