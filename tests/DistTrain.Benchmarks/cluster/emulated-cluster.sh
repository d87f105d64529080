#!/usr/bin/env bash
# DistTrain and PyTorch DDP on an emulated cluster: one network namespace per process, rate-limited
# links through a bridge. See --help and docs/emulated-cluster.md.
set -euo pipefail
cluster_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# root, data, dll, peer, prepare (PyTorch peer, build, MNIST), ours_rate, peer_rate
source "$cluster_dir/../bench-common.sh"
source "$cluster_dir/topology.sh"

usage() {
  cat <<'EOF'
usage: emulated-cluster.sh [options]        (as root)

Builds an emulated cluster on this machine: the coordinator and each worker (and each parameter
server) in its own network namespace, joined by veth links to a bridge in a namespace of its own,
every link limited with tc tbf in both directions to the chosen rate. Addresses are in
10.250.16.0/24 and exist only inside those namespaces; the host's network is not touched.
On it, for every rate, K and precision, and every repetition, it runs DistTrain
(`disttrain coordinator` + K `disttrain worker`) and then PyTorch DDP (gloo, one rank per worker
namespace) with the same model, batch and epochs, and prints one markdown table: samples/s, bytes
each link carried per iteration, and the DistTrain/DDP ratio. Everything it made is removed at the
end, also on Ctrl-C or SIGTERM.

Options (lists are comma-separated):
  --rates LIST           link rates, e.g. 1gbit,10gbit,500mbit (mbit or gbit), or
                         unlimited (no qdisc: as fast as this machine moves packets) [1gbit,10gbit]
  --queue-ms N           queue of each direction of each link, in ms at its rate [10]
  --tcp-rmem-max BYTES   largest TCP receive buffer in every namespace (sysctl
                         net.ipv4.tcp_rmem), which bounds what each connection
                         has in flight: with shallow queues, many senders to one
                         receiver (incast) overflow them      [the host's setting]
  --congestion-control NAME  TCP congestion control in every namespace, e.g. cubic
                         (Linux's default) or bbr; it must be in the host's
                         net.ipv4.tcp_allowed_congestion_control  [the host's default]
  --sysctl 'KEY=VALUE ...'  more per-namespace net.* settings in every namespace,
                         e.g. 'net.ipv4.tcp_wmem=4096,65536,131072' (commas
                         stand for the spaces inside a value)            [none]
  --workers LIST         worker counts K, each 2..16                            [2,4]
  --precisions LIST      fp32 and/or bf16 (DistTrain's --wire-precision)        [fp32,bf16]
  --epochs N             epochs per run, 1..100; with more than one, the first
                         is warm-up and samples/s is the mean of the others      [3]
  --repetitions N        runs of each system per configuration, 1..50           [3]
  --batch-size N         global batch for both systems                          [128]
  --systems LIST         disttrain and/or ddp                                   [disttrain,ddp]
  --parameter-shards LIST  DistTrain variants to run, e.g. 1,2,4: P > 1 passes
                         --parameter-shards P to the coordinator and starts
                         P - 1 `disttrain parameter-server` processes            [1]
  --parameter-servers N|auto  parameter-server processes for P > 1, each in its
                         own namespace; auto = P - 1 (the coordinator owns one
                         slice; the coordinator waits for exactly P - 1)         [auto]
  --parameter-servers-on own|workers  own = each parameter server in a namespace
                         (and on a link) of its own; workers = parameter server
                         i in worker i's namespace, sharing its link (needs
                         P - 1 <= K)                                            [own]
  --coordinator-args S   extra arguments for `disttrain coordinator`
  --worker-args S        extra arguments for `disttrain worker`
  --parameter-server-args S  extra arguments for `disttrain parameter-server`
                         (S is split at spaces; {ip}, {index} and {coordinator}
                         are replaced by the process's address, its number and
                         the coordinator's URL)
  --worker-threads N     compute threads per DistTrain worker     [cores / K, at least 1, as `run`]
  --ddp-threads N        threads per DDP rank (also OPENBLAS_NUM_THREADS)       [1]
  --ddp-16bit MODE       bf16 rows: compress = DDP with its fp16 compression
                         hook (same bytes; gloo here cannot all-reduce bf16),
                         skip = no DDP run (compare with the fp32 DDP row)      [compress]
  --mtu N                MTU of every link, 576..65535                           [1500]
  --data-dir DIR         MNIST location, as for disttrain (DIR/mnist)           [repository data/]
  --disttrain PATH       the disttrain executable       [src/DistTrain.Cli/bin/Release/net10.0/disttrain]
  --no-build             do not build DistTrain or install the peer first
  --out DIR              results: runs.csv, links.csv, table.md, logs  [runs/emulated-cluster-TIME]
  --run-timeout SECONDS  a run that takes longer fails the script               [1800]
  --link-check-seconds N seconds of each iperf3 transfer in the link check, 0 = no check  [3]
  --check-links          only build the cluster and measure the links with iperf3
  --clean                remove leftovers of an earlier run (namespaces dtc-*), saying so,
                         and go on; without it the script refuses to start
  --cleanup-only         remove leftovers and exit
  -h, --help             this text

Examples:
  emulated-cluster.sh --check-links --rates 1gbit,10gbit --workers 4
  emulated-cluster.sh --rates 1gbit --workers 2 --precisions fp32 --epochs 1 --repetitions 1
  emulated-cluster.sh --parameter-shards 1,2,4 --parameter-server-args '--listen http://{ip}:50061'
EOF
}

die() { echo "emulated-cluster.sh: $*" >&2; exit 2; }
say() { echo "[$(date +%H:%M:%S)] $*" >&2; }

rates=1gbit,10gbit; ks=2,4; precisions=fp32,bf16; epochs=3; repetitions=3; batch=128
systems=disttrain,ddp; pshards=1; pservers=auto; ps_on=own; coordinator_args=""; worker_args=""; ps_args=""
worker_threads=""; ddp_threads=1; ddp16="compress"; mtu=1500; data_arg=""; disttrain=""; build=1
queue_ms=10; rmem_max=""; cc=""; sysctls=""; out=""; run_timeout=1800; check_seconds=3; check_only=0; clean=0; cleanup_only=0

valued="--rates --workers --precisions --epochs --repetitions --batch-size --systems --parameter-shards
  --parameter-servers --parameter-servers-on --coordinator-args --worker-args --parameter-server-args --worker-threads --ddp-threads
  --ddp-16bit --queue-ms --tcp-rmem-max --congestion-control --sysctl --mtu --data-dir --disttrain --out --run-timeout --link-check-seconds"
valued=$(tr '\n' ' ' <<<"$valued")
while [ $# -gt 0 ]; do
  opt=$1
  case $opt in
    -h|--help) usage; exit 0 ;;
    --no-build) build=0; shift; continue ;;
    --check-links) check_only=1; shift; continue ;;
    --clean) clean=1; shift; continue ;;
    --cleanup-only) cleanup_only=1; shift; continue ;;
    --*=*) val=${opt#*=}; opt=${opt%%=*}; shift ;;
    --*) val=${2-}; [ $# -ge 2 ] || val=$'\n'; shift $(( $# >= 2 ? 2 : 1 )) ;;
    *) die "unexpected argument '$opt' (see --help)" ;;
  esac
  [[ " $valued " == *" $opt "* ]] || die "unknown option '$opt' (see --help)"
  [ "$val" != $'\n' ] || die "$opt needs a value (see --help)"
  case $opt in
    --rates) rates=$val ;; --workers) ks=$val ;; --precisions) precisions=$val ;;
    --epochs) epochs=$val ;; --repetitions) repetitions=$val ;; --batch-size) batch=$val ;;
    --systems) systems=$val ;; --parameter-shards) pshards=$val ;; --parameter-servers) pservers=$val ;; --parameter-servers-on) ps_on=$val ;;
    --coordinator-args) coordinator_args=$val ;; --worker-args) worker_args=$val ;;
    --parameter-server-args) ps_args=$val ;; --worker-threads) worker_threads=$val ;;
    --ddp-threads) ddp_threads=$val ;; --ddp-16bit) ddp16=$val ;; --mtu) mtu=$val ;; --queue-ms) queue_ms=$val ;; --tcp-rmem-max) rmem_max=$val ;; --congestion-control) cc=$val ;; --sysctl) sysctls=$val ;;
    --data-dir) data_arg=$val ;; --disttrain) disttrain=$val ;; --out) out=$val ;;
    --run-timeout) run_timeout=$val ;; --link-check-seconds) check_seconds=$val ;;
    *) die "unknown option '$opt' (see --help)" ;;
  esac
