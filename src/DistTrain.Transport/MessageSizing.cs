namespace DistTrain.Transport;

/// <summary>
/// Maximum message sizes that fit the training protocol's payloads. Tensors travel as raw
/// little-endian bytes in `bytes` fields, so a message is its payload plus a few small fields.
/// </summary>
public static class MessageSizing
{
    /// <summary>The gRPC default; never go below it.</summary>
    public const int Default = 4 * 1024 * 1024;

    /// <summary>Room for the non-tensor fields and protobuf tags.</summary>
    public const int Headroom = 64 * 1024;

    /// <summary>Fits all <paramref name="parameterCount"/> parameters as float32 (the widest wire precision).</summary>
    public static int ForParameters(int parameterCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(parameterCount);
        return Fit(parameterCount * (long)sizeof(float));
    }

    /// <summary>Fits a shard task: <paramref name="sampleCount"/> x <paramref name="inputSize"/> pixel bytes plus the labels.</summary>
    public static int ForShard(int sampleCount, int inputSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sampleCount);
        ArgumentOutOfRangeException.ThrowIfNegative(inputSize);
        return Fit((long)sampleCount * (inputSize + 1));
    }

    private static int Fit(long payloadBytes)
    {
        // An eighth extra covers the protobuf varint length prefixes with room to spare.
        var size = payloadBytes + (payloadBytes / 8) + Headroom;
        return (int)Math.Clamp(size, Default, int.MaxValue);
    }
}
