using System.Buffers;

namespace DistTrain.Training.Tests;

/// <summary>Bytes as a ReadOnlySequence of several segments, as a pipe may hand them over.</summary>
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

    /// <summary>The pieces one after another, each a segment of its own.</summary>
    public static ReadOnlySequence<byte> Join(params ReadOnlyMemory<byte>[] pieces)
    {
        var first = new Segments(pieces[0], 0);
        var last = first;
        foreach (var piece in pieces.Skip(1))
        {
            var next = new Segments(piece, last.RunningIndex + last.Memory.Length);
            last.Next = next;
            last = next;
        }
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }
}
