// Finds and loads a dataset from the data directory laid out as dataDir/<dataset name>/<IDX files>.
namespace DistTrain.Data;

public static class DatasetStore
{
    /// <summary>"data" under the current directory.</summary>
    public static string DefaultDataDirectory => Path.GetFullPath("data");

    /// <summary>dataDir/mnist or dataDir/fashion-mnist.</summary>
    public static string DirectoryFor(DatasetKind kind, string dataDir)
    {
        ArgumentNullException.ThrowIfNull(dataDir);
        return Path.Combine(dataDir, kind.ToName());
    }

    /// <summary>True when all four IDX files exist, each plain or .gz (contents are not checked; see DatasetFetcher.Verify).</summary>
    public static bool IsPresent(DatasetKind kind, string dataDir)
    {
        var directory = DirectoryFor(kind, dataDir);
        return DatasetLayout.FileNames.All(name => DatasetLayout.Find(directory, name) is not null);
    }

    /// <summary>Reads both splits. Missing directory or files give a DataException saying how to fetch them.</summary>
    public static Dataset Load(DatasetKind kind, string dataDir)
    {
        var train = IdxReader.ReadPair(
            DatasetLayout.Require(kind, dataDir, DatasetLayout.TrainImages),
            DatasetLayout.Require(kind, dataDir, DatasetLayout.TrainLabels));
        var testImages = DatasetLayout.Require(kind, dataDir, DatasetLayout.TestImages);
        var test = IdxReader.ReadPair(testImages, DatasetLayout.Require(kind, dataDir, DatasetLayout.TestLabels));
        if (test.Rows != train.Rows || test.Columns != train.Columns)
        {
            throw new DataException(
                $"{testImages}: test images are {test.Rows}×{test.Columns} but train images are {train.Rows}×{train.Columns}; "
                + $"both splits must come from the same dataset. {DatasetLayout.FetchHint(kind, dataDir)}");
        }

        return new Dataset(kind, train, test);
    }
}