done

# --- validation ---------------------------------------------------------------------------------
int_in() { # NAME VALUE MIN MAX
  [[ $2 =~ ^[0-9]+$ ]] || die "$1: '$2' is not a whole number"
  (( 10#$2 >= $3 && 10#$2 <= $4 )) || die "$1: $2 is outside $3..$4"
}
split() { tr ',' ' ' <<<"$1"; }
[ -n "$(split "$rates")" ] || die "--rates: empty list"
for r in $(split "$rates"); do
  [ "$r" != unlimited ] || continue
  [[ $r =~ ^[0-9]+(\.[0-9]+)?(mbit|gbit)$ ]] || die "--rates: '$r' is not a rate like 500mbit or 1gbit"
  b=$(ec_rate_bits "$r")
  (( b >= 1000000 && b <= 100000000000 )) || die "--rates: $r is outside 1mbit..100gbit"
done
[ -n "$(split "$ks")" ] || die "--workers: empty list"
for k in $(split "$ks"); do int_in "--workers" "$k" 2 16; done
for p in $(split "$precisions"); do [[ $p == fp32 || $p == bf16 ]] || die "--precisions: '$p' is neither fp32 nor bf16"; done
[ -n "$(split "$precisions")" ] || die "--precisions: empty list"
for s in $(split "$systems"); do [[ $s == disttrain || $s == ddp ]] || die "--systems: '$s' is neither disttrain nor ddp"; done
[ -n "$(split "$systems")" ] || die "--systems: empty list"
int_in --epochs "$epochs" 1 100
int_in --repetitions "$repetitions" 1 50
int_in --batch-size "$batch" 2 60000
for p in $(split "$pshards"); do int_in --parameter-shards "$p" 1 16; done
[ -n "$(split "$pshards")" ] || die "--parameter-shards: empty list"
[ "$pservers" = auto ] || int_in --parameter-servers "$pservers" 0 16
[[ $ps_on == own || $ps_on == workers ]] || die "--parameter-servers-on: '$ps_on' is neither own nor workers"
[ -z "$worker_threads" ] || int_in --worker-threads "$worker_threads" 1 256
int_in --ddp-threads "$ddp_threads" 1 256
[[ $ddp16 == compress || $ddp16 == skip ]] || die "--ddp-16bit: '$ddp16' is neither compress nor skip"
int_in --mtu "$mtu" 576 65535
[ -z "$rmem_max" ] || int_in --tcp-rmem-max "$rmem_max" 8192 1073741824
for kv in $sysctls; do
  [[ $kv =~ ^net\.[a-z0-9_.]+=[0-9a-z_,]+$ ]] || die "--sysctl: '$kv' is not KEY=VALUE with a net.* key"
done
if [ -n "$cc" ]; then
  [[ $cc =~ ^[a-z0-9_]+$ ]] || die "--congestion-control: '$cc' is not an algorithm's name"
  [[ " $(cat /proc/sys/net/ipv4/tcp_allowed_congestion_control) " == *" $cc "* ]] ||
    die "--congestion-control $cc: not in net.ipv4.tcp_allowed_congestion_control ($(cat /proc/sys/net/ipv4/tcp_allowed_congestion_control)); allow it on the host first, e.g. sysctl -w net.ipv4.tcp_allowed_congestion_control=\"$(cat /proc/sys/net/ipv4/tcp_allowed_congestion_control) $cc\""
fi
int_in --queue-ms "$queue_ms" 1 1000
int_in --run-timeout "$run_timeout" 10 86400
int_in --link-check-seconds "$check_seconds" 0 60
(( check_only == 0 || check_seconds > 0 )) || die "--check-links with --link-check-seconds 0 measures nothing"
for k in $(split "$ks"); do
  (( batch >= k )) || die "--batch-size: $batch is smaller than K = $k (a shard per worker)"
done
servers_for() { if [ "$pservers" = auto ]; then echo $(( $1 - 1 )); elif (( $1 > 1 )); then echo "$pservers"; else echo 0; fi; }
# The coordinator waits for exactly P - 1 parameter servers (workers host no slice): another count would never start.
for p in $(split "$pshards"); do
  (( p > 1 )) && [ "$(servers_for "$p")" != $(( p - 1 )) ] &&
    die "--parameter-servers $pservers: --parameter-shards $p needs $(( p - 1 )) parameter servers (the coordinator owns the other slice); use auto"
done

if [ "$ps_on" = workers ]; then
  for p in $(split "$pshards"); do for k in $(split "$ks"); do
    (( $(servers_for "$p") <= k )) || die "--parameter-servers-on workers: P = $p needs $(( p - 1 )) parameter servers, more than K = $k workers to host them"
  done; done
fi
[ "$(id -u)" = 0 ] || die "run as root: it creates network namespaces, veth links and qdiscs"
for tool in ip tc flock awk; do command -v "$tool" >/dev/null || die "'$tool' is missing (iproute2, util-linux)"; done

# --- one run at a time, and no leftovers ---------------------------------------------------------
lock=/run/disttrain-emulated-cluster.lock
exec 9>>"$lock"
flock -n 9 || die "another emulated-cluster.sh is running (it holds $lock)"
trap 'rm -f "$lock"' EXIT
left=$(ec_leftovers)
if [ -n "$left" ]; then
  if (( clean || cleanup_only )); then
    say "removing leftovers of an earlier run: $(tr "\n" " " <<<"$left")"
    ec_destroy
  else
    die "leftovers of an earlier run exist (namespaces: $(tr "\n" " " <<<"$left")); remove them with --cleanup-only, or pass --clean"
  fi
fi
if (( cleanup_only )); then say "nothing of an emulated cluster is left"; exit 0; fi

started=()   # every process this script started, by id
cleanup() {
  local rc=$? pid
  trap - EXIT INT TERM
  set +e
  for pid in "${started[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for _ in $(seq 20); do
    local alive=0
    for pid in "${started[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    (( alive )) || break
    sleep 0.25
  done
  for pid in "${started[@]}"; do kill -KILL "$pid" 2>/dev/null; done
  ec_destroy
  rm -f "$lock"
  left=$(ec_leftovers)
  if [ -n "$left" ]; then echo "emulated-cluster.sh: could not remove namespaces: $left" >&2; rc=1; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'say "interrupted; cleaning up"; exit 130' INT
trap 'say "terminated; cleaning up"; exit 143' TERM

# --- what the runs need --------------------------------------------------------------------------
[ -z "$data_arg" ] || data=$(cd "$data_arg" 2>/dev/null && pwd) || die "--data-dir: '$data_arg' is not a folder"
needs_run=$(( check_only == 0 ))
if (( needs_run )); then
  if (( build )); then prepare; fi
  disttrain=${disttrain:-$root/src/DistTrain.Cli/bin/Release/net10.0/disttrain}
  [ -x "$disttrain" ] || die "--disttrain: '$disttrain' is not an executable (build it, or drop --no-build)"
  for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
    [ -f "$data/mnist/$f" ] || die "--data-dir: $data/mnist/$f is missing (disttrain fetch-data --data-dir $data)"
  done
  if [[ ,$systems, == *,ddp,* ]]; then
    /usr/bin/python3 -c 'import torch' 2>/dev/null || die "the DDP peer needs /usr/bin/python3 with torch (apt-get install python3-torch libopenblas0-pthread)"
  fi
fi
if (( check_seconds > 0 )) && ! command -v iperf3 >/dev/null; then
  say "installing iperf3 for the link check"
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq iperf3 >/dev/null ||
    die "iperf3 is missing and could not be installed; pass --link-check-seconds 0 to skip the link check"
fi

out=${out:-$root/runs/emulated-cluster-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out/logs"
out=$(cd "$out" && pwd)
if [ -e "$out/runs.csv" ] || [ -e "$out/links.csv" ]; then die "--out: $out already holds results; choose another folder"; fi
say "results in $out"
if (( needs_run )); then
  echo "rate,k,precision,system,label,rep,samples_per_s,iterations,coord_out,coord_in,worker_out,worker_in,ps_out,ps_in,test_acc,batch" >"$out/runs.csv"
fi
if (( check_seconds > 0 )); then echo "rate,path,seconds,bits_per_second,retransmits" >"$out/links.csv"; fi

load=$(cut -d' ' -f1 /proc/loadavg)
awk -v l="$load" 'BEGIN { exit !(l >= 1.5) }' && say "warning: load average $load; the machine is busy, figures will be noisy"

# --- helpers -------------------------------------------------------------------------------------
start_in() { # ROLE LOG COMMAND...: start COMMAND in ROLE's namespace; sets $last_pid
  local role=$1 log=$2; shift 2
  ip netns exec "$(ec_ns "$role")" "$@" </dev/null >"$log" 2>&1 &
  last_pid=$!
  started+=("$last_pid")
}

in_namespace() { # PID ROLE: check that the process runs in ROLE's namespace (if it still runs)
  local ns=""
  for _ in $(seq 20); do
    kill -0 "$1" 2>/dev/null || return 0
    ns=$(ip netns identify "$1" 2>/dev/null) || return 0
    [ -z "$ns" ] || break
    sleep 0.5   # `ip netns exec` has not entered the namespace yet (a busy machine)
  done
  [ "$ns" = "$(ec_ns "$2")" ] || die "process $1 runs in namespace '${ns:-of the host}', not $(ec_ns "$2")"
}

wait_for() { # PID SECONDS: exit code of PID, or 124 if it runs longer than SECONDS
  local pid=$1 deadline=$(( SECONDS + $2 ))
  while kill -0 "$pid" 2>/dev/null; do
    (( SECONDS < deadline )) || return 124
    sleep 0.2
  done
  local rc=0; wait "$pid" || rc=$?
  return "$rc"
}

expand() { # TEMPLATE ROLE INDEX: words of TEMPLATE with {ip} {index} {coordinator} replaced, one per line
  local w words
  read -ra words <<<"$1"
  for w in "${words[@]}"; do
    w=${w//\{ip\}/$(ec_ip "$2")}; w=${w//\{index\}/$3}; w=${w//\{coordinator\}/$coord_url}
    printf '%s\n' "$w"
  done
}

declare -A before
snapshot() { local r o i; while read -r r o i; do before[$r.out]=$o; before[$r.in]=$i; done < <(ec_counters); }
# traffic ROLES...: "out in" bytes since snapshot, as sums over ROLES, and the count
traffic() {
  local r o i so=0 si=0 n=0 want=" $* "
  while read -r r o i; do
    [[ $want == *" $r "* ]] || continue
    so=$(( so + o - ${before[$r.out]} )); si=$(( si + i - ${before[$r.in]} )); n=$(( n + 1 ))
  done < <(ec_counters)
  echo "$so $si $n"
}
mean_traffic() { # ROLES...: "out in" means over ROLES (empty when none)
  [ $# -gt 0 ] || { echo ","; return; }
  local so si n; read -r so si n < <(traffic "$@")
  echo "$(( so / n )),$(( si / n ))"
}

show_log() { echo "--- last lines of $1:" >&2; tail -n 25 "$1" >&2; }

if (( needs_run )); then  # training images, for the peer's iterations per epoch
  train_count=$(/usr/bin/python3 -c 'import struct,sys; print(struct.unpack(">I", open(sys.argv[1],"rb").read(8)[4:8])[0])' "$data/mnist/train-labels-idx1-ubyte")
fi

listening() { # ROLE PORT: wait until a TCP port listens in ROLE's namespace
  for _ in $(seq 50); do
    ip netns exec "$(ec_ns "$1")" ss -Hltn "sport = :$2" | grep -q . && return 0
    sleep 0.2
  done
  die "nothing listens on port $2 in $(ec_ns "$1") after 10 s"
}

# --- link check ----------------------------------------------------------------------------------
iperf() { # RATE LABEL SERVER_ROLE CLIENT_ROLE PORT [-R]: one transfer; appends to links.csv
  local rate=$1 label=$2 srole=$3 crole=$4 port=$5 rev=${6:-} spid json
  start_in "$srole" "$out/logs/iperf-server-$srole-$port.log" iperf3 -s -1 -p "$port"
  spid=$last_pid
  listening "$srole" "$port"
  json=$out/logs/iperf-$rate-$crole-$srole-$port.json
  ip netns exec "$(ec_ns "$crole")" iperf3 -c "$(ec_ip "$srole")" -p "$port" -t "$check_seconds" ${rev:+"$rev"} -J >"$json" ||
    { show_log "$json"; die "iperf3 $label failed"; }
  wait_for "$spid" 10 || true
  /usr/bin/python3 - "$json" "$rate" "$label" "$check_seconds" >>"$out/links.csv" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))['end']
print(f"{sys.argv[2]},{sys.argv[3]},{sys.argv[4]},{d['sum_received']['bits_per_second']:.0f},{d['sum_sent'].get('retransmits', '')}")
PY
}

link_check() { # RATE WORKERS SERVERS
  local rate=$1 n=$2 servers=$3 i pid pids=() shown=3
  say "link check at $rate: iperf3 for ${check_seconds}s per path"
  iperf "$rate" "worker1 -> coordinator" coordinator worker1 5201
  iperf "$rate" "coordinator -> worker1" coordinator worker1 5201 -R
  if (( servers > 0 )); then iperf "$rate" "worker1 -> ps1" ps1 worker1 5201; shown=4; fi
  # All workers send to the coordinator at once: they share its link. The clients start one after
  # the other, so the sum of their own averages would overstate the rate; the coordinator port's
  # byte counter over a window in which all of them send gives what the link carried.
  for i in $(seq 1 "$n"); do start_in coordinator "$out/logs/iperf-server-fanin-$i.log" iperf3 -s -1 -p $((5300 + i)); pids+=("$last_pid"); done
  for i in $(seq 1 "$n"); do listening coordinator $((5300 + i)); done
  for i in $(seq 1 "$n"); do
    start_in "worker$i" "$out/logs/iperf-$rate-fanin-$i.json" iperf3 -c "$(ec_ip coordinator)" -p $((5300 + i)) -t $(( check_seconds + 3 )) -J
    pids+=("$last_pid")
  done
  local b0 b1 t0 t1 rt
  sleep 1
  read -r t0 b0 < <(ec_received_at coordinator)
  sleep "$check_seconds"
  read -r t1 b1 < <(ec_received_at coordinator)
  for pid in "${pids[@]}"; do wait_for "$pid" $(( check_seconds + 30 )) || die "iperf3 fan-in at $rate failed (logs in $out/logs)"; done
  rt=$(/usr/bin/python3 -c 'import json,sys; print(sum(json.load(open(f))["end"]["sum_sent"].get("retransmits", 0) for f in sys.argv[1:]))' "$out"/logs/iperf-"$rate"-fanin-*.json)
  awk -v r="$rate" -v n="$n" -v b0="$b0" -v b1="$b1" -v t0="$t0" -v t1="$t1" -v rt="$rt" \
    'BEGIN { printf "%s,%d workers -> coordinator at once (link counter; wire bytes),%.2f,%.0f,%s\n", r, n, t1 - t0, (b1 - b0) * 8 / (t1 - t0), rt }' >>"$out/links.csv"
  tail -n "$shown" "$out/links.csv" | awk -F, '{ printf "  %-45s %7.3f Gbit/s  retransmits %s\n", $2, $4 / 1e9, $5 }' >&2
}

# --- the two systems -----------------------------------------------------------------------------
coord_url="http://$(ec_ip coordinator):50051"

run_disttrain() { # RATE K PRECISION P REP
  local rate=$1 k=$2 prec=$3 p=$4 rep=$5 name dir threads nps label cpid pid rc i args=() wroles=() proles=()
  name=$rate-k$k-$prec-p$p-r$rep; dir=$out/disttrain/$name; mkdir -p "$dir"
  threads=${worker_threads:-$(( $(nproc) / k > 0 ? $(nproc) / k : 1 ))}
  nps=$(servers_for "$p")
  label=DistTrain; (( p > 1 )) && label="DistTrain P=$p"
  (( p > 1 )) && [ "$ps_on" = workers ] && label="$label on workers"
  snapshot
  mapfile -t args < <(expand "$coordinator_args" coordinator 0)
  (( p > 1 )) && args=(--parameter-shards "$p" "${args[@]}")
  start_in coordinator "$dir/coordinator.log" "$disttrain" coordinator --listen "$coord_url" --min-workers "$k" \
    --data-dir "$data" --epochs "$epochs" --batch-size "$batch" --wire-precision "$prec" --out "$dir" "${args[@]}"
  cpid=$last_pid
  local others=()
  local role
  for i in $(seq 1 "$nps"); do
    role=ps$i; [ "$ps_on" = workers ] && role=worker$i
    mapfile -t args < <(expand "$ps_args" "$role" "$i")
    start_in "$role" "$dir/ps$i.log" "$disttrain" parameter-server --coordinator "$coord_url" "${args[@]}"
    others+=("$last_pid"); [ "$ps_on" = workers ] || proles+=("$role")
  done
  for i in $(seq 1 "$k"); do
    mapfile -t args < <(expand "$worker_args" "worker$i" "$i")
    start_in "worker$i" "$dir/worker$i.log" "$disttrain" worker --coordinator "$coord_url" --name "worker-$i" --threads "$threads" "${args[@]}"
    others+=("$last_pid"); wroles+=("worker$i")
  done
  sleep 1
  in_namespace "$cpid" coordinator
  for i in $(seq 1 "$k"); do in_namespace "${others[$(( nps + i - 1 ))]}" "worker$i"; done
  rc=0; wait_for "$cpid" "$run_timeout" || rc=$?
  if (( rc == 124 )); then show_log "$dir/coordinator.log"; die "DistTrain $name took longer than --run-timeout $run_timeout s"; fi
  if (( rc != 0 )); then show_log "$dir/coordinator.log"; die "DistTrain coordinator of $name exited with $rc"; fi
  for pid in "${others[@]}"; do
    rc=0; wait_for "$pid" 30 || rc=$?
    if (( rc == 124 )); then say "warning: a worker or parameter server of $name did not exit 30 s after the coordinator; stopping it"; kill -TERM "$pid" 2>/dev/null || true; wait_for "$pid" 10 || true
    elif (( rc != 0 )); then say "warning: a worker or parameter server of $name exited with $rc (logs in $dir)"; fi
  done
  local rate_sps iters acc coord w ps
  rate_sps=$(ours_rate "$dir")
  iters=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["iterations"])' "$dir/summary.json")
  acc=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["final_test_accuracy"])' "$dir/summary.json")
  coord=$(mean_traffic coordinator); w=$(mean_traffic "${wroles[@]}"); ps=$(mean_traffic "${proles[@]}")
  echo "$rate,$k,$prec,disttrain,$label,$rep,$rate_sps,$iters,$coord,$w,$ps,$acc,$batch" >>"$out/runs.csv"
  report_line "$label" "$rate_sps" "$iters" "$coord" "$w"
}

run_ddp() { # RATE K PRECISION REP
  local rate=$1 k=$2 prec=$3 rep=$4 name dir r pids=() compress=() label=DDP wroles=() pid rc
  if [ "$prec" = bf16 ]; then
    [ "$ddp16" = skip ] && return 0
    compress=(--compress fp16); label="DDP fp16 hook"
  fi
  name=$rate-k$k-$prec-r$rep; dir=$out/ddp/$name; mkdir -p "$dir"
  snapshot
  for r in $(seq 0 $(( k - 1 ))); do
    start_in "worker$(( r + 1 ))" "$dir/rank$r.log" env MASTER_ADDR="$(ec_ip worker1)" MASTER_PORT=29500 GLOO_SOCKET_IFNAME=eth0 \
      OPENBLAS_NUM_THREADS="$ddp_threads" OMP_NUM_THREADS="$ddp_threads" \
      /usr/bin/python3 "$cluster_dir/ddp_rank.py" "$r" "${compress[@]}" "$peer" "$data/mnist" \
      --epochs "$epochs" --batch "$batch" --threads "$ddp_threads" --ddp "$k"
    pids+=("$last_pid"); wroles+=("worker$(( r + 1 ))")
  done
  sleep 1
  for r in $(seq 0 $(( k - 1 ))); do in_namespace "${pids[$r]}" "worker$(( r + 1 ))"; done
  for r in $(seq 0 $(( k - 1 ))); do
    # Rank 0 prints the figures; the others get a minute more to leave (gloo's teardown has been
    # seen to spin forever in one rank after the others had gone).
    rc=0; wait_for "${pids[$r]}" "$(( r == 0 ? run_timeout : 60 ))" || rc=$?
    if (( rc == 124 && r > 0 )); then
      kill "${pids[$r]}" 2>/dev/null; say "warning: DDP $name rank $r was still running 60 s after rank 0 ended; stopped it"; continue
    fi
    if (( rc != 0 )); then show_log "$dir/rank$r.log"; die "DDP $name rank $r $([ $rc = 124 ] && echo "took longer than --run-timeout $run_timeout s" || echo "exited with $rc")"; fi
  done
  local rate_sps iters acc coord w
  grep -q '^{' "$dir/rank0.log" || { show_log "$dir/rank0.log"; die "DDP $name printed no epoch line"; }
  rate_sps=$(peer_rate <"$dir/rank0.log")
  iters=$(( epochs * (train_count / batch) ))
  acc=$(grep '^{' "$dir/rank0.log" | tail -n 1 | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["test_acc"])')
  # DDP has no coordinator: its link is idle (a few bytes of ARP at most) and left empty
  w=$(mean_traffic "${wroles[@]}")
  echo "$rate,$k,$prec,ddp,$label,$rep,$rate_sps,$iters,,,$w,,,$acc,$batch" >>"$out/runs.csv"
  report_line "$label" "$rate_sps" "$iters" "" "$w"
}

report_line() { # LABEL SAMPLES_PER_S ITERATIONS COORD_OUT,COORD_IN WORKER_OUT,WORKER_IN
  awk -v l="$1" -v s="$2" -v n="$3" -v c="$4" -v w="$5" -v load="$(cut -d' ' -f1 /proc/loadavg)" 'BEGIN {
    split(c, a, ","); split(w, b, ",")
    co = c == "" ? "coordinator link idle" : sprintf("coordinator link out %.2f in %.2f", a[1] / n / 1e6, a[2] / n / 1e6)
    printf "  %-16s %9.0f samples/s   MB/iteration: %s, worker link out %.2f in %.2f   (load %s)\n",
      l, s, co, b[1] / n / 1e6, b[2] / n / 1e6, load }' >&2
}

# --- the measurement -----------------------------------------------------------------------------
max_k=0; for k in $(split "$ks"); do (( k > max_k )) && max_k=$k; done
max_ps=0; for p in $(split "$pshards"); do s=$(servers_for "$p"); (( s > max_ps )) && max_ps=$s; done
[ "$ps_on" = own ] || max_ps=0
say "building the cluster: coordinator, $max_k workers, $max_ps parameter servers (namespaces $ec_prefix-*, bridge in $ec_switch)"
ec_create "$max_k" "$max_ps" "$mtu" "$rmem_max" "$cc" "$sysctls"

for rate in $(split "$rates"); do
  ec_shape "$rate" "$queue_ms"
  if [ "$rate" = unlimited ]; then say "links not limited"; else say "links limited to $rate in both directions, queues of $queue_ms ms"; fi
  if (( check_seconds > 0 )); then link_check "$rate" "$max_k" "$max_ps"; fi
  if (( check_only )); then continue; fi
  for k in $(split "$ks"); do
    for prec in $(split "$precisions"); do
      for rep in $(seq 1 "$repetitions"); do
        say "$rate, K = $k, $prec, repetition $rep of $repetitions"
        for sys in $(split "$systems"); do
          if [ "$sys" = disttrain ]; then
            for p in $(split "$pshards"); do run_disttrain "$rate" "$k" "$prec" "$p" "$rep"; done
          else
            run_ddp "$rate" "$k" "$prec" "$rep"
          fi
        done
      done
    done
  done
done

{
  echo "# Emulated cluster, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "$(nproc) cores; $(uname -r); epochs $epochs (samples/s: mean of the epochs after the first when there are more), batch $batch, repetitions $repetitions, link queues $queue_ms ms, MTU $mtu${rmem_max:+, TCP receive buffers at most $rmem_max bytes}, TCP congestion control ${cc:-$(cat /proc/sys/net/ipv4/tcp_congestion_control)}${sysctls:+, $sysctls}; DistTrain workers with ${worker_threads:-cores/K} threads, DDP ranks with $ddp_threads."
  echo
  /usr/bin/python3 "$cluster_dir/report.py" "$out"
} >"$out/table.md"
cat "$out/table.md"
say "results, logs and table.md in $out"
