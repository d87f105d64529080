using System.IO.Pipelines;

namespace DistTrain.Transport.Http2.Framing;

/// <summary>
/// A socket (or TLS) stream as a connection's transport: frames are read with
/// <see cref="FrameInput"/> (large DATA payloads straight into their stream's buffer) and
/// written through a pipe writer (a frame serialized into one buffer leaves in one send).
/// </summary>
internal sealed class FrameTransport(Stream stream)
{
    public FrameInput Input { get; } = new(stream);

    public PipeWriter Output { get; } = PipeWriter.Create(stream, new StreamPipeWriterOptions(minimumBufferSize: 64 * 1024, leaveOpen: true));

    /// <summary>Writes past the output pipe, straight from <paramref name="data"/>; flush the output first.</summary>
    public ValueTask WriteDirectAsync(ReadOnlyMemory<byte> data) => stream.WriteAsync(data);

    /// <summary>Makes pending reads and writes fail; the read loop then ends.</summary>
    public void Abort()
    {
        Output.CancelPendingFlush();
        stream.Dispose();
    }

    public async Task CloseAsync()
    {
        try
        {
            await Output.CompleteAsync().ConfigureAwait(false);
        }
        finally
        {
            await stream.DisposeAsync().ConfigureAwait(false);
        }
    }
}
