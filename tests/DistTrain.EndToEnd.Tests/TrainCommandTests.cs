namespace DistTrain.EndToEnd.Tests;

/// <summary>`disttrain train` on real MNIST, as a real process.</summary>
public class TrainCommandTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(10);

    [Fact]
    public async Task Default_training_reaches_98_percent_in_10_epochs_and_97_after_3()
    {
        var data = await Disttrain.DataDirAsync();
        var outDir = Disttrain.TempDir("train10");
        var (exit, output) = await Disttrain.RunAsync(["train", "--data-dir", data, "--out", outDir], Timeout);
        Assert.True(exit == 0, output);
        var accuracy = Disttrain.Summary(outDir).GetProperty("final_test_accuracy").GetDouble();
        Assert.True(accuracy >= 0.98, $"test accuracy {accuracy:P2} after 10 epochs\n{output}");
        var epoch3 = File.ReadAllLines(Path.Combine(outDir, "metrics.csv"))[3].Split(',');
        Assert.Equal("3", epoch3[0]);
        Assert.True(double.Parse(epoch3[4], System.Globalization.CultureInfo.InvariantCulture) >= 0.97, $"epoch 3: {string.Join(',', epoch3)}");
        Assert.Contains("Epoch 10/10 done", output);
        Assert.True(File.Exists(Path.Combine(outDir, "learning-curves.svg")));
        Assert.True(File.Exists(Path.Combine(outDir, "checkpoint.bin")));
    }

    [Fact]
    public async Task The_same_seed_gives_the_same_weights_on_one_or_two_cores()
    {
        var data = await Disttrain.DataDirAsync();
        string[] args = ["train", "--data-dir", data, "--epochs", "1"];
        var hashes = new List<string>();
        foreach (var cores in new[] { "2", "1", "2" })
        {
            var outDir = Disttrain.TempDir($"cores{cores}");
            var (exit, output) = await Disttrain.RunAsync([.. args, "--out", outDir], Timeout,
                new Dictionary<string, string> { ["DOTNET_PROCESSOR_COUNT"] = cores });
            Assert.True(exit == 0, output);
            hashes.Add(Disttrain.Summary(outDir).GetProperty("weights_sha256").GetString()!);
        }
        Assert.Single(hashes.Distinct());
    }
}
