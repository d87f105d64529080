using Grpc.Core;

namespace DistTrain.Transport.Http2.Client;

/// <summary>The request side of a client streaming call.</summary>
internal sealed class ClientRequestStream<T>(StreamingCall call, Action<T, SerializationContext> serialize, int maxSendMessageSize) : IClientStreamWriter<T>
    where T : class
{
    private readonly SemaphoreSlim _lock = new(1, 1);
    private bool _completed;

    public WriteOptions? WriteOptions { get; set; }

    public Task WriteAsync(T message) => WriteAsync(message, CancellationToken.None);

    public async Task WriteAsync(T message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        ThrowIfCallEnded();
        using var linked = cancellationToken.CanBeCanceled ? CancellationTokenSource.CreateLinkedTokenSource(call.Call.Token, cancellationToken) : null;
        var token = linked?.Token ?? call.Call.Token;
        var locked = false;
        try
        {
            await _lock.WaitAsync(token).ConfigureAwait(false);
            locked = true;
            if (_completed)
            {
                throw new InvalidOperationException("Request stream has already been completed.");
            }
            ThrowIfCallEnded();
            var stream = await call.StreamAsync(token).ConfigureAwait(false);
            await stream.SendMessageAsync(message, serialize, maxSendMessageSize, endStream: false, token).ConfigureAwait(false);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.ResourceExhausted && call.FinalStatus is null)
        {
            // Over the send limit: nothing went on the wire, but the call is over (as in grpc-dotnet).
            throw call.Fail(e);
        }
        catch (Exception e) when (e is not InvalidOperationException and not RpcException)
        {
            // A write that fails because the call already ended reports that end.
            ThrowIfCallEnded();
            throw call.Fail(e);
        }
        finally
        {
            if (locked)
            {
                _lock.Release();
            }
        }
    }

    public async Task CompleteAsync()
    {
        await _lock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_completed || call.FinalStatus is not null)
            {
                _completed = true;
                return;
            }
            _completed = true;
            var stream = await call.StreamAsync(call.Call.Token).ConfigureAwait(false);
            await stream.EndAsync(call.Call.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not InvalidOperationException)
        {
            // The call ended first; the response side reports how.
            _ = call.Fail(e);
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>A write after the call ended reports how it ended, OK included (as Grpc.Net.Client does).</summary>
    private void ThrowIfCallEnded()
    {
        if (call.FinalStatus is { } ended)
        {
            throw ended;
        }
    }
}
