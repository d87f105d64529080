using System.Buffers.Binary;
using System.Security.Cryptography;
using DistTrain.Core;
using DistTrain.Training.Checkpoints;
using DistTrain.Training.Loop;

namespace DistTrain.Training.Tests;

/// <summary>
/// Checkpoints whose checksum holds but whose counts do not (found by CheckpointFuzzTests): refused
/// with CheckpointException, and nothing allocated for a count the file cannot hold.
/// </summary>
public sealed class CheckpointFileTests : IDisposable
{
    private const string Fingerprint = "test";
    // Magic, format version, the fingerprint string, seven state fields, the history row count.
    private const int WeightCountOffset = 8 + 4 + 1 + 4 + 48 + 4;
    private readonly string _folder = Directory.CreateTempSubdirectory("disttrain-checkpoint-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void A_vector_longer_than_the_file_is_refused_before_it_is_allocated()
    {
        var path = Write(bytes => BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(WeightCountOffset), int.MaxValue));

        var before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<CheckpointException>(() => CheckpointFile.Read(path, Fingerprint, State()));

        Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - before, 0, 1 << 20);
        Assert.Contains($"a vector of {int.MaxValue} values", e.Message);
    }

    [Fact]
    public void A_state_cut_short_is_refused()
    {
        var path = Write(_ => { }, cut: WeightCountOffset + 2);

        var e = Assert.Throws<CheckpointException>(() => CheckpointFile.Read(path, Fingerprint, State()));

        Assert.Contains("does not parse", e.Message);
    }

    [Fact]
    public void An_optimizer_state_of_the_wrong_length_is_refused()
    {
        // Momentum's velocity for 3 parameters, read by Adam (two vectors) under the same kind number.
        var path = Write(bytes => BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(WeightCountOffset + 4 + (3 * 4)), (int)OptimizerKind.Adam),
            OptimizerKind.Momentum);

        var e = Assert.Throws<CheckpointException>(() => CheckpointFile.Read(path, Fingerprint, State(OptimizerKind.Adam)));

        Assert.Contains("the Adam state holds 3 values", e.Message);
    }

    private static TrainingState State(OptimizerKind kind = OptimizerKind.Sgd) => new(new float[3], Optimizers.Create(kind, 3));

    /// <summary>A checkpoint of 3 parameters, edited (then cut to <paramref name="cut"/> bytes) and given a valid checksum again.</summary>
    private string Write(Action<byte[]> edit, OptimizerKind kind = OptimizerKind.Sgd, int? cut = null)
    {
        var path = Path.Combine(_folder, CheckpointFile.FileName);
        CheckpointFile.Write(path, Fingerprint, State(kind));
        var file = File.ReadAllBytes(path);
        var body = file[..^32];
        edit(body);
        body = body[..(cut ?? body.Length)];
        File.WriteAllBytes(path, [.. body, .. SHA256.HashData(body)]);
        return path;
    }
}
