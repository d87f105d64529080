using System.Buffers;

namespace DistTrain.Rpc.Tests.Support;

/// <summary>A byte array as a ReadOnlySequence cut into several segments, as a pipe may hand it over.</summary>
internal sealed class Segments : ReadOnlySequenceSegment<byte>
{
    private Segments(ReadOnlyMemory<byte> memory, long runningIndex)
    {
        Memory = memory;
        RunningIndex = runningIndex;
    }

    public static ReadOnlySequence<byte> Split(byte[] bytes, Random random, int pieces)
    {
        if (bytes.Length == 0 || pieces <= 1)
        {
            return new ReadOnlySequence<byte>(bytes);
        }
        var cuts = Enumerable.Range(0, pieces - 1).Select(_ => random.Next(bytes.Length + 1)).Append(0).Append(bytes.Length).Distinct().Order().ToArray();
        var first = new Segments(bytes.AsMemory(cuts[0], cuts[1] - cuts[0]), 0);
        var last = first;
        for (var i = 1; i < cuts.Length - 1; i++)
        {
            var next = new Segments(bytes.AsMemory(cuts[i], cuts[i + 1] - cuts[i]), cuts[i]);
            last.Next = next;
            last = next;
        }
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }
}
