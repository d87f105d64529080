# Shared by the benchmark scripts: build once, find MNIST, install the PyTorch peer.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
data=${DISTTRAIN_DATA_DIR:-$root/data}
dll=$root/src/DistTrain.Cli/bin/Release/net10.0/disttrain.dll
peer=$here/peers/torch_mlp.py

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

prepare() {
  if ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
    echo "installing the PyTorch peer (Debian python3-torch)" >&2
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq python3-torch libopenblas0-pthread >/dev/null
  fi
  dotnet build "$root/src/DistTrain.Cli" -c Release -nologo -clp:ErrorsOnly >&2
  dotnet "$dll" fetch-data --data-dir "$data" >/dev/null
}

# median of numbers on stdin
median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) {print "nan"} else if (NR%2) {print a[(NR+1)/2]} else {print (a[NR/2]+a[NR/2+1])/2}}'; }

# samples/s of a disttrain run: mean over the epochs of metrics.csv in $1, skipping the first (warm-up), as for the peer
ours_rate() { /usr/bin/python3 -c '
import csv, sys
rates = [float(r["samples_per_second"]) for r in csv.DictReader(open(sys.argv[1]))]
rates = rates[1:] or rates
print(sum(rates) / len(rates))' "$1/metrics.csv"; }

# samples/s of a peer run: mean over its epoch lines on stdin, skipping the first epoch (warm-up)
peer_rate() { /usr/bin/python3 -c '
import json, sys
rates = [json.loads(l)["samples_per_s"] for l in sys.stdin if l.startswith("{")]
rates = rates[1:] or rates
print(sum(rates) / len(rates))'; }
