using System.Collections;

namespace DistTrain.Rpc;

/// <summary>
/// Custom call headers. Keys are lower-case ASCII (HTTP/2 header names); values are ASCII text.
/// Binary ("-bin") metadata is not supported.
/// </summary>
public sealed class Metadata : IEnumerable<KeyValuePair<string, string>>
{
    private readonly List<KeyValuePair<string, string>> _entries = [];

    public int Count => _entries.Count;

    public void Add(string key, string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        var normalized = key.ToLowerInvariant();
        if (normalized.EndsWith("-bin", StringComparison.Ordinal))
        {
            throw new ArgumentException("Binary (-bin) metadata is not supported.", nameof(key));
        }
        foreach (var c in normalized)
        {
            // Header names the HTTP/2 stack accepts unchanged: lower-case letters, digits, - _ .
            if (!(c is >= 'a' and <= 'z' or >= '0' and <= '9' or '-' or '_' or '.'))
            {
                throw new ArgumentException($"Metadata key '{key}' has a character gRPC does not allow.", nameof(key));
            }
        }
        _entries.Add(new KeyValuePair<string, string>(normalized, value));
    }

    /// <summary>The first value under <paramref name="key"/>, or null.</summary>
    public string? Get(string key)
    {
        foreach (var entry in _entries)
        {
            if (string.Equals(entry.Key, key, StringComparison.OrdinalIgnoreCase))
            {
                return entry.Value;
            }
        }
        return null;
    }

    public IEnumerator<KeyValuePair<string, string>> GetEnumerator() => _entries.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
