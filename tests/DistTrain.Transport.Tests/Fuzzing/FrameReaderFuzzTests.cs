using DistTrain.Fuzzing;
using Xunit.Abstractions;

namespace DistTrain.Transport.Tests.Fuzzing;

/// <summary>
/// The server's HTTP/2 read loop, and everything behind it (HPACK, streams, flow control, the call
/// dispatcher, message framing, the services' deserializers), fed arbitrary bytes after a valid
/// preface and SETTINGS: see <see cref="ConnectionHarness"/> for what must hold.
/// </summary>
[Collection(nameof(FuzzIsolation))]
public sealed class FrameReaderFuzzTests(ITestOutputHelper output)
{
    [Fact]
    public void Fuzz_connection_survives_any_bytes_after_the_handshake() =>
        FuzzRunner.Run(new FuzzTarget("http2-connection", 5000, r => Mutator.ValidMutatedOrRandom(r, FrameScript.Generate, 2048), ConnectionHarness.Run)
        {
            CaseTimeout = TimeSpan.FromSeconds(30),
        }, output.WriteLine);
}
