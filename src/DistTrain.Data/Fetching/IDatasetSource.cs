// Somewhere a dataset's four IDX files can be downloaded from.
using Microsoft.Extensions.Logging;

namespace DistTrain.Data.Fetching;

internal interface IDatasetSource
{
    /// <summary>Where the files come from, for the log.</summary>
    string Description { get; }

    /// <summary>Downloads into <paramref name="stagingDirectory"/> and returns the folder holding the four IDX files (plain or .gz).</summary>
    /// <param name="manualHint">How to place the files by hand, appended to failure messages.</param>
    Task<string> DownloadAsync(string stagingDirectory, string manualHint, ILogger logger, CancellationToken cancellationToken);
}
