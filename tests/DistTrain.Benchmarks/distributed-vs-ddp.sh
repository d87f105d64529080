#!/usr/bin/env bash
# `disttrain run --workers K` against PyTorch DistributedDataParallel (gloo, K processes, one
# thread each) with the same global batch and epochs, alternately, for K = 1, 2, 4; prints
# samples per second and the ratio, and the PyTorch single-process figure for the stretch goal.
#   tests/DistTrain.Benchmarks/distributed-vs-ddp.sh [ROUNDS=3] [EPOCHS=3] [KS="1 2 4"] [WIRE=fp32]
source "$(dirname "$0")/bench-common.sh"
rounds=${1:-3}
epochs=${2:-3}
ks=${3:-1 2 4}
wire=${4:-fp32}
prepare
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

single=()
for k in $ks; do
  ours=(); theirs=()
  for r in $(seq "$rounds"); do
    dotnet "$dll" run --workers "$k" --data-dir "$data" --epochs "$epochs" --wire-precision "$wire" --out "$out/o" >"$out/log" 2>&1 ||
      { echo "disttrain run failed:"; tail -20 "$out/log"; exit 1; }
    ours+=("$(ours_rate "$out/o")")
    if [ "$k" = 1 ]; then
      theirs+=("$(/usr/bin/python3 "$peer" "$data/mnist" --epochs "$epochs" --threads 1 | peer_rate)")
      single+=("${theirs[-1]}")
    else
      theirs+=("$(/usr/bin/python3 "$peer" "$data/mnist" --epochs "$epochs" --threads 1 --ddp "$k" | peer_rate)")
    fi
    printf 'K=%d round %d: disttrain run %8.0f samples/s   pytorch %s %8.0f samples/s\n' "$k" "$r" "${ours[-1]}" "$([ "$k" = 1 ] && echo single || echo "ddp")" "${theirs[-1]}"
  done
  o=$(printf '%s\n' "${ours[@]}" | median); t=$(printf '%s\n' "${theirs[@]}" | median)
  printf 'K=%d median: disttrain %.0f, pytorch %.0f samples/s, ratio %.2fx\n' "$k" "$o" "$t" "$(awk -v a="$o" -v b="$t" 'BEGIN{print a/b}')"
done
