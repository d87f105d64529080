#!/usr/bin/env bash
# Does speculation earn its place? A coordinator and two workers on loopback, speculation on and
# off in alternating pairs, in a healthy run and in one where a worker is slowed by SLOW_MS per
# shard (the reliability tests' fault injection). Prints samples/s and the shards speculated.
#   tests/DistTrain.Benchmarks/speculation.sh [ROUNDS=3] [EPOCHS=3] [SLOW_MS=2] [TRANSPORT=fast]
source "$(dirname "$0")/bench-common.sh"
rounds=${1:-3}
epochs=${2:-3}
slow=${3:-2}
transport=${4:-fast}
prepare
out=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$out"; }
trap cleanup EXIT

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# one run: $1 scenario (healthy|slowed), $2 speculate (true|false); prints "rate speculated"
one() {
  local port address
  port=$(free_port); address="http://127.0.0.1:$port"
  rm -rf "$out/o"
  dotnet "$dll" coordinator --listen "$address" --transport "$transport" --min-workers 2 --data-dir "$data" --epochs "$epochs" \
    --speculate "$2" --dashboard off --out "$out/o" >"$out/coordinator.log" 2>&1 &
  local coordinator=$!
  pids=("$coordinator")
  dotnet "$dll" worker --coordinator "$address" --transport "$transport" --name steady --threads 1 --retry-seconds 0.2 >"$out/w1.log" 2>&1 &
  pids+=("$!")
  if [ "$1" = slowed ]; then
    DISTTRAIN_TEST_FAULT="slow-ms=$slow" dotnet "$dll" worker --coordinator "$address" --transport "$transport" --name slowed --threads 1 --retry-seconds 0.2 >"$out/w2.log" 2>&1 &
  else
    dotnet "$dll" worker --coordinator "$address" --transport "$transport" --name other --threads 1 --retry-seconds 0.2 >"$out/w2.log" 2>&1 &
  fi
  pids+=("$!")
  wait "$coordinator" || { echo "coordinator failed:"; tail -20 "$out/coordinator.log"; exit 1; }
  wait "${pids[@]:1}" 2>/dev/null || true
  local speculated
  speculated=$(grep -o '; [0-9]* speculated' "$out/coordinator.log" | awk '{s+=$2} END {print s+0}')
  echo "$(ours_rate "$out/o") $speculated"
}

for scenario in healthy slowed; do
  declare -A rates=() counts=()
  for r in $(seq "$rounds"); do
    # Alternate which goes first, so drift does not favour one side.
    order=(true false); [ $((r % 2)) = 0 ] && order=(false true)
    for spec in "${order[@]}"; do
      read -r rate count < <(one "$scenario" "$spec")
      rates[$spec]="${rates[$spec]:-} $rate"; counts[$spec]="${counts[$spec]:-} $count"
      printf '%-8s round %d speculate=%-5s %8.0f samples/s, %s shards speculated\n' "$scenario" "$r" "$spec" "$rate" "$count"
    done
  done
  for spec in true false; do
    printf '%-8s median speculate=%-5s %8.0f samples/s, median %s shards speculated (%d rounds, %d epochs)\n' "$scenario" "$spec" \
      "$(printf '%s\n' ${rates[$spec]} | median)" "$(printf '%s\n' ${counts[$spec]} | median)" "$rounds" "$epochs"
  done
  unset rates counts
done
