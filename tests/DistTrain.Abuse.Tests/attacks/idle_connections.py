"""Many idle connections: each sends the client preface and SETTINGS, then nothing, until the end.

--connections are opened at --rate per second and held for the rest of --duration; the report
says how many the server accepted and how many it closed (and after how long).
"""
import time

import attack
import h2frames as f


def main():
    p = attack.parser(__doc__, duration=4.0, connections=3000, rate=2000.0, rate_help="connections opened per second")
    args = p.parse_args()
    report = attack.Report("idle-connections", args)
    report.notes.append(f"file descriptor limit {attack.raise_file_limit()}")
    pool = attack.Pool()
    started = time.monotonic()
    attempts = 0
    while attempts < args.connections and report.elapsed() < args.duration:
        attempts += 1
        connection = attack.connect(args.target, report, connect_timeout=1.0)
        if connection is not None and connection.send(f.PREFACE + f.settings(), timeout=1.0):
            pool.add(connection)
        if attempts % 100 == 0:
            pool.drain()
        attack.pace(args.rate, started, attempts)
    report.sent["connections held"] = pool.open_count()
    while report.elapsed() < args.duration:
        pool.drain(wait=0.05)
    report.notes.append(f"{pool.open_count()} of {len(pool.connections)} still open at the end")
    pool.close_all()
    report.finish()


if __name__ == "__main__":
    main()
