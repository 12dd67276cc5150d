#!/usr/bin/env bash
# Installs what builds and tests need, into $BIN (default .bin/):
#   hack/install.sh demo   what hack/demo.sh uses: Debian's runc and
#                          qemu-user-static (QEMU for binfmt_misc), curl
#                          and jq, and the pinned buildkitd, registry and
#                          crane (tools/go.mod)
#   hack/install.sh [test] the above, and what the tests use besides:
#                          docker.io, nodejs (act runs the action's
#                          JavaScript steps), binfmt-support, pre-commit,
#                          busybox-static, patch; buildctl and actionlint
#                          (tools/go.mod), act (tools/act/go.mod) and
#                          cosign (tools/cosign/go.mod)
# QEMU is registered with binfmt_misc when the daemon starts
# (hack/services.sh, through bricklayer builder bootstrap). Idempotent; a
# re-run with nothing to do takes about a second.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mode="${1:-test}"
case "$mode" in
  demo | test) ;;
  *) die "usage: $0 [demo|test]" ;;
esac
[ "$(id -u)" = 0 ] || die "run as root (apt-get; the daemon's binfmt_misc set-up)"

# --- Debian packages --------------------------------------------------------
PKGS=(runc qemu-user-static curl ca-certificates jq git)
# docker.io: the Docker daemon the docker-container driver and build --load
# are tested against (hack/services.sh starts it; Debian does not here).
# binfmt-support: update-binfmts, with which the emulation tests put back
# a handler they turned off.
[ "$mode" = demo ] || PKGS+=(docker.io nodejs binfmt-support pre-commit busybox-static patch)

missing_pkgs() {
  local p
  for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${db:Status-Status}\n' "$p" 2>/dev/null | grep -qx installed || echo "$p"
  done
}

mapfile -t missing < <(missing_pkgs)
if [ "${#missing[@]}" -gt 0 ]; then
  log "apt: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  ok=
  for i in 1 2 3; do
    # shellcheck disable=SC2119 # the host's own apt config: no options
    apt_update
    if apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/bricklayer-apt.log 2>&1; then
      ok=1; break
    fi
    log "apt-get install failed (try $i/3); see /tmp/bricklayer-apt.log"
    sleep $((i * 5))
  done
  [ -n "$ok" ] || { tail -20 /tmp/bricklayer-apt.log >&2; die "apt-get install failed"; }
else
  log "apt: packages already installed"
fi

# --- Go tools ---------------------------------------------------------------
command -v go >/dev/null || export PATH="$PATH:/usr/local/go/bin"
command -v go >/dev/null || die "go not found"
mkdir -p "$BIN" "$BIN/.stamps"

TOOLS=(buildkitd registry crane)
[ "$mode" = demo ] || TOOLS+=(buildctl actionlint)
declare -A PKG=(
  [buildkitd]=github.com/moby/buildkit/cmd/buildkitd
  [buildctl]=github.com/moby/buildkit/cmd/buildctl
  # Ours: upstream's command without the cloud storage drivers.
  [registry]=./registry
  [crane]=github.com/google/go-containerregistry/cmd/crane
  [actionlint]=github.com/rhysd/actionlint/cmd/actionlint
)
# Static, cgo off, as buildkit's own Dockerfile builds it: buildkit-image.sh
# puts buildkitd and buildctl in an image without a libc. Its osusergo and
# netgo tags are left out: with cgo off, Go's os/user and net are pure Go
# already, and the tags would make them (and every package above them) a
# compile of their own rather than the one bricklayer's build reuses
# (lib.sh sets the same flags for every build of the scripts).
TAGS="static_build seccomp"
BK_VERSION="$(cd "$REPO/tools" && go list -m -f '{{.Version}}' github.com/moby/buildkit)"
LDFLAGS="-s -w -X github.com/moby/buildkit/version.Version=$BK_VERSION -X github.com/moby/buildkit/version.Package=github.com/moby/buildkit"

# Each tool has a stamp of what it was built from: the pinned versions,
# the flags and Go, and for the registry its main. A tool is rebuilt when
# its stamp differs.
stamp="$( { cat "$REPO/tools/go.mod" "$REPO/tools/go.sum"; go version; echo "$TAGS $LDFLAGS"; } | sha256sum | cut -d' ' -f1)"
stamp_for() {
  if [ "$1" = registry ]; then
    { echo "$stamp"; cat "$REPO/tools/registry/main.go"; } | sha256sum | cut -d' ' -f1
  else
    echo "$stamp"
  fi
}
build=()
for t in "${TOOLS[@]}"; do
  [ -x "$BIN/$t" ] && [ "$(cat "$BIN/.stamps/$t" 2>/dev/null)" = "$(stamp_for "$t")" ] || build+=("$t")
done
if [ "${#build[@]}" = 0 ]; then
  log "tools: ${TOOLS[*]} up to date in $BIN"
else
  log "tools: building ${build[*]} into $BIN (cold: several minutes)"
  tmp="$(mktemp -d "$BIN/.build.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  pkgs=()
  for t in "${build[@]}"; do pkgs+=("${PKG[$t]}"); done
  # One go build for all of them shares the compile of their common deps.
  (cd "$REPO/tools" && CGO_ENABLED=0 go build -trimpath -tags "$TAGS" -ldflags "$LDFLAGS" -o "$tmp/" "${pkgs[@]}")
  for t in "${build[@]}"; do
    mv -f "$tmp/$t" "$BIN/$t"
    stamp_for "$t" >"$BIN/.stamps/$t"
  done
fi

# own_module NAME DIR PKG: a tool with a module of its own (its
# dependencies must not move buildkitd's), built when its stamp differs.
own_module() {
  local name="$1" dir="$REPO/tools/$2" pkg="$3" st
  st="$( { cat "$dir/go.mod" "$dir/go.sum"; go version; } | sha256sum | cut -d' ' -f1)"
  # The stamp's old place (read, not removed, as above).
  if [ "$(cat "$BIN/.$name.stamp" 2>/dev/null)" = "$st" ] && [ ! -e "$BIN/.stamps/$name" ]; then
    echo "$st" >"$BIN/.stamps/$name"
  fi
  if [ -x "$BIN/$name" ] && [ "$(cat "$BIN/.stamps/$name" 2>/dev/null)" = "$st" ]; then
    log "$name: up to date in $BIN"
    return
  fi
  log "$name: building into $BIN (cold: several minutes)"
  (cd "$dir" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$BIN/.$name.tmp" "$pkg") ||
    { rm -f "$BIN/.$name.tmp"; die "building $name failed"; }
  mv -f "$BIN/.$name.tmp" "$BIN/$name"
  echo "$st" >"$BIN/.stamps/$name"
}

if [ "$mode" = test ]; then
  # act builds only against dependencies older than BuildKit's (see
  # tools/act/go.mod); cosign is what the signing tests verify with.
  own_module act act github.com/nektos/act
  own_module cosign cosign github.com/sigstore/cosign/v3/cmd/cosign
fi

log "buildkitd: $("$BIN/buildkitd" --version)"
log "crane: $("$BIN/crane" version); registry: $("$BIN/registry" --version | awk '{print $NF}')"
log "runc: $(runc --version | head -1)"
if [ "$mode" = test ]; then
  log "cosign: $("$BIN/cosign" version --json 2>/dev/null | jq -r .gitVersion); actionlint: $("$BIN/actionlint" -version | head -1)"
  log "$("$BIN/act" --version); node: $(node --version)"
  log "dockerd: $(dockerd --version)"
fi
log "install ($mode) done"
