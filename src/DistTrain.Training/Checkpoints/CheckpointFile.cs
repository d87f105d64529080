using System.Security.Cryptography;
using System.Text;
using DistTrain.Core;
using DistTrain.Training.Loop;

namespace DistTrain.Training.Checkpoints;

/// <summary>
/// Writes and reads <see cref="TrainingState"/> as one binary file: a header with the
/// configuration fingerprint, the state, and a SHA-256 of all of it at the end. Written to a
/// temporary file, flushed to disk and renamed, so a crash never leaves a half-written checkpoint.
/// </summary>
public static class CheckpointFile
{
    public const string FileName = "checkpoint.bin";
    private static readonly byte[] Magic = "DTCKPT01"u8.ToArray();
    private const int FormatVersion = 1;

    public static string PathIn(string directory) => Path.Combine(directory, FileName);

    public static void Write(string path, string fingerprint, TrainingState state)
    {
        using var body = new MemoryStream();
        using (var w = new BinaryWriter(body, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Magic);
            w.Write(FormatVersion);
            w.Write(fingerprint);
            w.Write(state.Epoch);
            w.Write(state.Iteration);
            w.Write(state.Version);
            w.Write(state.EpochLossSum);
            w.Write(state.EpochCorrect);
            w.Write(state.EpochSamples);
            w.Write(state.EpochSeconds);
            w.Write(state.History.Count);
            foreach (var m in state.History)
            {
                w.Write(m.Epoch);
                w.Write(m.TrainLoss);
                w.Write(m.TrainAccuracy);
                w.Write(m.TestLoss);
                w.Write(m.TestAccuracy);
                w.Write(m.Seconds);
                w.Write(m.SamplesPerSecond);
            }
            WriteFloats(w, state.Parameters);
            w.Write((int)state.Optimizer.Kind);
            w.Write(state.Optimizer.Steps);
            WriteFloats(w, state.Optimizer.State);
        }
        var hash = SHA256.HashData(body.GetBuffer().AsSpan(0, (int)body.Length));

        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        var temporary = path + ".tmp";
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            file.Write(body.GetBuffer(), 0, (int)body.Length);
            file.Write(hash);
            file.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>
    /// Checks, without reading the state, that the checkpoint at <paramref name="path"/> exists, is
    /// intact and was written by the configuration of <paramref name="fingerprint"/>; throws
    /// <see cref="CheckpointException"/> saying what is wrong otherwise. Lets a command refuse a
    /// --resume before it starts anything.
    /// </summary>
    public static void Verify(string path, string fingerprint) => Parse(path, fingerprint, _ => { });

    /// <summary>Reads a checkpoint into <paramref name="state"/>, refusing one of another configuration.</summary>
    public static void Read(string path, string fingerprint, TrainingState state) => Parse(path, fingerprint, r => ReadState(r, path, state));

    /// <summary>Opens the body, checks it up to the configuration, then hands the reader, positioned at the state, to <paramref name="read"/>.</summary>
    private static void Parse(string path, string fingerprint, Action<BinaryReader> read)
    {
        using var r = OpenBody(path);
        try
        {
            CheckConfiguration(r, path, fingerprint);
            read(r);
        }
        catch (Exception e) when (e is IOException or FormatException)
        {
            // The reader works on bytes in memory, so these mean a length or string that runs past
            // the end: the checksum holds, so the file was not written by this version.
            throw new CheckpointException($"{path}: the checkpoint does not parse ({e.Message}), it was not written by this version; delete it to start over");
        }
    }

    private static void ReadState(BinaryReader r, string path, TrainingState state)
    {
        state.Epoch = r.ReadInt32();
        state.Iteration = r.ReadInt32();
        state.Version = r.ReadInt64();
        state.EpochLossSum = r.ReadDouble();
        state.EpochCorrect = r.ReadInt64();
        state.EpochSamples = r.ReadInt64();
        state.EpochSeconds = r.ReadDouble();
        var rows = r.ReadInt32();
        state.History.Clear();
        for (int i = 0; i < rows; i++)
        {
            state.History.Add(new EpochMetrics(r.ReadInt32(), r.ReadDouble(), r.ReadDouble(), r.ReadDouble(), r.ReadDouble(), r.ReadDouble(), r.ReadDouble()));
        }
        var weights = ReadFloats(r, path);
        if (weights.Length != state.Parameters.Length)
        {
            throw new CheckpointException($"{path}: the weights hold {weights.Length} values but this network needs {state.Parameters.Length}");
        }
        weights.CopyTo(state.Parameters, 0);
        var kind = (OptimizerKind)r.ReadInt32();
        if (kind != state.Optimizer.Kind)
        {
            throw new CheckpointException($"{path}: optimizer {kind} does not match --optimizer {state.Optimizer.Kind}");
        }
        var steps = r.ReadInt64();
        var optimizerState = ReadFloats(r, path);
        var expected = state.Optimizer.StateVectors * state.Parameters.Length;
        if (steps < 0 || optimizerState.Length != expected)
        {
            throw new CheckpointException($"{path}: the {kind} state holds {optimizerState.Length} values after {steps} steps but this network needs {expected}");
        }
        state.Optimizer.Restore(optimizerState, steps);
    }

    /// <summary>The checkpoint's body, once it is known to be one and intact.</summary>
    private static BinaryReader OpenBody(string path)
    {
        if (!File.Exists(path))
        {
            throw new CheckpointException($"{path}: no checkpoint to resume from; start without --resume");
        }
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < Magic.Length + 32 || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
        {
            throw new CheckpointException($"{path}: not a DistTrain checkpoint");
        }
        var body = bytes.AsSpan(0, bytes.Length - 32);
        if (!SHA256.HashData(body).AsSpan().SequenceEqual(bytes.AsSpan(bytes.Length - 32)))
        {
            throw new CheckpointException($"{path}: checksum mismatch, the file is damaged; delete it to start over");
        }
        var r = new BinaryReader(new MemoryStream(bytes, 0, body.Length), Encoding.UTF8);
        r.ReadBytes(Magic.Length);
        return r;
    }

    private static void CheckConfiguration(BinaryReader r, string path, string fingerprint)
    {
        var version = r.ReadInt32();
        if (version != FormatVersion)
        {
            throw new CheckpointException($"{path}: checkpoint format {version} is not supported (expected {FormatVersion})");
        }
        var saved = r.ReadString();
        if (saved != fingerprint)
        {
            throw new CheckpointException(
                $"{path}: the checkpoint was written by a different configuration and cannot be resumed with this one.\n" +
                $"  checkpoint: {saved}\n  this run:   {fingerprint}\n" +
                "Resume with the checkpoint's options, or choose another --out.");
        }
    }

    private static void WriteFloats(BinaryWriter w, ReadOnlySpan<float> values)
    {
        w.Write(values.Length);
        w.Write(WeightsHash.LittleEndianBytes(values));
    }

    /// <summary>A length-prefixed vector; a length the rest of the file cannot hold is refused before anything is allocated for it.</summary>
    private static float[] ReadFloats(BinaryReader r, string path)
    {
        var count = r.ReadInt32();
        var left = r.BaseStream.Length - r.BaseStream.Position;
        if (count < 0 || count > left / sizeof(float))
        {
            throw new CheckpointException($"{path}: a vector of {count} values does not fit in the {left} bytes left, it was not written by this version; delete it to start over");
        }
        var values = new float[count];
        WeightsHash.FromLittleEndianBytes(r.ReadBytes(count * sizeof(float)), values);
        return values;
    }
}
