#!/usr/bin/env bash
# Training throughput of `disttrain train` against the PyTorch peer in one process, same data,
# network, batch and optimizer, run alternately, and the ratio of samples per second.
#   tests/DistTrain.Benchmarks/train-vs-pytorch.sh [ROUNDS=3] [EPOCHS=3]
# Two pairings: both sides free to use every core (PyTorch's OpenBLAS uses both), and both held
# to one core (per-core speed).
source "$(dirname "$0")/bench-common.sh"
rounds=${1:-3}
epochs=${2:-3}
prepare
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

for mode in all-cores one-core; do
  ours=(); theirs=()
  for r in $(seq "$rounds"); do
    if [ "$mode" = one-core ]; then
      dotnet "$dll" train --data-dir "$data" --epochs "$epochs" --threads 1 --out "$out/o" >/dev/null
      ours+=("$(ours_rate "$out/o")")
      theirs+=("$(OPENBLAS_NUM_THREADS=1 /usr/bin/python3 "$peer" "$data/mnist" --epochs "$epochs" --threads 1 | peer_rate)")
    else
      dotnet "$dll" train --data-dir "$data" --epochs "$epochs" --out "$out/o" >/dev/null
      ours+=("$(ours_rate "$out/o")")
      theirs+=("$(/usr/bin/python3 "$peer" "$data/mnist" --epochs "$epochs" --threads 1 | peer_rate)")
    fi
    printf '%-9s round %d: disttrain %8.0f samples/s   pytorch %8.0f samples/s\n' "$mode" "$r" "${ours[-1]}" "${theirs[-1]}"
  done
  o=$(printf '%s\n' "${ours[@]}" | median); t=$(printf '%s\n' "${theirs[@]}" | median)
  printf '%-9s median: disttrain %.0f, pytorch %.0f samples/s, ratio %.2fx\n' "$mode" "$o" "$t" "$(awk -v a="$o" -v b="$t" 'BEGIN{print a/b}')"
done
