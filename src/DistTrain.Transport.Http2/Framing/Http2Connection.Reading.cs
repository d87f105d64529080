using System.Buffers;
using System.Buffers.Binary;
using Microsoft.Extensions.Logging;

namespace DistTrain.Transport.Http2.Framing;

/// <summary>The read loop: parses frames from the transport and applies them.</summary>
internal sealed partial class Http2Connection
{
    private async Task ReadClientPrefaceAsync()
    {
        var input = _transport.Input;
        if (!await input.FillAsync(Preface.Length).ConfigureAwait(false))
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, "The connection ended before the HTTP/2 client preface.");
        }
        var received = input.Peek(Preface.Length).ToArray();
        input.Consume(Preface.Length);
        if (!received.AsSpan().SequenceEqual(Preface))
        {
            var http1 = received.AsSpan().IndexOf(" HTTP/1."u8) >= 0 || received.AsSpan().StartsWith("GET "u8) || received.AsSpan().StartsWith("POST "u8);
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, http1
                ? "Expected HTTP/2 but received HTTP/1.1; gRPC needs HTTP/2 (h2c prior knowledge on http://)."
                : "Invalid HTTP/2 client preface: this is not an HTTP/2 client.");
        }
    }

    private async Task ReadFramesAsync()
    {
        var input = _transport.Input;
        while (true)
        {
            if (!await input.FillAsync(FrameHeader.Size).ConfigureAwait(false))
            {
                if (input.Buffered > 0)
                {
                    throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, "The connection ended inside a frame.");
                }
                return;
            }
            var header = FrameHeader.Read(input.Peek(FrameHeader.Size));
            if (header.Length > Limits.MaxFrameSize)
            {
                throw new Http2ConnectionException(Http2ErrorCode.FrameSizeError, $"A {header.Type} frame of {header.Length} bytes exceeds the maximum frame size {Limits.MaxFrameSize}.");
            }
            input.Consume(FrameHeader.Size);
            CheckFrameOrder(header);
            if (header.Type == FrameType.Data)
            {
                await ReadDataAsync(header).ConfigureAwait(false);
                continue;
            }
            // Only what a frame of its type may hold is buffered: a 16 MB PING is refused from its
            // header, unknown frames and long GOAWAY debug data are skipped unread.
            var buffered = BufferedLength(header);
            if (!await input.FillAsync(buffered).ConfigureAwait(false))
            {
                throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, "The connection ended inside a frame.");
            }
            await HandleFrameAsync(header, input.PeekSequence(buffered)).ConfigureAwait(false);
            input.Consume(buffered);
            await input.SkipAsync(header.Length - buffered).ConfigureAwait(false);
        }
    }

    /// <summary>How much of a non-DATA frame to buffer; throws for a length its type cannot have.</summary>
    private int BufferedLength(FrameHeader header)
    {
        int? exact = header.Type switch
        {
            FrameType.Ping => 8,
            FrameType.RstStream or FrameType.WindowUpdate => 4,
            FrameType.Priority => 5,
            _ => null,
        };
        if (exact is { } length && header.Length != length)
        {
            throw new Http2ConnectionException(Http2ErrorCode.FrameSizeError, $"{header.Type} frame of {header.Length} bytes; it has {length}.");
        }
        switch (header.Type)
        {
            case FrameType.Headers or FrameType.Continuation when header.Length > Limits.MaxHeaderListSize:
                throw new Http2ConnectionException(Http2ErrorCode.EnhanceYourCalm, $"{header.Type} frame of {header.Length} bytes; header blocks are limited to {Limits.MaxHeaderListSize} (MaxHeaderListSize).");
            case FrameType.Settings when header.Length > Http2Limits.MaxSettingsPayload:
                throw new Http2ConnectionException(Http2ErrorCode.EnhanceYourCalm, $"SETTINGS frame of {header.Length} bytes; more than {Http2Limits.MaxSettingsPayload / 6} settings.");
            case FrameType.GoAway:
                return Math.Min(header.Length, Http2Limits.MaxGoAwayPayload);
            case FrameType.Headers or FrameType.Continuation or FrameType.Settings or FrameType.Ping or FrameType.RstStream
                or FrameType.WindowUpdate or FrameType.PushPromise or FrameType.Priority:
                return header.Length;
            default:
                // Unknown frame types are ignored (RFC 9113 section 5.5), so they are not kept either.
                return 0;
        }
    }

    /// <summary>
    /// A DATA frame: flow-control and stream checks, then the payload goes from the socket (or
    /// what is already buffered) straight into the stream's body buffer.
    /// </summary>
    private async Task ReadDataAsync(FrameHeader header)
    {
        if (header.StreamId == 0)
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, "DATA frame on stream 0.");
        }
        var input = _transport.Input;
        var padding = 0;
        var prefix = 0;
        if (header.Has(FrameFlags.Padded))
        {
            if (!await input.FillAsync(1).ConfigureAwait(false))
            {
                throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, "The connection ended inside a frame.");
            }
            padding = input.Peek(1)[0];
            input.Consume(1);
            prefix = 1;
            if (padding >= header.Length)
            {
                throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, "Padding longer than the frame.");
            }
        }
        var dataLength = header.Length - prefix - padding;
        if (Interlocked.Add(ref _connectionReceiveWindow, -header.Length) < 0)
        {
            throw new Http2ConnectionException(Http2ErrorCode.FlowControlError, "The peer sent more DATA than the connection window allows.");
        }
        var stream = Lookup(header.StreamId, out var idle);
        if (stream is { IsReset: true })
        {
            stream = null;
        }
        if (idle)
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"DATA frame on idle stream {header.StreamId}.");
        }
        var endStream = header.Has(FrameFlags.EndStream);
        var accepted = stream is not null && !stream.RemoteEnded && await stream.ReceiveDataAsync(input, dataLength, header.Length, endStream).ConfigureAwait(false);
        if (!accepted)
        {
            await input.SkipAsync(dataLength).ConfigureAwait(false);
            if (stream is not null && !stream.RemoteEnded)
            {
                stream.Reset(Http2ErrorCode.FlowControlError, new Http2StreamException(Http2ErrorCode.FlowControlError, "The peer overran the stream's flow-control window."));
            }
        }
        await input.SkipAsync(padding).ConfigureAwait(false);
        // The connection window is given back once a frame is off the wire, as Kestrel and grpc-go
        // do: each stream's own window bounds what waits in its buffer. Crediting only as handlers
        // read would deadlock a client that interleaves more partial messages than the window holds.
        CreditConnection(header.Length);
        if (accepted && endStream)
        {
            OnRemoteEnd(stream!);
        }
    }

    private void CheckFrameOrder(FrameHeader header)
    {
        if (!_settingsReceived && header.Type != FrameType.Settings)
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"The first frame was {header.Type}, not SETTINGS.");
        }
        if (_continuationStreamId != 0 && (header.Type != FrameType.Continuation || header.StreamId != _continuationStreamId))
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, "Expected a CONTINUATION frame.");
        }
    }

    private async ValueTask HandleFrameAsync(FrameHeader header, ReadOnlySequence<byte> payload)
    {
        switch (header.Type)
        {
            case FrameType.Headers:
                OnHeaders(header, payload);
                break;
            case FrameType.Continuation:
                OnContinuation(header, payload);
                break;
            case FrameType.RstStream:
                OnRstStream(header, payload);
                break;
            case FrameType.Settings:
                await OnSettingsAsync(header, payload).ConfigureAwait(false);
                break;
            case FrameType.Ping:
                await OnPingAsync(header, payload).ConfigureAwait(false);
                break;
            case FrameType.GoAway:
                OnGoAway(header, payload);
                break;
            case FrameType.WindowUpdate:
                OnWindowUpdate(header, payload);
                break;
            case FrameType.PushPromise:
                throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, "PUSH_PROMISE received, but push is disabled.");
            default:
                // PRIORITY and unknown frame types are ignored (RFC 9113 sections 5.5, 6.3).
                break;
        }
    }

    private void OnHeaders(FrameHeader header, ReadOnlySequence<byte> payload)
    {
        if (header.StreamId == 0)
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, "HEADERS frame on stream 0.");
        }
        var fragment = StripPadding(header, payload);
        if (header.Has(FrameFlags.Priority))
        {
            if (fragment.Length < 5)
            {
                throw new Http2ConnectionException(Http2ErrorCode.FrameSizeError, "HEADERS frame too short for its priority fields.");
            }
            fragment = fragment.Slice(5);
        }
        _headerBlock.ResetWrittenCount();
        _headerFrames = 1;
        AppendHeaderFragment(fragment);
        if (header.Has(FrameFlags.EndHeaders))
        {
            OnHeaderBlock(header.StreamId, header.Has(FrameFlags.EndStream));
        }
        else
        {
            _continuationStreamId = header.StreamId;
            _continuationEndStream = header.Has(FrameFlags.EndStream);
        }
    }

    private void OnContinuation(FrameHeader header, ReadOnlySequence<byte> payload)
    {
        if (_continuationStreamId == 0)
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, "CONTINUATION frame without HEADERS.");
        }
        // Counted, not only their bytes: empty CONTINUATION frames cost a frame each to handle.
        if (++_headerFrames > Limits.MaxHeaderFrames)
        {
            throw new Http2ConnectionException(Http2ErrorCode.EnhanceYourCalm, $"a header block in more than {Limits.MaxHeaderFrames} frames (MaxHeaderFrames).");
        }
        AppendHeaderFragment(payload);
        if (header.Has(FrameFlags.EndHeaders))
        {
            var id = _continuationStreamId;
            _continuationStreamId = 0;
            OnHeaderBlock(id, _continuationEndStream);
        }
    }

    private void AppendHeaderFragment(ReadOnlySequence<byte> fragment)
    {
        if (_headerBlock.WrittenCount + fragment.Length > Limits.MaxHeaderListSize)
        {
            throw new Http2ConnectionException(Http2ErrorCode.EnhanceYourCalm, $"Header block larger than {Limits.MaxHeaderListSize} bytes (MaxHeaderListSize).");
        }
        fragment.CopyTo(_headerBlock.GetSpan((int)fragment.Length));
        _headerBlock.Advance((int)fragment.Length);
    }

    private void OnHeaderBlock(int streamId, bool endStream)
    {
        // Decoded even for streams we dropped, to keep the HPACK table in step with the peer.
        var fields = new List<HeaderField>();
        _decoder.Decode(_headerBlock.WrittenSpan, fields);
        var stream = Lookup(streamId, out var idle);
        if (stream is not null)
        {
            if (stream.IsReset)
            {
                return;
            }
            if (stream.RemoteEnded)
            {
                stream.Reset(Http2ErrorCode.StreamClosed);
                return;
            }
            stream.OnHeaders(fields, endStream);
            if (endStream)
            {
                OnRemoteEnd(stream);
            }
            return;
        }
        if (!idle)
        {
            return;
        }
        if (!_isServer || (streamId & 1) == 0)
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"HEADERS opening stream {streamId}, which the peer may not open.");
        }
        AcceptStream(streamId, fields, endStream);
    }

    private void AcceptStream(int streamId, List<HeaderField> fields, bool endStream)
    {
        _requestSeen = true;
        Http2Stream stream;
        lock (_sync)
        {
            _lastPeerStreamId = streamId;
            // The table holds every stream whose handler still runs, reset or not (see Retire).
            if (_goingAway || _streams.Count >= Limits.MaxConcurrentStreams)
            {
                if (!_goingAway && !_resets.TryTake())
                {
                    throw new Http2ConnectionException(Http2ErrorCode.EnhanceYourCalm,
                        $"more than {Limits.MaxStreamResetsPerSecond} streams a second opened past the limit of {Limits.MaxConcurrentStreams} or reset (MaxStreamResetsPerSecond)");
                }
                _ = SendControlAsync(FrameType.RstStream, 0, streamId, (uint)Http2ErrorCode.RefusedStream);
                return;
            }
            stream = new Http2Stream(this, streamId, _peerInitialWindow, Limits.StreamWindow) { HandlerDone = false };
            _streams.Add(streamId, stream);
        }
        stream.OnHeaders(fields, endStream);
        if (endStream)
        {
            OnRemoteEnd(stream);
        }
        var handler = _onRequest!;
        _ = Task.Run(async () =>
        {
            try
            {
                await handler(stream).ConfigureAwait(false);
            }
            finally
            {
                lock (_sync)
                {
                    stream.HandlerDone = true;
                    Retire(stream);
                }
            }
        });
    }

    private void OnRemoteEnd(Http2Stream stream)
    {
        lock (_sync)
        {
            Retire(stream);
        }
    }

    private void OnRstStream(FrameHeader header, ReadOnlySequence<byte> payload)
    {
        if (header.StreamId == 0 || header.Length != 4)
        {
            throw new Http2ConnectionException(header.StreamId == 0 ? Http2ErrorCode.ProtocolError : Http2ErrorCode.FrameSizeError, "Malformed RST_STREAM frame.");
        }
        var code = (Http2ErrorCode)ReadUInt32(payload);
        var stream = Lookup(header.StreamId, out var idle);
        if (idle)
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"RST_STREAM on idle stream {header.StreamId}.");
        }
        if (stream is null || stream.IsReset)
        {
            return;
        }
        // A client that cancels its calls faster than the bound is flooding us (rapid reset).
        if (_isServer && !_resets.TryTake())
        {
            throw new Http2ConnectionException(Http2ErrorCode.EnhanceYourCalm,
                $"more than {Limits.MaxStreamResetsPerSecond} streams a second reset by the client (MaxStreamResetsPerSecond)");
        }
        stream.MarkReset();
        lock (_sync)
        {
            Retire(stream);
            WakeSenders();
        }
        stream.Fail(new Http2StreamException(code, $"The peer reset the stream ({code})."));
    }

    private async ValueTask OnSettingsAsync(FrameHeader header, ReadOnlySequence<byte> payload)
    {
        if (header.StreamId != 0)
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, "SETTINGS frame on a stream.");
        }
        if (header.Has(FrameFlags.Ack))
        {
            if (header.Length != 0)
            {
                throw new Http2ConnectionException(Http2ErrorCode.FrameSizeError, "SETTINGS acknowledgement with a payload.");
            }
            return;
        }
        TakePingOrSettingsToken("SETTINGS");
        if (header.Length % 6 != 0)
        {
            throw new Http2ConnectionException(Http2ErrorCode.FrameSizeError, "SETTINGS payload is not a multiple of 6 bytes.");
        }
        var bytes = payload.ToArray();
        lock (_sync)
        {
            for (var i = 0; i < bytes.Length; i += 6)
            {
                var value = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(i + 2));
                switch ((SettingId)BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(i)))
                {
                    case SettingId.InitialWindowSize:
                        if (value > int.MaxValue)
                        {
                            throw new Http2ConnectionException(Http2ErrorCode.FlowControlError, "SETTINGS_INITIAL_WINDOW_SIZE above 2^31-1.");
                        }
                        var delta = (int)value - _peerInitialWindow;
                        _peerInitialWindow = (int)value;
                        foreach (var stream in _streams.Values)
                        {
                            stream.SendWindow += delta;
                            if (stream.SendWindow > int.MaxValue)
                            {
                                throw new Http2ConnectionException(Http2ErrorCode.FlowControlError, "A stream window grew above 2^31-1.");
                            }
                        }
                        break;
                    case SettingId.MaxFrameSize:
                        if (value < FrameHeader.DefaultMaxFrameSize || value > FrameHeader.LargestMaxFrameSize)
                        {
                            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"SETTINGS_MAX_FRAME_SIZE {value} is out of range.");
                        }
                        _peerMaxFrameSize = (int)value;
                        break;
                    case SettingId.MaxConcurrentStreams:
                        _peerMaxConcurrentStreams = (int)Math.Min(value, int.MaxValue);
                        break;
                    case SettingId.EnablePush:
                        if (value > 1)
                        {
                            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, "SETTINGS_ENABLE_PUSH is not 0 or 1.");
                        }
                        break;
                    default:
                        // HEADER_TABLE_SIZE: our encoder never indexes. MAX_HEADER_LIST_SIZE: our headers are small.
                        break;
                }
            }
            WakeSenders();
        }
        _settingsReceived = true;
        _peerSettings.TrySetResult();
        await SendFrameAsync(new FrameHeader(0, FrameType.Settings, FrameFlags.Ack, 0), []).ConfigureAwait(false);
    }

    private async ValueTask OnPingAsync(FrameHeader header, ReadOnlySequence<byte> payload)
    {
        if (header.StreamId != 0 || header.Length != 8)
        {
            throw new Http2ConnectionException(header.StreamId != 0 ? Http2ErrorCode.ProtocolError : Http2ErrorCode.FrameSizeError, "Malformed PING frame.");
        }
        if (!header.Has(FrameFlags.Ack))
        {
            TakePingOrSettingsToken("PING");
            await SendFrameAsync(new FrameHeader(8, FrameType.Ping, FrameFlags.Ack, 0), payload.ToArray()).ConfigureAwait(false);
        }
    }

    private void TakePingOrSettingsToken(string frame)
    {
        if (!_pingsAndSettings.TryTake())
        {
            throw new Http2ConnectionException(Http2ErrorCode.EnhanceYourCalm,
                $"{frame} flood: more than {Limits.MaxPingsAndSettingsPerSecond} PING and SETTINGS frames a second (MaxPingsAndSettingsPerSecond)");
        }
    }

    private void OnGoAway(FrameHeader header, ReadOnlySequence<byte> payload)
    {
        if (header.StreamId != 0 || header.Length < 8)
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, "Malformed GOAWAY frame.");
        }
        var bytes = payload.ToArray();
        var last = (int)(BinaryPrimitives.ReadUInt32BigEndian(bytes) & 0x7FFF_FFFF);
        var code = (Http2ErrorCode)BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(4));
        var detail = System.Text.Encoding.UTF8.GetString(bytes, 8, bytes.Length - 8);
        List<Http2Stream> refused = [];
        lock (_sync)
        {
            _goingAway = true;
            foreach (var stream in _streams.Values)
            {
                if (stream.Id > last)
                {
                    refused.Add(stream);
                }
            }
            foreach (var stream in refused)
            {
                _streams.Remove(stream.Id);
            }
            WakeSenders();
        }
        if (_logger is not null && code != Http2ErrorCode.NoError)
        {
            LogGoAway(_logger, Peer, code, detail);
        }
        foreach (var stream in refused)
        {
            stream.MarkReset();
            stream.Fail(new Http2StreamException(Http2ErrorCode.RefusedStream, $"The peer is going away ({code}) and did not process the call.", connectionLost: true));
        }
        if (!_isServer && ActiveStreams == 0)
        {
            // Nothing left to finish on this connection: close it rather than hold the server's shutdown.
            Abort(new Http2StreamException(Http2ErrorCode.NoError, "The server went away.", connectionLost: true));
        }
    }

    private void OnWindowUpdate(FrameHeader header, ReadOnlySequence<byte> payload)
    {
        if (header.Length != 4)
        {
            throw new Http2ConnectionException(Http2ErrorCode.FrameSizeError, "WINDOW_UPDATE frame of the wrong size.");
        }
        var increment = ReadUInt32(payload) & 0x7FFF_FFFF;
        lock (_sync)
        {
            if (header.StreamId == 0)
            {
                if (increment == 0)
                {
                    throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, "WINDOW_UPDATE with a zero increment.");
                }
                _connectionSendWindow += increment;
                if (_connectionSendWindow > int.MaxValue)
                {
                    throw new Http2ConnectionException(Http2ErrorCode.FlowControlError, "The connection window grew above 2^31-1.");
                }
            }
            else if (_streams.TryGetValue(header.StreamId, out var stream))
            {
                stream.SendWindow += increment;
                if (increment == 0 || stream.SendWindow > int.MaxValue)
                {
                    stream.Reset(increment == 0 ? Http2ErrorCode.ProtocolError : Http2ErrorCode.FlowControlError);
                }
            }
            WakeSenders();
        }
    }

    /// <summary>The stream, or null when it is closed; <paramref name="idle"/> when the peer never opened that id.</summary>
    private Http2Stream? Lookup(int streamId, out bool idle)
    {
        lock (_sync)
        {
            if (_streams.TryGetValue(streamId, out var stream))
            {
                idle = false;
                return stream;
            }
            var peerOpens = _isServer == ((streamId & 1) == 1);
            idle = peerOpens ? streamId > _lastPeerStreamId : streamId >= _nextStreamId;
            return null;
        }
    }

    private static ReadOnlySequence<byte> StripPadding(FrameHeader header, ReadOnlySequence<byte> payload)
    {
        if (!header.Has(FrameFlags.Padded))
        {
            return payload;
        }
        if (payload.IsEmpty)
        {
            throw new Http2ConnectionException(Http2ErrorCode.FrameSizeError, "Padded frame without a pad length.");
        }
        var padding = payload.FirstSpan[0];
        if (padding >= payload.Length)
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, "Padding longer than the frame.");
        }
        return payload.Slice(1, payload.Length - 1 - padding);
    }

    private static uint ReadUInt32(ReadOnlySequence<byte> payload)
    {
        Span<byte> bytes = stackalloc byte[4];
        payload.Slice(0, 4).CopyTo(bytes);
        return BinaryPrimitives.ReadUInt32BigEndian(bytes);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "HTTP/2 peer {Peer} is going away: {ErrorCode} {Detail}")]
    private static partial void LogGoAway(ILogger logger, string peer, Http2ErrorCode errorCode, string detail);
}
