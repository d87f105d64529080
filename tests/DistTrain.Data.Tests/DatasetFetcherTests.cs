using DistTrain.Data.Fetching;
using Microsoft.Extensions.Logging;

namespace DistTrain.Data.Tests;

public sealed class DatasetFetcherTests : IDisposable
{
    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public void VerifyNamesTheFileAndBothHashes()
    {
        // Well-formed IDX files that are not the published ones.
        SyntheticIdx.WriteDataset(DatasetKind.Mnist, temp.Path, train: 20, test: 10);

        var e = Assert.Throws<DataException>(() => DatasetFetcher.Verify(DatasetKind.Mnist, temp.Path));

        var file = Path.Combine(DatasetStore.DirectoryFor(DatasetKind.Mnist, temp.Path), "train-images-idx3-ubyte");
        Assert.Contains(file, e.Message, StringComparison.Ordinal);
        Assert.Contains("expected ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db", e.Message, StringComparison.Ordinal);
        Assert.Contains("actual " + Sha256Hex(File.ReadAllBytes(file)), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void VerifyHashesTheUncompressedContentOfGzipFiles()
    {
        SyntheticIdx.WriteDataset(DatasetKind.FashionMnist, temp.Path, train: 20, test: 10, gzip: true);

        var e = Assert.Throws<DataException>(() => DatasetFetcher.Verify(DatasetKind.FashionMnist, temp.Path));

        Assert.Contains("train-images-idx3-ubyte.gz", e.Message, StringComparison.Ordinal);
        Assert.Contains("actual " + Sha256Hex(SyntheticIdx.Images(20, 4, 3)), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void VerifyOfMissingDatasetTellsHowToFetch()
    {
        var e = Assert.Throws<DataException>(() => DatasetFetcher.Verify(DatasetKind.Mnist, temp.Path));

        Assert.Contains("fetch-data --dataset mnist", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DownloadWithWrongHashLeavesNothingInPlace()
    {
        var logger = new ListLogger();
        var source = new SyntheticSource();

        var e = await Assert.ThrowsAsync<DataException>(
            () => DatasetFetcher.FetchAsync(DatasetKind.Mnist, temp.Path, source, logger, CancellationToken.None));

        Assert.Contains("train-images-idx3-ubyte", e.Message, StringComparison.Ordinal);
        Assert.Contains("expected ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db", e.Message, StringComparison.Ordinal);
        Assert.Contains("actual " + Sha256Hex(SyntheticIdx.Images(20, 4, 3)), e.Message, StringComparison.Ordinal);
        Assert.Contains("nothing was installed", e.Message, StringComparison.Ordinal);
        Assert.True(source.Called);
        // Neither the dataset folder nor the staging folder survives.
        Assert.Empty(Directory.EnumerateFileSystemEntries(temp.Path));
    }

    [Fact]
    public async Task SourceMissingAFileIsReported()
    {
        var source = new SyntheticSource { Omit = "t10k-labels-idx1-ubyte" };

        var e = await Assert.ThrowsAsync<DataException>(
            () => DatasetFetcher.FetchAsync(DatasetKind.FashionMnist, temp.Path, source, new ListLogger(), CancellationToken.None));

        Assert.Contains("synthetic files did not provide t10k-labels-idx1-ubyte", e.Message, StringComparison.Ordinal);
        Assert.Contains("--data-dir", e.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(temp.Path));
    }

    [Fact]
    public async Task MissingToolSaysWhatToDo()
    {
        var e = await Assert.ThrowsAsync<DataException>(
            () => ExternalTool.RunAsync("disttrain-no-such-tool", ["x"], temp.Path, "Install it, or place the files.", CancellationToken.None));

        Assert.Contains("`disttrain-no-such-tool` was not found", e.Message, StringComparison.Ordinal);
        Assert.Contains("Install it, or place the files.", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FailingToolReportsExitCodeAndError()
    {
        var e = await Assert.ThrowsAsync<DataException>(
            () => ExternalTool.RunAsync("sh", ["-c", "echo partial; echo no such package >&2; exit 3"], temp.Path, "Try again.", CancellationToken.None));

        Assert.Contains("exit code 3", e.Message, StringComparison.Ordinal);
        Assert.Contains("no such package", e.Message, StringComparison.Ordinal);
        Assert.Contains("Try again.", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ToolOutputIsReturnedAndRunsInTheWorkingDirectory()
    {
        var output = await ExternalTool.RunAsync("sh", ["-c", "pwd"], temp.Path, "unused", CancellationToken.None);

        Assert.Equal(Path.GetFullPath(temp.Path), Path.GetFullPath(output.Trim()));
    }

    [Fact]
    public async Task CancellationStopsTheTool()
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var clock = System.Diagnostics.Stopwatch.StartNew();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => ExternalTool.RunAsync("sleep", ["30"], temp.Path, "unused", cancel.Token));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10));
    }

    internal static string Sha256Hex(byte[] bytes) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));

    /// <summary>"Downloads" well-formed synthetic files, which can never match the pinned hashes.</summary>
    private sealed class SyntheticSource : IDatasetSource
    {
        public string? Omit { get; init; }

        public bool Called { get; private set; }

        public string Description => "synthetic files";

        public Task<string> DownloadAsync(string stagingDirectory, string manualHint, ILogger logger, CancellationToken cancellationToken)
        {
            Called = true;
            SyntheticIdx.WriteDataset(DatasetKind.Mnist, stagingDirectory, train: 20, test: 10);
            var files = DatasetStore.DirectoryFor(DatasetKind.Mnist, stagingDirectory);
            if (Omit is not null)
            {
                File.Delete(Path.Combine(files, Omit));
            }

            return Task.FromResult(files);
        }
    }
}
