using DistTrain.Data;
using Microsoft.Extensions.Logging;

namespace DistTrain.Training.Configuration;

/// <summary>
/// Loads the dataset a run asks for. When it is missing from the default data folder it is
/// fetched first, so a first run needs no separate step; a folder the user named must already
/// hold it (we never download into a place the user chose for their own files).
/// </summary>
public static class DatasetSource
{
    public static async Task<Dataset> LoadAsync(TrainingConfiguration config, ILogger logger, CancellationToken cancellationToken)
    {
        var isDefaultFolder = Path.GetFullPath(config.DataDir) == Path.GetFullPath(DatasetStore.DefaultDataDirectory);
        if (!DatasetStore.IsPresent(config.Dataset, config.DataDir) && isDefaultFolder)
        {
            logger.LogInformation("Dataset {Dataset} not found in {DataDir}; fetching it", config.Dataset.ToName(), Path.GetFullPath(config.DataDir));
            await DatasetFetcher.FetchAsync(config.Dataset, config.DataDir, logger, cancellationToken);
        }
        var data = DatasetStore.Load(config.Dataset, config.DataDir);
        logger.LogInformation("Loaded {Dataset}: {Train} training and {Test} test images of {Pixels} pixels from {DataDir}",
            config.Dataset.ToName(), data.Train.Count, data.Test.Count, data.Train.PixelsPerImage, Path.GetFullPath(config.DataDir));
        return data;
    }
}
