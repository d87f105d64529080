using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;

namespace DistTrain.Abuse.Tests;

/// <summary>
/// The bits an unattacked run ends with: `disttrain train --shards 1` with the options of every
/// run of the suite, which by DistTrain's contract gives the weights of any distributed run of that
/// configuration. One per number of epochs, shared by every target's campaign (the transport does
/// not change the bits), since it costs about as long as the training it checks.
/// </summary>
internal static class UnattackedReference
{
    private static readonly ConcurrentDictionary<int, Lazy<Task<string>>> References = new();

    /// <summary>Epochs of the runs planned so far, so that a later campaign can share a reference.</summary>
    private static readonly ConcurrentDictionary<int, bool> Planned = new();

    /// <summary>
    /// The epochs a run that needs at least <paramref name="needed"/> should train: an already planned
    /// count up to 30% longer when there is one (its reference is shared), else exactly that.
    /// </summary>
    public static int Plan(int needed)
    {
        var epochs = Planned.Keys.Where(e => e >= needed && e <= needed * 1.3).DefaultIfEmpty(needed).Min();
        Planned[epochs] = true;
        return epochs;
    }

    /// <summary>weights_sha256 of the unattacked run of <paramref name="epochs"/> epochs; throws with the run's output when it fails.</summary>
    public static Task<string> ShaAsync(int epochs) =>
        References.GetOrAdd(epochs, e => new Lazy<Task<string>>(() => TrainAsync(e))).Value;

    private static async Task<string> TrainAsync(int epochs)
    {
        var outDir = Directory.CreateTempSubdirectory("disttrain-abuse-reference-").FullName;
        try
        {
            // The same options but all cores: the kernels give the same bits on any thread count.
            var options = TrainingRun.Options(epochs).ToList();
            options[options.IndexOf("--threads") + 1] = "0";
            using var train = ChildProcess.Start("dotnet", [Repository.DisttrainDll, "train", "--shards", "1", .. options, "--out", outDir]);
            var exit = await train.WaitAsync(TimeSpan.FromMinutes(10));
            var summary = Path.Combine(outDir, "summary.json");
            if (exit != 0 || !File.Exists(summary))
            {
                throw new InvalidOperationException($"disttrain train --epochs {epochs} exited {exit?.ToString(CultureInfo.InvariantCulture) ?? "late"}:\n{train.Tail()}");
            }
            using var json = JsonDocument.Parse(File.ReadAllText(summary));
            return json.RootElement.GetProperty("weights_sha256").GetString()!;
        }
        finally
        {
            Directory.Delete(outDir, recursive: true);
        }
    }
}
