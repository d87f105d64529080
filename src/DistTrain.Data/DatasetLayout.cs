// Where a dataset's four IDX files live: dataDir/<name>/<file>, each either plain or with a .gz suffix.
namespace DistTrain.Data;

internal static class DatasetLayout
{
    public const string TrainImages = "train-images-idx3-ubyte";
    public const string TrainLabels = "train-labels-idx1-ubyte";
    public const string TestImages = "t10k-images-idx3-ubyte";
    public const string TestLabels = "t10k-labels-idx1-ubyte";
    public const string GzipSuffix = ".gz";

    public static IReadOnlyList<string> FileNames { get; } = [TrainImages, TrainLabels, TestImages, TestLabels];

    /// <summary>The plain file if present, else the .gz one, else null.</summary>
    public static string? Find(string directory, string fileName)
    {
        var plain = Path.Combine(directory, fileName);
        if (File.Exists(plain))
        {
            return plain;
        }

        var gzip = plain + GzipSuffix;
        return File.Exists(gzip) ? gzip : null;
    }

    /// <summary>The file's path, or a DataException saying how to get it.</summary>
    public static string Require(DatasetKind kind, string dataDir, string fileName)
    {
        var directory = DatasetStore.DirectoryFor(kind, dataDir);
        if (!Directory.Exists(directory))
        {
            throw new DataException($"Dataset directory {directory} does not exist: {FetchHint(kind, dataDir)}");
        }

        return Find(directory, fileName)
            ?? throw new DataException(
                $"{Path.Combine(directory, fileName)} (or {fileName}{GzipSuffix}) is missing: {FetchHint(kind, dataDir)}");
    }

    public static string FetchHint(DatasetKind kind, string dataDir)
        => $"run `disttrain fetch-data --dataset {kind.ToName()} --data-dir {dataDir}`, or place the four IDX files "
            + $"({string.Join(", ", FileNames)}; plain or .gz) in {DatasetStore.DirectoryFor(kind, dataDir)} yourself.";
}
