using DistTrain.Training.Configuration;
using DistTrain.Training.Protocol;

namespace DistTrain.Training.Tests;

public class TensorCodecTests
{
    [Fact]
    public void Fp32_round_trips_bit_for_bit()
    {
        float[] values = [0f, -0f, 1.5f, -3.25e-20f, float.MaxValue, float.Epsilon, 0.1f];
        byte[] buffer = [];
        var bytes = TensorCodec.EncodeInto(values, WirePrecisionKind.Fp32, ref buffer);
        Assert.Equal(values.Length * 4, bytes.Length);
        var back = new float[values.Length];
        Assert.True(TensorCodec.TryDecode(bytes.Span, WirePrecisionKind.Fp32, back));
        Assert.Equal(values.Select(BitConverter.SingleToInt32Bits), back.Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public unsafe void An_fp32_broadcast_is_the_parameter_array_itself_and_bf16_is_encoded()
    {
        float[] parameters = [.. Enumerable.Range(0, 40).Select(i => i * 0.37f - 3f)];
        byte[] buffer = [];
        var bytes = TensorCodec.Broadcast(parameters.AsMemory(8, 24), WirePrecisionKind.Fp32, ref buffer);
        Assert.Empty(buffer);
        Assert.Equal(System.Runtime.InteropServices.MemoryMarshal.AsBytes(parameters.AsSpan(8, 24)).ToArray(), bytes.ToByteArray());
        parameters[8] = 42f;
        Assert.Equal(42f, BitConverter.ToSingle(bytes.Span));

        // Sockets pin what they send: the pinned address is the slice's first byte.
        using (var pin = bytes.Memory.Pin())
        {
            Assert.Equal(42f, *(float*)pin.Pointer);
            Assert.Equal(parameters[9], *((float*)pin.Pointer + 1));
        }

        var encoded = TensorCodec.Broadcast(parameters, WirePrecisionKind.Bf16, ref buffer);
        Assert.Equal(parameters.Length * 2, encoded.Length);
        Assert.NotEmpty(buffer);
    }

    [Fact]
    public void Bf16_rounds_to_nearest_even_and_halves_the_bytes()
    {
        // 1 + 2^-8 lies exactly between two bf16 values (1 and 1 + 2^-7): ties go to even (1).
        Assert.Equal(1f, TensorCodec.FromBf16(TensorCodec.ToBf16(1f + 1f / 256)));
        // Just above the tie rounds up.
        Assert.Equal(1f + 1f / 128, TensorCodec.FromBf16(TensorCodec.ToBf16(1f + 1f / 256 + 1f / 65536)));
        Assert.True(float.IsNaN(TensorCodec.FromBf16(TensorCodec.ToBf16(float.NaN))));
        var values = Enumerable.Range(0, 100).Select(i => MathF.Sin(i) * 10).ToArray();
        byte[] buffer = [];
        var bytes = TensorCodec.EncodeInto(values, WirePrecisionKind.Bf16, ref buffer);
        Assert.Equal(200, bytes.Length);
        var back = new float[100];
        Assert.True(TensorCodec.TryDecode(bytes.Span, WirePrecisionKind.Bf16, back));
        for (int i = 0; i < values.Length; i++)
        {
            Assert.True(MathF.Abs(values[i] - back[i]) <= MathF.Abs(values[i]) / 256, $"{values[i]} -> {back[i]}");
        }
    }

    [Fact]
    public void A_wrong_byte_count_is_refused()
    {
        Assert.False(TensorCodec.TryDecode(new byte[10], WirePrecisionKind.Fp32, new float[3]));
        Assert.False(TensorCodec.TryDecode(new byte[8], WirePrecisionKind.Bf16, new float[3]));
    }

    [Fact]
    public void Vectorized_bf16_gives_the_bits_of_the_per_value_conversion()
    {
        var random = new Random(11);
        // Every length up to a few vectors (tails of every size), random bit patterns (NaNs,
        // infinities, subnormals, ties) and the values around the rounding edges.
        for (var length = 0; length < 200; length += 1 + length / 20)
        {
            var values = new float[length];
            for (var i = 0; i < length; i++)
            {
                values[i] = random.Next(4) switch
                {
                    0 => BitConverter.UInt32BitsToSingle((uint)random.NextInt64(0, 1L << 32)),
                    1 => BitConverter.UInt32BitsToSingle(0x7F7F8000u + (uint)random.Next(-2, 3) | (uint)random.Next(2) << 31),
                    2 => BitConverter.UInt32BitsToSingle(((uint)random.Next() & 0xFFFF0000u) | 0x8000u),
                    _ => (float)(random.NextDouble() - 0.5),
                };
            }
            var bytes = new byte[2 * length];
            TensorCodec.EncodeBf16(values, bytes);
            for (var i = 0; i < length; i++)
            {
                Assert.Equal(TensorCodec.ToBf16(values[i]), BitConverter.ToUInt16(bytes, 2 * i));
            }
            var back = new float[length];
            TensorCodec.DecodeBf16(bytes, back);
            for (var i = 0; i < length; i++)
            {
                Assert.Equal(BitConverter.SingleToUInt32Bits(TensorCodec.FromBf16(BitConverter.ToUInt16(bytes, 2 * i))), BitConverter.SingleToUInt32Bits(back[i]));
            }
        }
    }
}
