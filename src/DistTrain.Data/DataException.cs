// Every failure to find, fetch, verify or parse data. Messages name the file or field and say what to do.
namespace DistTrain.Data;

public sealed class DataException(string message, Exception? inner = null) : Exception(message, inner);
