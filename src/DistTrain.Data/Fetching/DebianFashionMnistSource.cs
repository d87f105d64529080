// Fashion-MNIST from Debian's package dataset-fashion-mnist, unpacked without root: `apt-get download` then `dpkg-deb -x`.
// The package holds the four gzip IDX files under usr/share/datasets/fashion-mnist/.
using Microsoft.Extensions.Logging;

namespace DistTrain.Data.Fetching;

internal sealed class DebianFashionMnistSource : IDatasetSource
{
    private const string Package = "dataset-fashion-mnist";

    public string Description => $"Debian package {Package}";

    public async Task<string> DownloadAsync(string stagingDirectory, string manualHint, ILogger logger, CancellationToken cancellationToken)
    {
        var hint = $"This needs apt-get and dpkg-deb (Debian or Ubuntu) with current package lists (run `apt-get update` as root if the package is not found), or {manualHint}";
        await ExternalTool.RunAsync("apt-get", ["download", Package], stagingDirectory, hint, cancellationToken)
            .ConfigureAwait(false);
        var deb = Directory.GetFiles(stagingDirectory, Package + "_*.deb").SingleOrDefault()
            ?? throw new DataException($"`apt-get download {Package}` left no single {Package}_*.deb in {stagingDirectory}. {hint}");
        logger.Downloaded(deb, new FileInfo(deb).Length);

        var unpacked = Path.Combine(stagingDirectory, "unpacked");
        await ExternalTool.RunAsync("dpkg-deb", ["-x", deb, unpacked], stagingDirectory, hint, cancellationToken)
            .ConfigureAwait(false);

        var files = Directory.CreateDirectory(Path.Combine(stagingDirectory, "files")).FullName;
        foreach (var name in DatasetLayout.FileNames)
        {
            var fileName = name + DatasetLayout.GzipSuffix;
            var found = Directory.GetFiles(unpacked, fileName, SearchOption.AllDirectories);
            if (found.Length != 1)
            {
                throw new DataException($"{deb} holds {found.Length} files named {fileName}, expected exactly one. {hint}");
            }

            File.Move(found[0], Path.Combine(files, fileName));
        }

        return files;
    }
}
