"""What the worker lanes of a DistTrain timeline (--timeline FILE) add up to, as a markdown table.

usage: timeline-summary.py FILE

One row per kind of span on the workers' lanes (task in transit, waiting for weights, compute,
pushing gradient, sending result, and with parameter shards the weights arriving): how many, and
the 10th, 50th and 90th percentile of their durations in ms. With parameter shards two more rows
say when the first and the last block of a version's weights arrived, counted from the start of
that worker's push of the version before: how much of the pull overlaps the push.
"""
import json
import sys


def percentiles(values):
    values = sorted(values)
    pick = lambda q: values[min(len(values) - 1, int(q * len(values)))]
    return pick(0.1), pick(0.5), pick(0.9)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    try:
        with open(sys.argv[1], encoding='utf-8') as f:
            trace = json.load(f)
    except (OSError, ValueError) as e:
        sys.exit(f'error: {sys.argv[1]}: {e} (a file written by --timeline expected)')
    workers = {e['pid'] for e in trace['traceEvents'] if e.get('ph') == 'M' and e.get('name') == 'process_name' and e['args'].get('name') == 'workers'}
    rows = {}
    for e in trace['traceEvents']:
        if e.get('ph') == 'X' and e.get('pid') in workers:
            rows.setdefault(e['name'], []).append(e['dur'] / 1000)
            if e['name'] == 'weights arriving':
                rows.setdefault('first weight block, after the push before began', []).append(e['args']['first_block_after_push_ms'])
                rows.setdefault('last weight block, after the push before began', []).append(e['args']['last_block_after_push_ms'])
    if not rows:
        sys.exit(f'error: {sys.argv[1]} has no worker spans (were any iterations in the --timeline-iterations window?)')
    print('| worker span | count | p10 ms | median ms | p90 ms |')
    print('| --- | --- | --- | --- | --- |')
    for name, values in rows.items():
        p10, p50, p90 = percentiles(values)
        print(f'| {name} | {len(values)} | {p10:.2f} | {p50:.2f} | {p90:.2f} |')


if __name__ == '__main__':
    main()
