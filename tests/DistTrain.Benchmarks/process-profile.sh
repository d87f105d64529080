#!/usr/bin/env bash
# A coordinator and K workers (one compute thread each) as separate processes on loopback, each
# under /usr/bin/time: CPU (user, system), wall time and peak memory per process, then the
# coordinator's per-epoch lines and its last per-worker summary (shard round trips min/median/p95
# beside the median compute time; the rest of a round trip is network and queueing).
#   tests/DistTrain.Benchmarks/process-profile.sh [EPOCHS=3] [K=2] [WIRE=fp32]
source "$(dirname "$0")/bench-common.sh"
epochs=${1:-3}
workers=${2:-2}
wire=${3:-fp32}
prepare
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
address=http://127.0.0.1:$port

timed() { local name=$1; shift; /usr/bin/time -f "$name: user %U s, system %S s, wall %e s, peak RSS %M KB" -o "$out/$name.time" "$@"; }
timed coordinator dotnet "$dll" coordinator --listen "$address" --min-workers "$workers" --data-dir "$data" \
  --epochs "$epochs" --wire-precision "$wire" --out "$out/run" >"$out/coordinator.log" 2>&1 &
coordinator=$!
for w in $(seq "$workers"); do
  timed "worker$w" dotnet "$dll" worker --coordinator "$address" --threads 1 --name "w$w" >"$out/worker$w.log" 2>&1 &
done
wait "$coordinator" || { echo "coordinator failed:"; tail -20 "$out/coordinator.log"; exit 1; }
wait
cat "$out/coordinator.time"
for w in $(seq "$workers"); do cat "$out/worker$w.time"; done
grep -E "Epoch [0-9]+/[0-9]+ done" "$out/coordinator.log" | sed 's/.*\(Epoch\)/\1/'
# The last epoch's per-worker summary.
grep -E "shard round trips" "$out/coordinator.log" | tail -n 1 | sed 's/.*\(Epoch\)/\1/'
