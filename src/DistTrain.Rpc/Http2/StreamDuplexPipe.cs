using System.IO.Pipelines;

namespace DistTrain.Rpc.Http2;

/// <summary>
/// A socket (or TLS) stream as the duplex pipe a connection runs on: reads of up to a whole
/// ~1 MB frame at a time, writes that go straight to the stream (a frame serialized into one
/// buffer leaves in one send). Completing both sides closes the stream.
/// </summary>
internal sealed class StreamDuplexPipe(Stream stream) : IDuplexPipe
{
    public PipeReader Input { get; } = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 256 * 1024, minimumReadSize: 64 * 1024));

    public PipeWriter Output { get; } = PipeWriter.Create(stream, new StreamPipeWriterOptions(minimumBufferSize: 64 * 1024));

    public void Close()
    {
        Input.Complete();
        Output.Complete();
    }
}
