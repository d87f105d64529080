using Grpc.Core;

namespace DistTrain.Transport.Http2.Server;

/// <summary>What the request headers said about a call the dispatcher accepted.</summary>
internal sealed record CallStart(string Method, string Host, string Peer, Metadata RequestHeaders, TimeSpan? Timeout);
