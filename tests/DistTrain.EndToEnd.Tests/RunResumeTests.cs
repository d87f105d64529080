namespace DistTrain.EndToEnd.Tests;

/// <summary>`run --resume` checks the checkpoint before it starts a coordinator and workers.</summary>
public class RunResumeTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task A_checkpoint_of_other_options_is_refused_before_anything_starts_and_a_matching_one_resumes()
    {
        var data = await Disttrain.DataDirAsync();
        var outDir = Disttrain.TempDir("resume");
        string[] options = ["--data-dir", data, "--out", outDir, "--epochs", "1", "--hidden", "16", "--batch-size", "500"];
        var (trained, trainLog) = await Disttrain.RunAsync(["train", .. options], Timeout);
        Assert.True(trained == 0, trainLog);
        var checkpoint = File.ReadAllBytes(Path.Combine(outDir, "checkpoint.bin"));

        var (exit, output) = await Disttrain.RunAsync(["run", "--workers", "1", "--resume", .. options, "--lr", "0.1"], Timeout);

        Assert.Equal(2, exit);
        Assert.Contains("different configuration", output);
        Assert.Contains("lr=0.1", output);
        Assert.DoesNotContain("Starting a coordinator", output);
        Assert.DoesNotContain("[coordinator]", output);
        Assert.DoesNotContain("[worker-1]", output);
        Assert.Equal(checkpoint, File.ReadAllBytes(Path.Combine(outDir, "checkpoint.bin")));

        // The same options pass the check: the run resumes the finished checkpoint and ends at once.
        var (again, againLog) = await Disttrain.RunAsync(["run", "--workers", "1", "--resume", .. options], Timeout);
        Assert.True(again == 0, againLog);
        Assert.Contains("Resumed from", againLog);
    }
}
