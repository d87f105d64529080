using System.Security.Cryptography;
using DistTrain.Core;
using DistTrain.Fuzzing;
using DistTrain.Training.Checkpoints;
using DistTrain.Training.Loop;
using Xunit.Abstractions;

namespace DistTrain.Training.Tests.Fuzzing;

/// <summary>
/// --resume on a checkpoint that is damaged, or intact but not what this build writes: Verify and
/// Read take it or throw CheckpointException (what the CLI turns into a message), never another
/// exception, and allocate at most a few times the file's size. Most inputs get a fresh SHA-256
/// after mutation so they pass the checksum and reach the parser.
/// </summary>
public sealed class CheckpointFuzzTests(ITestOutputHelper output) : IDisposable
{
    private const string Fingerprint = "fuzz: mlp 784-16-10, seed 1";
    private const byte KeepChecksum = 0x10;
    private static readonly OptimizerKind[] Kinds = [OptimizerKind.Sgd, OptimizerKind.Momentum, OptimizerKind.Adam, OptimizerKind.Adam];
    private static readonly int[] ParameterCounts = [0, 1, 7, 300];
    private readonly string _folder = Directory.CreateTempSubdirectory("disttrain-checkpoint-fuzz-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Fuzz_checkpoint_reads_or_throws_CheckpointException()
    {
        var corpus = Corpus();
        FuzzRunner.Run(new FuzzTarget("checkpoint-read", 2000, r => Mutator.ValidMutatedOrRandom(r, random => Pick(random, corpus), 1024), Check), output.WriteLine);
    }

    /// <summary>Input: a byte choosing the reader's optimizer, parameter count and whether to keep the checksum, then the file.</summary>
    private string Check(byte[] input)
    {
        if (input.Length == 0)
        {
            return "empty";
        }
        var config = input[0];
        var count = ParameterCounts[(config >> 2) & 3];
        var file = (config & KeepChecksum) != 0 ? input[1..] : Resealed(input[1..]);
        var path = Path.Combine(_folder, CheckpointFile.FileName);
        // A new file each time: overwriting one makes ext4 flush it on close (auto_da_alloc), 20 times slower.
        File.Delete(path);
        File.WriteAllBytes(path, file);
        var state = new TrainingState(new float[count], Optimizers.Create(Kinds[config & 3], count));
        var before = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            CheckpointFile.Verify(path, Fingerprint);
            CheckpointFile.Read(path, Fingerprint, state);
        }
        catch (CheckpointException e)
        {
            // The message names the file, then what is wrong: its first words (numbers left out) make the outcome.
            return "refused: " + string.Join(' ', e.Message[(path.Length + 2)..].Split(' ').Take(3).Select(w => w.Any(char.IsAsciiDigit) ? "#" : w));
        }
        finally
        {
            // The file is read twice (Verify, Read); its vectors and strings are copied once or twice.
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            var bound = (8L * file.Length) + (256 * 1024);
            Require.True("allocation bound", allocated <= bound, $"reading a {file.Length}-byte checkpoint allocated {allocated} bytes (bound {bound})");
        }
        Require.True("restored", state.Optimizer.Steps >= 0 && state.Epoch == BitConverter.ToInt32(file, 12 + 1 + Fingerprint.Length),
            $"read epoch {state.Epoch}, steps {state.Optimizer.Steps}");
        return "read";
    }

    /// <summary>The body with the SHA-256 of it in place of its last 32 bytes, as an intact file has.</summary>
    private static byte[] Resealed(byte[] file)
    {
        if (file.Length < 32)
        {
            return file;
        }
        var resealed = (byte[])file.Clone();
        SHA256.HashData(file.AsSpan(0, file.Length - 32), resealed.AsSpan(file.Length - 32));
        return resealed;
    }

    private static byte[] Pick(Random random, List<byte[]> corpus)
    {
        var input = (byte[])corpus[random.Next(corpus.Count)].Clone();
        if (random.Next(8) == 0)
        {
            input[0] |= KeepChecksum;
        }
        return input;
    }

    /// <summary>A checkpoint of every optimizer and parameter count, with and without history, each behind the config byte that reads it.</summary>
    private List<byte[]> Corpus()
    {
        var random = new Random(7);
        var corpus = new List<byte[]>();
        var path = Path.Combine(_folder, "corpus.bin");
        for (var kind = 0; kind < 3; kind++)
        {
            foreach (var (count, index) in ParameterCounts.Select((c, i) => (c, i)))
            {
                var optimizer = Optimizers.Create(Kinds[kind], count);
                var parameters = Enumerable.Range(0, count).Select(_ => (float)random.NextDouble()).ToArray();
                if (count > 0)
                {
                    // Non-zero optimizer state: one step on a random gradient.
                    optimizer.Step(parameters, parameters, 0.1f);
                }
                var state = new TrainingState(parameters, optimizer) { Epoch = 1 + random.Next(5), Iteration = random.Next(100), Version = 1 };
                for (var rows = random.Next(3); rows > 0; rows--)
                {
                    state.History.Add(new EpochMetrics(state.History.Count + 1, 0.5, 0.9, 0.6, 0.8, 1.5, 1000));
                }
                CheckpointFile.Write(path, Fingerprint, state);
                corpus.Add([(byte)(kind | (index << 2)), .. File.ReadAllBytes(path)]);
            }
        }
        return corpus;
    }
}
