namespace DistTrain.Data.Tests;

public sealed class DatasetStoreTests : IDisposable
{
    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public void DirectoryIsNamedAfterTheDataset()
    {
        Assert.Equal(Path.Combine("d", "mnist"), DatasetStore.DirectoryFor(DatasetKind.Mnist, "d"));
        Assert.Equal(Path.Combine("d", "fashion-mnist"), DatasetStore.DirectoryFor(DatasetKind.FashionMnist, "d"));
        Assert.Equal(Path.Combine(Directory.GetCurrentDirectory(), "data"), DatasetStore.DefaultDataDirectory);
    }

    [Fact]
    public void MissingDirectoryTellsHowToFetch()
    {
        var e = Assert.Throws<DataException>(() => DatasetStore.Load(DatasetKind.FashionMnist, temp.Path));

        Assert.Contains(DatasetStore.DirectoryFor(DatasetKind.FashionMnist, temp.Path), e.Message, StringComparison.Ordinal);
        Assert.Contains($"disttrain fetch-data --dataset fashion-mnist --data-dir {temp.Path}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingFileIsNamedAndTellsHowToFetch()
    {
        SyntheticIdx.WriteDataset(DatasetKind.Mnist, temp.Path, train: 20, test: 10);
        var missing = Path.Combine(DatasetStore.DirectoryFor(DatasetKind.Mnist, temp.Path), "t10k-labels-idx1-ubyte");
        File.Delete(missing);

        Assert.False(DatasetStore.IsPresent(DatasetKind.Mnist, temp.Path));
        var e = Assert.Throws<DataException>(() => DatasetStore.Load(DatasetKind.Mnist, temp.Path));
        Assert.Contains(missing, e.Message, StringComparison.Ordinal);
        Assert.Contains("fetch-data --dataset mnist", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LoadsBothSplits(bool gzip)
    {
        Assert.False(DatasetStore.IsPresent(DatasetKind.Mnist, temp.Path));
        SyntheticIdx.WriteDataset(DatasetKind.Mnist, temp.Path, train: 20, test: 10, gzip: gzip);

        Assert.True(DatasetStore.IsPresent(DatasetKind.Mnist, temp.Path));
        var dataset = DatasetStore.Load(DatasetKind.Mnist, temp.Path);

        Assert.Equal(DatasetKind.Mnist, dataset.Kind);
        Assert.Equal(20, dataset.Train.Count);
        Assert.Equal(10, dataset.Test.Count);
        Assert.Equal(12, dataset.Test.PixelsPerImage);
        Assert.Equal(SyntheticIdx.CyclicLabels(20), dataset.Train.Labels.ToArray());
    }

    [Fact]
    public void RejectsSplitsOfDifferentShapes()
    {
        SyntheticIdx.WriteDataset(DatasetKind.Mnist, temp.Path, train: 20, test: 10);
        var directory = DatasetStore.DirectoryFor(DatasetKind.Mnist, temp.Path);
        File.WriteAllBytes(Path.Combine(directory, "t10k-images-idx3-ubyte"), SyntheticIdx.Images(10, 3, 4));

        var e = Assert.Throws<DataException>(() => DatasetStore.Load(DatasetKind.Mnist, temp.Path));

        Assert.Contains(Path.Combine(directory, "t10k-images-idx3-ubyte"), e.Message, StringComparison.Ordinal);
        Assert.Contains("3×4", e.Message, StringComparison.Ordinal);
        Assert.Contains("4×3", e.Message, StringComparison.Ordinal);
    }
}
