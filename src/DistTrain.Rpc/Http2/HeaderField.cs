namespace DistTrain.Rpc.Http2;

/// <summary>One HTTP/2 header field; HTTP/2 names are lowercase.</summary>
internal readonly record struct HeaderField(string Name, string Value);
