namespace DistTrain.Data.Tests;

public sealed class DatasetKindsTests
{
    [Theory]
    [InlineData("mnist", DatasetKind.Mnist)]
    [InlineData("fashion-mnist", DatasetKind.FashionMnist)]
    [InlineData("Fashion-MNIST", DatasetKind.FashionMnist)]
    public void ParsesCommandLineNames(string name, DatasetKind expected) => Assert.Equal(expected, DatasetKinds.Parse(name));

    [Fact]
    public void NameRoundTrips()
    {
        foreach (var kind in Enum.GetValues<DatasetKind>())
        {
            Assert.Equal(kind, DatasetKinds.Parse(kind.ToName()));
        }
    }

    [Fact]
    public void UnknownNameListsTheKnownOnes()
    {
        var e = Assert.Throws<DataException>(() => DatasetKinds.Parse("cifar10"));

        Assert.Contains("cifar10", e.Message, StringComparison.Ordinal);
        Assert.Contains("mnist, fashion-mnist", e.Message, StringComparison.Ordinal);
    }
}
