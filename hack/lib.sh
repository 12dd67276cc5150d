# Shared settings and helpers for the hack/ scripts. Source it; don't run it.
# shellcheck shell=bash
# shellcheck disable=SC2034 # the settings below are used by the scripts that source this

REPO="${REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
BIN="${BRICKLAYER_BIN:-$REPO/.bin}"
STATE="${BRICKLAYER_STATE:-/tmp/bricklayer-ci}"
REGISTRY_PORT="${BRICKLAYER_REGISTRY_PORT:-5000}"
REGISTRY="127.0.0.1:${REGISTRY_PORT}"
BUILDKIT_SOCK="$STATE/buildkitd.sock"
BUILDKIT_ADDR="unix://$BUILDKIT_SOCK"
# bricklayer builder bootstrap's state: buildkitd.toml, root/, buildkitd.log
# and buildkitd.pid.
BUILDKIT_STATE="$STATE/buildkitd"
# The tests' own dockerd, beside any other on the machine.
DOCKER_SOCK="$STATE/docker.sock"
DOCKER_ADDR="unix://$DOCKER_SOCK"

# Platforms every test image is built for; the buildkitd worker must offer all.
PLATFORMS="linux/amd64,linux/arm64,linux/arm/v7"
# What the worker builds, QEMU registered for each foreign one: the test
# platforms, and two whose handlers must be there besides: base-images.sh
# runs an s390x busybox, and the emulation tests turn the s390x and
# riscv64 handlers off and on again.
WORKER_PLATFORMS="$PLATFORMS,linux/s390x,linux/riscv64"

# Debian ships runc in /usr/sbin, which is not on PATH for every caller.
export PATH="$BIN:$PATH:/usr/local/sbin:/usr/sbin:/sbin"

# Every Go build of the scripts, bricklayer's (go run, go vet, go test)
# and the tools', with a release's flags: cgo off, -trimpath. The Go
# cache keys a compiled package on them, so with one set of flags the
# packages bricklayer shares with buildkitd are compiled once (tools/go.mod
# keeps them at go.mod's versions: hack/tools-deps.sh), and the release
# build of the host reuses the tests' compile.
export CGO_ENABLED=0
case " ${GOFLAGS:-} " in
  *" -trimpath "*) ;;
  *) export GOFLAGS="${GOFLAGS:+$GOFLAGS }-trimpath" ;;
esac

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

# apt_update [apt-get options...]: Debian's mirror sometimes serves one index
# mid-sync ("File has unexpected size"), which makes apt-get update exit 1
# even though every other index is fine. Retry a few times, then carry on:
# the caller finds out whether what it needs is installable.
apt_update() {
  local i
  for i in 1 2 3; do
    if apt-get "$@" update -qq >"${APT_LOG:-/dev/null}" 2>&1; then
      return 0
    fi
    log "apt-get update: some index failed (try $i/3)"
    [ "$i" = 3 ] || sleep $((i * 2))
  done
  log "apt-get update still incomplete; continuing with the indexes we have"
  return 0
}

# bricklayer ARGS...: this checkout's bricklayer (go run caches the binary).
bricklayer() {
  command -v go >/dev/null || export PATH="$PATH:/usr/local/go/bin"
  (cd "$REPO" && go run ./cmd/bricklayer "$@")
}

need_bin() {
  local b
  for b in "$@"; do
    [ -x "$BIN/$b" ] || die "$BIN/$b missing: run hack/install.sh first"
  done
}

# bench_tools OUT builds the benchmarks' binaries into OUT as releases
# are built: buildx at tools/buildx's pin (again only when its go.sum
# changed; cold, a few minutes), bricklayer from this checkout, its
# benchmark floor (bricklayer-floor: -tags benchfloor, which stops a push
# once BuildKit has pushed the platforms; see pipeline/floor_bench.go), and
# benchcmp.
bench_tools() {
  local out="$1" build=(-trimpath -ldflags "-s -w") stamp
  mkdir -p "$out"
  stamp="$(sha256sum "$REPO/tools/buildx/go.sum" | cut -d' ' -f1)"
  if [ ! -x "$out/buildx" ] || [ "$(cat "$out/.buildx.stamp" 2>/dev/null)" != "$stamp" ]; then
    echo "building buildx (cold: a few minutes)" >&2
    (cd "$REPO/tools/buildx" && go build "${build[@]}" -o "$out/buildx" github.com/docker/buildx/cmd/buildx)
    echo "$stamp" >"$out/.buildx.stamp"
  fi
  (cd "$REPO" && go build "${build[@]}" -o "$out/bricklayer" ./cmd/bricklayer &&
    go build "${build[@]}" -tags benchfloor -o "$out/bricklayer-floor" ./cmd/bricklayer &&
    go build -o "$out/benchcmp" ./hack/benchcmp)
}
