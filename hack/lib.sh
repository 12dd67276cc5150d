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
# The tests' own dockerd, beside any other on the machine.
DOCKER_SOCK="$STATE/docker.sock"
DOCKER_ADDR="unix://$DOCKER_SOCK"

# Platforms every test image is built for; the buildkitd worker must offer all.
PLATFORMS="linux/amd64,linux/arm64,linux/arm/v7"

# Debian ships runc in /usr/sbin, which is not on PATH for every caller.
export PATH="$BIN:$PATH:/usr/local/sbin:/usr/sbin:/sbin"

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

# ensure_binfmt: qemu handlers must be registered before buildkitd starts, as
# the worker probes for emulated platforms only once, at startup.
ensure_binfmt() {
  local d=/proc/sys/fs/binfmt_misc
  if [ ! -e "$d/status" ]; then
    mount -t binfmt_misc binfmt_misc "$d" ||
      die "cannot mount binfmt_misc (needs root / a privileged container)"
  fi
  if [ ! -e "$d/qemu-aarch64" ] || [ ! -e "$d/qemu-arm" ]; then
    command -v update-binfmts >/dev/null || die "update-binfmts missing: run hack/install.sh"
    # Only qemu's handlers: binfmt-support also knows formats like jar and
    # python .pyc that tests have no business turning on.
    local f
    for f in /usr/share/binfmts/qemu-*; do
      if [ -e "$f" ]; then update-binfmts --enable "${f##*/}" >/dev/null 2>&1 || true; fi
    done
  fi
  local h
  for h in qemu-aarch64 qemu-arm; do
    [ -e "$d/$h" ] || die "binfmt handler $h not registered (is qemu-user-static installed?)"
    grep -qx enabled "$d/$h" || echo 1 >"$d/$h"
    # Without the F flag the kernel looks the interpreter up inside the
    # container's rootfs, where it does not exist, and every RUN fails.
    grep -q '^flags:.*F' "$d/$h" || die "binfmt handler $h lacks the F (fix-binary) flag"
  done
}

need_bin() {
  local b
  for b in "$@"; do
    [ -x "$BIN/$b" ] || die "$BIN/$b missing: run hack/install.sh first"
  done
}
