# shellcheck shell=bash
# The emulated cluster's network, sourced by emulated-cluster.sh (run as root).
#
# One network namespace per process role, all named with the prefix "dtc-":
#   dtc-switch        a Linux bridge "br0"; the switch-side end of every link, named after its role
#   dtc-coordinator   eth0 10.250.16.1
#   dtc-worker<i>     eth0 10.250.16.(10+i)         i = 1..16
#   dtc-ps<j>         eth0 10.250.16.(100+j)        j = 1..16 (parameter servers)
# The root namespace is not touched: the veth pairs are created inside the namespaces, the
# addresses exist only there, and no namespace has a route out. Deleting the namespaces removes
# every veth, the bridge and every qdisc with them.
#
# Rate limit: a link is a veth pair (role eth0 <-> switch port). Each direction is shaped by a tbf
# on the egress of the end it leaves: eth0's root qdisc limits what the role sends, the switch
# port's root qdisc limits what it receives. So both directions are limited without ifb.
# (This kernel has no netem: no added latency or loss.)
set -euo pipefail

ec_prefix=dtc
ec_switch=$ec_prefix-switch
ec_subnet=10.250.16

ec_ns() { echo "$ec_prefix-$1"; }

# ec_ip ROLE: the role's address (coordinator, worker<i>, ps<j>)
ec_ip() {
  case $1 in
    coordinator) echo "$ec_subnet.1" ;;
    worker*) echo "$ec_subnet.$((10 + ${1#worker}))" ;;
    ps*) echo "$ec_subnet.$((100 + ${1#ps}))" ;;
    *) echo "ec_ip: unknown role '$1'" >&2; return 1 ;;
  esac
}

# Namespaces with our prefix that exist now (leftovers of a run that did not clean up).
ec_leftovers() { ip netns list | awk '{print $1}' | grep -E "^$ec_prefix-" || true; }

# ec_roles: the roles of the cluster built last (one per line)
ec_roles() { printf '%s\n' "${ec_role_list[@]}"; }
ec_role_list=()

# ec_create WORKERS SERVERS MTU [RMEM_MAX [CC [SYSCTLS]]]: the switch, a coordinator, WORKERS workers,
# SERVERS parameter servers; RMEM_MAX, when given, caps every role's TCP receive buffer, CC sets its
# TCP congestion control, and SYSCTLS ('KEY=VALUE ...') sets more (all per namespace)
ec_create() {
  local workers=$1 servers=$2 mtu=$3 rmem_max=${4:-} cc=${5:-} sysctls=${6:-} role ns kv
  ec_role_list=(coordinator)
  for i in $(seq 1 "$workers"); do ec_role_list+=("worker$i"); done
  for j in $(seq 1 "$servers"); do ec_role_list+=("ps$j"); done

  ip netns add "$ec_switch"
  ip netns exec "$ec_switch" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip -n "$ec_switch" link set lo up
  ip -n "$ec_switch" link add br0 type bridge stp_state 0 forward_delay 0
  ip -n "$ec_switch" link set br0 mtu "$mtu" up
  for role in "${ec_role_list[@]}"; do
    ns=$(ec_ns "$role")
    ip netns add "$ns"
    # No IPv6: its neighbour discovery would add bytes to the counters.
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    if [ -n "$rmem_max" ]; then
      ip netns exec "$ns" sysctl -qw net.ipv4.tcp_rmem="4096 $(( rmem_max < 131072 ? rmem_max / 2 : 65536 )) $rmem_max"
    fi
    [ -z "$cc" ] || ip netns exec "$ns" sysctl -qw net.ipv4.tcp_congestion_control="$cc"
    for kv in $sysctls; do ip netns exec "$ns" sysctl -qw "${kv//,/ }"; done
    ip -n "$ns" link set lo up
    ip -n "$ec_switch" link add "$role" mtu "$mtu" type veth peer name eth0 mtu "$mtu" netns "$ns"
    ip -n "$ec_switch" link set "$role" master br0 up
    ip -n "$ns" addr add "$(ec_ip "$role")/24" dev eth0
    ip -n "$ns" link set eth0 up
  done
}

