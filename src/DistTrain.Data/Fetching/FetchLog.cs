// Log messages of the dataset fetch, as compiled message templates.
using Microsoft.Extensions.Logging;

namespace DistTrain.Data.Fetching;

internal static partial class FetchLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Dataset {Dataset} is already present and verified in {Directory}; nothing to download")]
    public static partial void AlreadyPresent(this ILogger logger, string dataset, string directory);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Dataset {Dataset} in {Directory} failed verification and will be replaced: {Reason}")]
    public static partial void Replacing(this ILogger logger, string dataset, string directory, string reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Downloading {Dataset} from {Source}")]
    public static partial void Downloading(this ILogger logger, string dataset, string source);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "Downloaded {File} ({Bytes} bytes)")]
    public static partial void Downloaded(this ILogger logger, string file, long bytes);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "Verified SHA-256 of {File}")]
    public static partial void VerifiedFile(this ILogger logger, string file);

    [LoggerMessage(EventId = 6, Level = LogLevel.Information, Message = "Dataset {Dataset} installed in {Directory} in {ElapsedMs} ms")]
    public static partial void Installed(this ILogger logger, string dataset, string directory, long elapsedMs);
}
