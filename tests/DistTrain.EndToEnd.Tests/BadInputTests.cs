namespace DistTrain.EndToEnd.Tests;

/// <summary>Every bad input gets one clear message naming the option or file, and exit code 2.</summary>
public class BadInputTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    [Theory]
    [InlineData("--hidden abc", "--hidden")]
    [InlineData("--lr -1", "--lr")]
    [InlineData("--batch-size 100000", "--batch-size")]
    [InlineData("--shards 200", "--shards")]
    [InlineData("--epochs x", "--epochs")]
    [InlineData("--optimizer rmsprop", "--optimizer")]
    [InlineData("--no-such-option 1", "--no-such-option")]
    public async Task A_bad_option_exits_2_naming_it(string options, string named)
    {
        var data = await Disttrain.DataDirAsync();
        var (exit, output) = await Disttrain.RunAsync(
            ["train", "--data-dir", data, "--out", Disttrain.TempDir("bad"), .. options.Split(' ')], Timeout);
        Assert.Equal(2, exit);
        Assert.Contains(named, output);
        Assert.DoesNotContain("   at ", output);
    }

    [Theory]
    [InlineData("coordinator --dashboard nonsense", "--dashboard: 'nonsense' is not an http://HOST:PORT address")]
    [InlineData("coordinator --dashboard https://127.0.0.1:8080", "--dashboard: 'https://127.0.0.1:8080' is not an http://HOST:PORT address")]
    [InlineData("coordinator --straggler-factor 0.9", "--straggler-factor: 0.9 must be a number above 1")]
    [InlineData("coordinator --timeline-iterations -1", "--timeline-iterations: -1 must be 0 or more")]
    [InlineData("coordinator --timeline /proc/no-such-folder/trace.json", "--timeline: cannot write /proc/no-such-folder/trace.json")]
    [InlineData("run --workers 2 --dashboard 127.0.0.1", "--dashboard: '127.0.0.1' is not an http://HOST:PORT address")]
    [InlineData("worker --coordinator http://127.0.0.1:1 --metrics localhost:9464", "--metrics: 'localhost:9464' is not an http://HOST:PORT address")]
    public async Task A_bad_observability_option_exits_2_naming_it(string command, string message)
    {
        var (exit, output) = await Disttrain.RunAsync([.. command.Split(' '), .. command.StartsWith("worker", StringComparison.Ordinal) ? [] : new[] { "--out", Disttrain.TempDir("bad") }], Timeout);
        Assert.Equal(2, exit);
        Assert.Contains(message, output);
        Assert.DoesNotContain("   at ", output);
    }

    [Fact]
    public async Task A_dashboard_port_in_use_is_named()
    {
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        var url = $"http://127.0.0.1:{((System.Net.IPEndPoint)taken.LocalEndpoint).Port}";
        var (exit, output) = await Disttrain.RunAsync(["coordinator", "--dashboard", url, "--out", Disttrain.TempDir("busy")], Timeout);
        Assert.Equal(2, exit);
        Assert.Contains($"--dashboard: cannot listen on {url}", output);
        Assert.DoesNotContain("   at ", output);
    }

    [Fact]
    public async Task A_missing_data_folder_says_how_to_fetch()
    {
        var missing = Path.Combine(Disttrain.TempDir("nodata"), "absent");
        var (exit, output) = await Disttrain.RunAsync(["train", "--data-dir", missing, "--out", Disttrain.TempDir("o")], Timeout);
        Assert.Equal(2, exit);
        Assert.Contains("fetch-data", output);
        Assert.Contains(missing, output);
    }

    [Fact]
    public async Task A_truncated_idx_file_is_named()
    {
        var data = await Disttrain.DataDirAsync();
        var copy = Disttrain.TempDir("corrupt");
        var mnist = Directory.CreateDirectory(Path.Combine(copy, "mnist")).FullName;
        foreach (var file in Directory.GetFiles(Path.Combine(data, "mnist")))
        {
            File.Copy(file, Path.Combine(mnist, Path.GetFileName(file)));
        }
        var images = Path.Combine(mnist, "t10k-images-idx3-ubyte");
        var bytes = File.ReadAllBytes(images);
        File.WriteAllBytes(images, bytes[..(bytes.Length / 2)]);
        var (exit, output) = await Disttrain.RunAsync(["train", "--data-dir", copy, "--out", Disttrain.TempDir("o")], Timeout);
        Assert.Equal(2, exit);
        Assert.Contains("t10k-images-idx3-ubyte", output);
        Assert.DoesNotContain("   at ", output);
    }

    [Fact]
    public async Task Help_lists_the_commands_and_options()
    {
        var (exit, output) = await Disttrain.RunAsync(["--help"], Timeout);
        Assert.Equal(0, exit);
        foreach (var command in new[] { "fetch-data", "train", "run", "coordinator", "worker", "health" })
        {
            Assert.Contains(command, output);
        }
        var (trainExit, trainHelp) = await Disttrain.RunAsync(["train", "--help"], Timeout);
        Assert.Equal(0, trainExit);
        foreach (var option in new[] { "--epochs", "--batch-size", "--lr", "--hidden", "--activation", "--loss", "--optimizer", "--lr-schedule", "--weight-decay", "--seed", "--out", "--resume", "--shards" })
        {
            Assert.Contains(option, trainHelp);
        }
    }
}
