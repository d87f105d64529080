using DistTrain.Training.Checkpoints;
using DistTrain.Training.Loop;

namespace DistTrain.Training.Outputs;

/// <summary>The files of one run in its --out directory, each written atomically.</summary>
public sealed class RunOutputs(string directory)
{
    public string Directory { get; } = Path.GetFullPath(directory);

    public string CheckpointPath => CheckpointFile.PathIn(Directory);

    /// <summary>The files a run writes, and so the files a fresh run removes first.</summary>
    public static IReadOnlyList<string> FileNames { get; } =
        [MetricsCsv.FileName, LearningCurveSvg.FileName, RunSummary.FileName, CheckpointFile.FileName];

    /// <summary>
    /// Deletes the files an earlier run left here (and their unfinished .tmp siblings), so that a
    /// fresh run never shows another run's summary or curves; other files are left alone.
    /// Returns the names of the files that were there.
    /// </summary>
    public IReadOnlyList<string> RemoveEarlierRun()
    {
        var removed = new List<string>();
        if (!System.IO.Directory.Exists(Directory))
        {
            return removed;
        }
        foreach (var name in FileNames)
        {
            var path = Path.Combine(Directory, name);
            if (File.Exists(path))
            {
                File.Delete(path);
                removed.Add(name);
            }
            if (File.Exists(path + ".tmp"))
            {
                File.Delete(path + ".tmp");
            }
        }
        return removed;
    }

    public void WriteEpochFiles(IReadOnlyList<EpochMetrics> history, string title)
    {
        WriteAtomically(MetricsCsv.FileName, MetricsCsv.Format(history));
        WriteAtomically(LearningCurveSvg.FileName, LearningCurveSvg.Render(history, title));
    }

    public void WriteSummary(RunSummary summary) => WriteAtomically(RunSummary.FileName, summary.ToJson());

    private void WriteAtomically(string name, string text)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var path = Path.Combine(Directory, name);
        File.WriteAllText(path + ".tmp", text);
        File.Move(path + ".tmp", path, overwrite: true);
    }
}
