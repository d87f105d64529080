// The datasets the trainer knows, and their command-line names.
namespace DistTrain.Data;

public enum DatasetKind
{
    Mnist,
    FashionMnist,
}

public static class DatasetKinds
{
    /// <summary>Every kind, in declaration order.</summary>
    public static IReadOnlyList<DatasetKind> All { get; } = [DatasetKind.Mnist, DatasetKind.FashionMnist];

    /// <summary>The command-line name: "mnist" or "fashion-mnist".</summary>
    public static string ToName(this DatasetKind kind) => kind switch
    {
        DatasetKind.Mnist => "mnist",
        DatasetKind.FashionMnist => "fashion-mnist",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown dataset kind."),
    };

    /// <summary>Parses a command-line name (case-insensitive).</summary>
    public static DatasetKind Parse(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (var kind in All)
        {
            if (string.Equals(kind.ToName(), name.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                return kind;
            }
        }

        throw new DataException(
            $"Unknown dataset '{name}': use one of {string.Join(", ", All.Select(k => k.ToName()))}.");
    }
}
