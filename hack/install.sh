#!/usr/bin/env bash
# Installs what the end-to-end tests need: Debian packages (runc, qemu
# binfmt handlers, busybox, docker.io, nodejs), the binfmt_misc registration, and the Go tools
# pinned by tools/go.mod (buildkitd, buildctl, registry, crane, actionlint),
# tools/act/go.mod (act) and tools/cosign/go.mod (cosign) into $BIN.
# Idempotent; a re-run with nothing to do takes about a second.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ "$(id -u)" = 0 ] || die "run as root (apt-get, mount, binfmt)"

# --- Debian packages --------------------------------------------------------
# docker.io: the Docker daemon the docker-container driver and build --load
# are tested against (hack/services.sh starts it; Debian does not here).
# nodejs: act runs the JavaScript actions of the action's workflow tests
# with the host's node.
PKGS=(runc qemu-user-static binfmt-support busybox-static curl ca-certificates jq docker.io git pre-commit patch nodejs)

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

# --- binfmt_misc (qemu) -----------------------------------------------------
ensure_binfmt
handlers=(/proc/sys/fs/binfmt_misc/qemu-*)
log "binfmt: qemu handlers enabled (${#handlers[@]} registered)"

# --- Go tools ---------------------------------------------------------------
command -v go >/dev/null || export PATH="$PATH:/usr/local/go/bin"
command -v go >/dev/null || die "go not found"

TOOLS=(buildkitd buildctl registry crane actionlint)
# Mirrors buildkit's own Dockerfile: static, CGO off, seccomp profile built in.
TAGS="osusergo netgo static_build seccomp"
BK_VERSION="$(cd "$REPO/tools" && go list -m -f '{{.Version}}' github.com/moby/buildkit)"
LDFLAGS="-s -w -X github.com/moby/buildkit/version.Version=$BK_VERSION -X github.com/moby/buildkit/version.Package=github.com/moby/buildkit"

# The stamp changes whenever the pinned versions, the flags or Go change.
stamp="$( { cat "$REPO/tools/go.mod" "$REPO/tools/go.sum"; go version; echo "$TAGS $LDFLAGS ${TOOLS[*]}"; } | sha256sum | cut -d' ' -f1)"
stamp_file="$BIN/.tools.stamp"

up_to_date() {
  [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$stamp" ] || return 1
  local t
  for t in "${TOOLS[@]}"; do [ -x "$BIN/$t" ] || return 1; done
}

if up_to_date; then
  log "tools: up to date in $BIN"
else
  log "tools: building ${TOOLS[*]} into $BIN (cold: several minutes)"
  mkdir -p "$BIN"
  tmp="$(mktemp -d "$BIN/.build.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  # One go build for all of them shares the compile of their common deps.
  (cd "$REPO/tools" && CGO_ENABLED=0 go build -trimpath -tags "$TAGS" -ldflags "$LDFLAGS" -o "$tmp/" \
    github.com/moby/buildkit/cmd/buildkitd \
    github.com/moby/buildkit/cmd/buildctl \
    github.com/distribution/distribution/v3/cmd/registry \
    github.com/google/go-containerregistry/cmd/crane \
    github.com/rhysd/actionlint/cmd/actionlint)
  for t in "${TOOLS[@]}"; do mv -f "$tmp/$t" "$BIN/$t"; done
  echo "$stamp" >"$stamp_file"
fi

# act (nektos/act) has a module of its own: it builds only against
# dependencies older than BuildKit's (see tools/act/go.mod).
act_stamp="$( { cat "$REPO/tools/act/go.mod" "$REPO/tools/act/go.sum"; go version; } | sha256sum | cut -d' ' -f1)"
if [ -x "$BIN/act" ] && [ -f "$BIN/.act.stamp" ] && [ "$(cat "$BIN/.act.stamp")" = "$act_stamp" ]; then
  log "act: up to date in $BIN"
else
  log "act: building into $BIN"
  mkdir -p "$BIN"
  act_tmp="$(mktemp -d "$BIN/.build-act.XXXXXX")"
  (cd "$REPO/tools/act" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$act_tmp/" github.com/nektos/act) ||
    { rm -rf "$act_tmp"; die "building act failed"; }
  mv -f "$act_tmp/act" "$BIN/act"
  rm -rf "$act_tmp"
  echo "$act_stamp" >"$BIN/.act.stamp"
fi

# cosign, which the signing tests verify with, has a module of its own
# (tools/cosign): its dependencies must not move buildkitd's.
cosign_stamp="$( { cat "$REPO/tools/cosign/go.mod" "$REPO/tools/cosign/go.sum"; go version; } | sha256sum | cut -d' ' -f1)"
if [ -x "$BIN/cosign" ] && [ "$(cat "$BIN/.cosign.stamp" 2>/dev/null)" = "$cosign_stamp" ]; then
  log "cosign: up to date in $BIN"
else
  log "cosign: building into $BIN (cold: several minutes)"
  mkdir -p "$BIN"
  (cd "$REPO/tools/cosign" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$BIN/.cosign.tmp" github.com/sigstore/cosign/v3/cmd/cosign)
  mv -f "$BIN/.cosign.tmp" "$BIN/cosign"
  echo "$cosign_stamp" >"$BIN/.cosign.stamp"
fi

log "buildkitd: $("$BIN/buildkitd" --version)"
log "cosign: $("$BIN/cosign" version --json 2>/dev/null | jq -r .gitVersion)"
log "crane: $("$BIN/crane" version); registry: $("$BIN/registry" --version | awk '{print $NF}'); actionlint: $("$BIN/actionlint" -version | head -1)"
log "$("$BIN/act" --version); node: $(node --version)"
log "runc: $(runc --version | head -1)"
log "dockerd: $(dockerd --version)"
log "install done"