# ec_shape RATE QUEUE_MS: tbf on both ends of every link (RATE as tc writes it, e.g. 1gbit; or
# "unlimited": no qdisc, the links run as fast as the machine moves packets).
# burst: 1 ms at the rate, at least 128 KiB (smaller bursts made TCP retransmit at 1 gbit/s here);
# queue: QUEUE_MS at the rate, per direction of each link (a switch port's buffer).
ec_shape() {
  local rate=$1 queue_ms=$2 bits burst role
  if [ "$rate" = unlimited ]; then
    for role in "${ec_role_list[@]}"; do
      tc -n "$ec_switch" qdisc del dev "$role" root 2>/dev/null || true
      tc -n "$(ec_ns "$role")" qdisc del dev eth0 root 2>/dev/null || true
    done
    return 0
  fi
  bits=$(ec_rate_bits "$rate")
  burst=$(( bits / 8 / 1000 ))
  (( burst < 131072 )) && burst=131072
  for role in "${ec_role_list[@]}"; do
    tc -n "$ec_switch" qdisc replace dev "$role" root tbf rate "$rate" burst "$burst" latency "${queue_ms}ms"
    tc -n "$(ec_ns "$role")" qdisc replace dev eth0 root tbf rate "$rate" burst "$burst" latency "${queue_ms}ms"
  done
}

# ec_rate_bits RATE: bits per second of 500mbit, 1gbit, 2.5gbit, ...
ec_rate_bits() {
  awk -v r="$1" 'BEGIN {
    if (match(r, /^[0-9]+(\.[0-9]+)?/) == 0) exit 1
    n = substr(r, 1, RLENGTH); u = substr(r, RLENGTH + 1)
    if (u == "mbit") f = 1e6; else if (u == "gbit") f = 1e9; else exit 1
    printf "%.0f\n", n * f }'
}

# ec_counters: one line per link, "ROLE OUT_BYTES IN_BYTES" from the role's point of view
# (the switch port's rx is what the role sent, its tx what the role received).
ec_counters() {
  local role
  for role in "${ec_role_list[@]}"; do
    ip netns exec "$ec_switch" sh -c "echo $role \$(cat /sys/class/net/$role/statistics/rx_bytes) \$(cat /sys/class/net/$role/statistics/tx_bytes)"
  done
}

# ec_received_at ROLE: "SECONDS BYTES": the bytes ROLE has received over its link, and when (the
# midpoint of the read, in seconds since the epoch)
ec_received_at() {
  local t0 bytes t1
  t0=$(date +%s.%N)
  bytes=$(ip netns exec "$ec_switch" cat "/sys/class/net/$1/statistics/tx_bytes")
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" -v n="$bytes" 'BEGIN { printf "%.6f %s\n", (a + b) / 2, n }'
}

# ec_destroy: end what still runs in our namespaces, then delete them (with them every veth,
# the bridge and the qdiscs). Safe to call twice and on a half-built cluster.
ec_destroy() {
  local ns pids
  for ns in $(ec_leftovers); do
    pids=$(ip netns pids "$ns" 2>/dev/null || true)
    if [ -n "$pids" ]; then
      # shellcheck disable=SC2086
      kill -TERM $pids 2>/dev/null || true
    fi
  done
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    pids=""
    for ns in $(ec_leftovers); do pids+=" $(ip netns pids "$ns" 2>/dev/null || true)"; done
    [ -z "${pids// /}" ] && break
    sleep 0.5
  done
  if [ -n "${pids// /}" ]; then
    # shellcheck disable=SC2086
    kill -KILL $pids 2>/dev/null || true
    sleep 0.2
  fi
  for ns in $(ec_leftovers); do ip netns del "$ns" 2>/dev/null || echo "could not delete namespace $ns" >&2; done
  ec_role_list=()
}
