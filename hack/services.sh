#!/usr/bin/env bash
# Runs the test services as background daemons, state under $BRICKLAYER_STATE
# (default /tmp/bricklayer-ci):
#   buildkitd  started by this checkout's `bricklayer builder bootstrap
#              --driver local`: OCI worker on runc, socket
#              unix://$STATE/buildkitd.sock, its files in $STATE/buildkitd,
#              QEMU registered with binfmt_misc for its foreign platforms
#   registry   distribution registry, plain HTTP on 127.0.0.1:$BRICKLAYER_REGISTRY_PORT (5000)
#   dockerd    Debian's docker.io, unix://$STATE/docker.sock, data under $STATE/docker;
#              no bridge, no iptables, its own containerd namespace, so it
#              runs beside any other dockerd of the machine
# Usage: hack/services.sh start|stop|restart|status|env
# BRICKLAYER_DOCKERD=0 start leaves dockerd out (the demo needs none).
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUN="$STATE/run"   # pid files
LOGS="$STATE/logs"

# pid_file NAME: bootstrap keeps buildkitd's pid in its state; a daemon
# started before the scripts used bootstrap has it in $RUN.
pid_file() {
  if [ "$1" = buildkitd ] && [ ! -e "$RUN/buildkitd.pid" ]; then
    echo "$BUILDKIT_STATE/buildkitd.pid"
  else
    echo "$RUN/$1.pid"
  fi
}
pid_of() { cat "$(pid_file "$1")" 2>/dev/null || true; }
# A pid file can outlive its process (CI ends every process, /tmp stays), and
# the pid may be reused: check the process really is ours.
alive() {
  local p; p="$(pid_of "$1")"
  [ -n "$p" ] && kill -0 "$p" 2>/dev/null || return 1
  # Read whole, not piped to grep -q: with pipefail, tr's SIGPIPE would
  # read as "not running".
  local cmd
  cmd="$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)" || return 1
  [[ "$cmd" == *"/$1 "* ]]
}

write_configs() {
  mkdir -p "$STATE" "$RUN" "$LOGS" "$STATE/registry-data"

  cat >"$STATE/registry.yml" <<EOF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $STATE/registry-data
  delete:
    enabled: true
http:
  addr: $REGISTRY
  secret: bricklayer-test-only
EOF
}

# daemonize NAME CMD...: detach from this shell (setsid) so the daemon
# outlives the script, and record its pid.
daemonize() {
  local name="$1"; shift
  : >"$LOGS/$name.log"
  setsid "$@" </dev/null >>"$LOGS/$name.log" 2>&1 &
  echo $! >"$RUN/$name.pid"
}

