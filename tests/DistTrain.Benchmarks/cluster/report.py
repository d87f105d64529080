"""The emulated cluster's tables, in markdown, from the CSV files a run wrote.

usage: report.py RESULTS_DIR

links.csv (if present): rate,path,seconds,bits_per_second,retransmits   (iperf3 over the shaped links)
runs.csv:  rate,k,precision,system,label,rep,samples_per_s,iterations,
           coord_out,coord_in,worker_out,worker_in,ps_out,ps_in,test_acc,batch
           (bytes over the whole run, from each role's point of view; worker_* and ps_* are means
           over the roles of that kind that took part)
One row per configuration: medians over the repetitions; bytes per iteration in MB (10^6 bytes).
"busiest link out / in": for the link that carried the most bytes, what each direction carried as a
share of the link rate, at the median rate of iterations (samples/s / batch).
"""
import csv
import os
import statistics
import sys


def rate_key(rate):
    if rate == 'unlimited':
        return float('inf')
    n = ''.join(c for c in rate if c.isdigit() or c == '.')
    return float(n) * (1000 if rate.endswith('gbit') else 1)


def mb(value, iterations):
    return float(value) / iterations / 1e6


def links_table(path):
    rows = list(csv.DictReader(open(path)))
    out = ['| link rate | path | achieved | TCP retransmits |', '| --- | --- | --- | --- |']
    for r in sorted(rows, key=lambda r: rate_key(r['rate'])):
        out.append(f"| {r['rate']} | {r['path']} | {float(r['bits_per_second']) / 1e9:.3f} Gbit/s | {r['retransmits']} |")
    return '\n'.join(out)


def runs_table(path):
    rows = list(csv.DictReader(open(path)))
    groups = {}
    for r in rows:
        groups.setdefault((r['rate'], int(r['k']), r['precision'], r['system'], r['label']), []).append(r)

    def med(rs, field, per_iteration=True):
        vals = [float(r[field]) for r in rs if r[field] != '']
        if not vals:
            return None
        if per_iteration:
            vals = [v / int(r['iterations']) / 1e6 for v, r in zip(vals, [r for r in rs if r[field] != ''])]
        return statistics.median(vals)

    summary = {}
    for key, rs in groups.items():
        summary[key] = dict(
            n=len(rs),
            rate=statistics.median(float(r['samples_per_s']) for r in rs),
            spread=(min(float(r['samples_per_s']) for r in rs), max(float(r['samples_per_s']) for r in rs)),
            coord=(med(rs, 'coord_out'), med(rs, 'coord_in')),
            worker=(med(rs, 'worker_out'), med(rs, 'worker_in')),
            ps=(med(rs, 'ps_out'), med(rs, 'ps_in')),
            batch=int(rs[0]['batch']),
            acc=statistics.median(float(r['test_acc']) for r in rs if r['test_acc'] != '') if any(r['test_acc'] for r in rs) else None)

    def ddp(rate, k, precision):
        for (r, kk, p, system, _), s in summary.items():
            if (r, kk, p, system) == (rate, k, precision, 'ddp'):
                return s
        return None

    any_ps = any(s['ps'][0] is not None for s in summary.values())
    head = ['link rate', 'K', 'precision', 'system', 'samples/s (median)', 'min-max', 'runs',
            'coordinator link out / in', 'worker link out / in']
    if any_ps:
        head.append('parameter-server link out / in')
    head += ['busiest link out / in', 'test acc', 'DistTrain / DDP', 'DistTrain / DDP fp32']
    out = ['| ' + ' | '.join(head) + ' |', '|' + ' --- |' * len(head)]

    def pair(p):
        return '-' if p[0] is None or (p[0] == 0 and p[1] == 0) else f'{p[0]:.2f} / {p[1]:.2f}'

    def busiest(rate, s):
        if rate == 'unlimited':
            return ''
        link = max((p for p in (s['coord'], s['worker'], s['ps']) if p[0] is not None), key=lambda p: p[0] + p[1])
        share = [100 * v * 1e6 * 8 * s['rate'] / s['batch'] / (rate_key(rate) * 1e6) for v in link]
        return f"{share[0]:.0f}% / {share[1]:.0f}%"

    order = {'disttrain': 0, 'ddp': 1}
    for key in sorted(summary, key=lambda k: (rate_key(k[0]), k[1], k[2] != 'fp32', k[2], order.get(k[3], 2), k[4])):
        rate, k, precision, system, label = key
        s = summary[key]
        same, fp32 = ddp(rate, k, precision), ddp(rate, k, 'fp32')
        ratio = f"{s['rate'] / same['rate']:.2f}x" if system == 'disttrain' and same else ''
        ratio32 = f"{s['rate'] / fp32['rate']:.2f}x" if system == 'disttrain' and fp32 and precision != 'fp32' else ''
        cells = [rate, str(k), precision, label, f"{s['rate']:,.0f}", f"{s['spread'][0]:,.0f}-{s['spread'][1]:,.0f}", str(s['n']),
                 pair(s['coord']), pair(s['worker'])]
        if any_ps:
            cells.append(pair(s['ps']))
        cells += [busiest(rate, s), '' if s['acc'] is None else f"{s['acc']:.4f}", ratio, ratio32]
        out.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(out)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    d = sys.argv[1]
    if os.path.exists(os.path.join(d, 'links.csv')):
        print('Link check (iperf3, one TCP stream per path unless stated):\n')
        print(links_table(os.path.join(d, 'links.csv')))
        print()
    if os.path.exists(os.path.join(d, 'runs.csv')):
        print('Training runs (bytes per iteration in MB = 10^6 bytes, whole run / training iterations, '
              'from the node\'s side: out = sent, in = received; worker link = mean over the workers):\n')
        print(runs_table(os.path.join(d, 'runs.csv')))


if __name__ == '__main__':
    main()
