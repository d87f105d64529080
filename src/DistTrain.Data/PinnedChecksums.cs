// The published datasets' SHA-256, taken over the uncompressed IDX bytes so a plain file and its .gz verify alike.
namespace DistTrain.Data;

internal static class PinnedChecksums
{
    private static readonly Dictionary<string, string> Mnist = new()
    {
        [DatasetLayout.TrainImages] = "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        [DatasetLayout.TrainLabels] = "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        [DatasetLayout.TestImages] = "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        [DatasetLayout.TestLabels] = "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    };

    private static readonly Dictionary<string, string> FashionMnist = new()
    {
        [DatasetLayout.TrainImages] = "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        [DatasetLayout.TrainLabels] = "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        [DatasetLayout.TestImages] = "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        [DatasetLayout.TestLabels] = "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    };

    /// <summary>Lower-case hex SHA-256 of the named file's uncompressed content.</summary>
    public static string For(DatasetKind kind, string fileName) => kind switch
    {
        DatasetKind.Mnist => Mnist[fileName],
        DatasetKind.FashionMnist => FashionMnist[fileName],
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown dataset kind."),
    };
}
