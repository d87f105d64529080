#!/usr/bin/env bash
# `disttrain run --workers K` on each gRPC transport against PyTorch DistributedDataParallel
# (gloo, K processes, one thread each) with the same global batch and epochs, alternately, for
# K = 1, 2, 4; prints samples per second and the ratios, and the PyTorch single-process figure
# for K = 1.
#   tests/DistTrain.Benchmarks/distributed-vs-ddp.sh [ROUNDS=3] [EPOCHS=3] [KS="1 2 4"] [WIRE=fp32] [TRANSPORTS="fast aspnetcore"]
# BASELINE_DLL=path/to/an/older/disttrain.dll adds that build (run with its own default
# transport) to every round, for old-against-new pairs. EXTRA_ARGS are added to every run of
# DistTrain, the baseline's too (e.g. EXTRA_ARGS="--dashboard off").
source "$(dirname "$0")/bench-common.sh"
rounds=${1:-3}
epochs=${2:-3}
ks=${3:-1 2 4}
wire=${4:-fp32}
transports=${5:-fast aspnetcore}
baseline=${BASELINE_DLL:-}
read -r -a extra <<<"${EXTRA_ARGS:-}"
prepare
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

systems=()
for t in $transports; do systems+=("$t"); done
[ -n "$baseline" ] && systems+=(baseline)

for k in $ks; do
  declare -A rates=()
  theirs=()
  for r in $(seq "$rounds"); do
    for s in "${systems[@]}"; do
      if [ "$s" = baseline ]; then
        dotnet "$baseline" run --workers "$k" "${extra[@]}" --data-dir "$data" --epochs "$epochs" --wire-precision "$wire" --out "$out/o" >"$out/log" 2>&1 ||
          { echo "baseline run failed:"; tail -20 "$out/log"; exit 1; }
      else
        dotnet "$dll" run --workers "$k" --transport "$s" "${extra[@]}" --data-dir "$data" --epochs "$epochs" --wire-precision "$wire" --out "$out/o" >"$out/log" 2>&1 ||
          { echo "disttrain run --transport $s failed:"; tail -20 "$out/log"; exit 1; }
      fi
      rates[$s]="${rates[$s]:-} $(ours_rate "$out/o")"
      printf 'K=%d round %d: disttrain %-10s %8.0f samples/s\n' "$k" "$r" "$s" "$(ours_rate "$out/o")"
    done
    if [ "$k" = 1 ]; then
      theirs+=("$(/usr/bin/python3 "$peer" "$data/mnist" --epochs "$epochs" --threads 1 | peer_rate)")
    else
      theirs+=("$(/usr/bin/python3 "$peer" "$data/mnist" --epochs "$epochs" --threads 1 --ddp "$k" | peer_rate)")
    fi
    printf 'K=%d round %d: pytorch %-10s %8.0f samples/s\n' "$k" "$r" "$([ "$k" = 1 ] && echo single || echo ddp)" "${theirs[-1]}"
  done
  t=$(printf '%s\n' "${theirs[@]}" | median)
  for s in "${systems[@]}"; do
    o=$(printf '%s\n' ${rates[$s]} | median)
    printf 'K=%d median over %d rounds: disttrain %-10s %8.0f samples/s, pytorch %8.0f, ratio %.2fx\n' "$k" "$rounds" "$s" "$o" "$t" "$(awk -v a="$o" -v b="$t" 'BEGIN{print a/b}')"
  done
  unset rates
done