# wait_for NAME SECONDS CHECK...: poll CHECK until it passes; on failure show
# the log tail and stop everything, so a half-started set is never left behind.
wait_for() {
  local name="$1" secs="$2"; shift 2
  local i
  for ((i = 0; i < secs * 5; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    if ! alive "$name"; then break; fi
    sleep 0.2
  done
  printf 'ERROR: %s did not become ready; last lines of %s:\n' "$name" "$LOGS/$name.log" >&2
  tail -n 30 "$LOGS/$name.log" >&2 || true
  stop_all
  exit 1
}

registry_ready() { curl -fsS --max-time 2 "http://$REGISTRY/v2/" >/dev/null 2>&1; }
docker_ready() { docker -H "$DOCKER_ADDR" info >/dev/null 2>&1; }

# start_buildkitd: bootstrap sets up QEMU for the worker's foreign
# platforms (before the daemon starts: its worker looks for emulators only
# then), writes the config (runc, the registry over plain HTTP) and starts
# buildkitd, or finds the one that answers. It sets plats to the platforms
# the worker builds.
start_buildkitd() {
  # The cache of a daemon started before the scripts used bootstrap.
  if [ -d "$STATE/buildkitd-root" ] && [ ! -e "$BUILDKIT_STATE/root" ] && ! alive buildkitd; then
    mkdir -p "$BUILDKIT_STATE"
    mv "$STATE/buildkitd-root" "$BUILDKIT_STATE/root"
    rm -f "$STATE/buildkitd.toml"
  fi
  local out
  out="$(bricklayer builder bootstrap --driver local --addr "$BUILDKIT_ADDR" --state "$BUILDKIT_STATE" \
    --buildkitd "$BIN/buildkitd" --insecure-registry "$REGISTRY" --platform "$WORKER_PLATFORMS" 2>"$LOGS/bootstrap.log")" || {
    cat "$LOGS/bootstrap.log" >&2
    stop_all
    die "bricklayer builder bootstrap failed"
  }
  grep -v '^bricklayer: build on it with' "$LOGS/bootstrap.log" >&2 || true
  log "$(head -n1 <<<"$out")"
  # Bootstrap takes any daemon that answers on the socket. One that this
  # state did not start (no pid file of a live buildkitd) runs a binary
  # and config nobody here chose, and stop would not find it: refuse it.
  if ! alive buildkitd; then
    die "a buildkitd this script did not start answers on $BUILDKIT_SOCK (no live pid in $(pid_file buildkitd)); stop it, or set BRICKLAYER_STATE to another directory"
  fi
  plats="$(sed -n 's/^platforms: //p' <<<"$out")"
}

start_all() {
  need_bin buildkitd registry
  write_configs

  if alive registry; then
    log "registry already running (pid $(pid_of registry))"
  else
    if registry_ready; then die "something else already serves $REGISTRY"; fi
    # The registry's OpenTelemetry exporters would otherwise try to reach a collector.
    OTEL_TRACES_EXPORTER=none OTEL_METRICS_EXPORTER=none OTEL_LOGS_EXPORTER=none \
      daemonize registry "$BIN/registry" serve "$STATE/registry.yml"
    wait_for registry 20 registry_ready
  fi

  local plats p
  start_buildkitd
  for p in ${PLATFORMS//,/ }; do
    case ", $plats, " in
      *", $p, "*) ;;
      *) die "buildkitd worker lacks $p (has: $plats); run: $0 restart" ;;
    esac
  done
  if [ "${BRICKLAYER_DOCKERD:-1}" = 0 ]; then
    log "dockerd: not started (BRICKLAYER_DOCKERD=0)"
  elif alive dockerd; then
    log "dockerd already running (pid $(pid_of dockerd))"
  else
    command -v dockerd >/dev/null || die "dockerd missing: run hack/install.sh first"
    rm -f "$DOCKER_SOCK"
    mkdir -p "$STATE/docker" "$STATE/docker-exec"
    # The full path: alive() knows the daemon by it.
    daemonize dockerd "$(command -v dockerd)" -H "$DOCKER_ADDR" --data-root "$STATE/docker" --exec-root "$STATE/docker-exec" \
      --pidfile "$RUN/dockerd.own.pid" --bridge none --iptables=false --ip-masq=false \
      --containerd-namespace bricklayer --containerd-plugins-namespace bricklayer-plugins --log-level warn
    wait_for dockerd 60 docker_ready
  fi

  log "buildkitd: $BUILDKIT_ADDR (pid $(pid_of buildkitd))"
  log "registry:  $REGISTRY (pid $(pid_of registry))"
  alive dockerd && log "dockerd:   $DOCKER_ADDR (pid $(pid_of dockerd))"
  log "platforms: $plats"
}

# stop_one NAME: SIGTERM, wait up to 15s for a clean exit, then SIGKILL.
stop_one() {
  local name="$1" p i
  p="$(pid_of "$name")"
  if alive "$name"; then
    kill -TERM "$p" 2>/dev/null || true
    for ((i = 0; i < 75; i++)); do
      kill -0 "$p" 2>/dev/null || break
      sleep 0.2
    done
    if kill -0 "$p" 2>/dev/null; then
      log "$name (pid $p) ignored SIGTERM; killing"
      kill -KILL "$p" 2>/dev/null || true
    fi
    log "$name stopped"
  fi
  rm -f "$(pid_file "$name")"
}

stop_all() {
  stop_one dockerd
  if [ -e "$RUN/buildkitd.pid" ]; then
    stop_one buildkitd
  elif [ -e "$BUILDKIT_STATE/buildkitd.pid" ]; then
    local said
    if said="$(bricklayer builder stop --driver local --state "$BUILDKIT_STATE")"; then log "$said"; fi
  fi
  stop_one registry
  rm -f "$BUILDKIT_SOCK"
}

status_all() {
  local rc=0 n
  for n in buildkitd registry dockerd; do
    if alive "$n"; then echo "$n: running (pid $(pid_of "$n"))"; else echo "$n: stopped"; rc=1; fi
  done
  if alive buildkitd; then
    bricklayer builder inspect --addr "$BUILDKIT_ADDR" || rc=1
  fi
  if alive registry && registry_ready; then echo "registry: http://$REGISTRY"; fi
  if alive dockerd && docker_ready; then echo "dockerd: $DOCKER_ADDR"; fi
  return $rc
}

case "${1:-}" in
  start) start_all ;;
  stop) stop_all ;;
  restart) stop_all; start_all ;;
  status) status_all ;;
  # eval "$(hack/services.sh env)" points buildctl and tests at the services.
  env)
    echo "export BUILDKIT_HOST=$BUILDKIT_ADDR"
    echo "export BRICKLAYER_REGISTRY=$REGISTRY"
    echo "export DOCKER_HOST=$DOCKER_ADDR"
    echo "export PATH=$BIN:\$PATH"
    ;;
  *) echo "usage: $0 start|stop|restart|status|env" >&2; exit 2 ;;
esac
