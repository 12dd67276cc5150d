#!/usr/bin/env bash
# Pushes a multi-platform busybox base image (linux/amd64, linux/arm64,
# linux/arm/v7) to the local registry, built only from Debian's busybox-static
# packages: no outside registry is reachable here.
#   $REGISTRY/bricklayer-test/busybox:latest          the index (3 platforms)
#   $REGISTRY/bricklayer-test/busybox:latest-<arch>   each platform's image,
#                                                     s390x too (not indexed)
# Needs hack/install.sh and `hack/services.sh start` first. Deterministic:
# re-running pushes the same digests. `base-images.sh fetch` only downloads
# the packages, which needs neither: hack/up.sh runs it while Go compiles.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

IMAGE="$REGISTRY/bricklayer-test/busybox"
WORK="$STATE/base"
APTDIR="$WORK/apt"
DEBS="$WORK/debs"
# Debian arch -> OCI platform, and the tag suffix of the per-platform image.
# s390x is pushed only as latest-s390x, outside the index: the test of
# BuildKit's own emulators builds it with the host's handler turned off,
# and no other test touches it.
ARCHES=(amd64 arm64 armhf s390x)
INDEXED=(amd64 arm64 armhf)
declare -A PLATFORM=([amd64]=linux/amd64 [arm64]=linux/arm64 [armhf]=linux/arm/v7 [s390x]=linux/s390x)
declare -A SUFFIX=([amd64]=amd64 [arm64]=arm64 [armhf]=armv7 [s390x]=s390x)

mode="${1:-push}"
case "$mode" in
  fetch | push) ;;
  *) die "usage: $0 [fetch|push]" ;;
esac
# crane logs every blob to stderr; keep that in a log shown only on failure.
crane() {
  "$BIN/crane" --insecure "$@" 2>>"$WORK/crane.log" ||
    { tail -n 20 "$WORK/crane.log" >&2; die "crane $1 failed"; }
}

# --- fetch the .debs --------------------------------------------------------
# A private apt state with the foreign arches, so the host's dpkg is left
# alone (no dpkg --add-architecture, host apt-get update stays small).
APT_OPTS=(
  -o "Dir::State::Lists=$APTDIR/lists" -o "Dir::Cache=$APTDIR/cache"
  -o "APT::Architectures::=amd64" -o "APT::Architectures::=arm64" -o "APT::Architectures::=armhf"
  -o "APT::Architectures::=s390x"
  -o "APT::Sandbox::User=root"
)
mkdir -p "$APTDIR/lists/partial" "$APTDIR/cache/archives/partial" "$DEBS"
: >"$WORK/crane.log"

deb_for() { compgen -G "$DEBS/busybox-static_*_$1.deb" | head -n1 || true; }

need_fetch=
for a in "${ARCHES[@]}"; do [ -n "$(deb_for "$a")" ] || need_fetch=1; done
if [ -n "$need_fetch" ]; then
  log "apt: fetching busybox-static for ${ARCHES[*]}"
  APT_LOG="$WORK/apt-update.log" apt_update "${APT_OPTS[@]}"
  for a in "${ARCHES[@]}"; do
    [ -n "$(deb_for "$a")" ] && continue
    (cd "$DEBS" && apt-get "${APT_OPTS[@]}" download -qq "busybox-static:$a") ||
      die "apt-get download busybox-static:$a failed (see $WORK/apt-update.log)"
  done
else
  log "apt: busybox-static debs cached in $DEBS"
fi
[ "$mode" = push ] || exit 0

need_bin crane
curl -fsS --max-time 5 "http://$REGISTRY/v2/" >/dev/null 2>&1 ||
  die "registry $REGISTRY not reachable: run hack/services.sh start"

# --- already there? ---------------------------------------------------------
# The images are a function of the .debs and this script: when the
# registry still has every tag at the digest the last run pushed from the
# same inputs, there is nothing to do (a warm demo spends its time here
# otherwise).
inputs="$( { sha256sum "$0" "$DEBS"/busybox-static_*.deb; echo "$IMAGE ${ARCHES[*]}"; } | sha256sum | cut -d' ' -f1)"
pushed="$WORK/pushed"
pushed_ok() {
  [ -f "$pushed" ] && [ "$(head -n1 "$pushed")" = "$inputs" ] || return 1
  local tag want
  while read -r tag want; do
    [ "$("$BIN/crane" --insecure digest "$IMAGE:$tag" 2>/dev/null)" = "$want" ] || return 1
  done < <(tail -n +2 "$pushed")
}
if pushed_ok; then
  log "busybox: $IMAGE up to date (every tag at the digest the last run pushed)"
  exit 0
fi
rm -f "$pushed"

# --- one image per platform -------------------------------------------------
declare -A DIGEST
for a in "${ARCHES[@]}"; do
  deb="$(deb_for "$a")"
  plat="${PLATFORM[$a]}"
  ver="$(dpkg-deb -f "$deb" Version)"
  tmp="$WORK/$a"
  rm -rf "$tmp"
  mkdir -p "$tmp/x" "$tmp/rootfs"
  dpkg-deb -x "$deb" "$tmp/x"

  r="$tmp/rootfs"
  mkdir -p "$r/bin" "$r/etc" "$r/root" "$r/tmp" "$r/dev" "$r/proc" "$r/sys" "$r/var/tmp" "$r/home"
  chmod 1777 "$r/tmp" "$r/var/tmp"
  chmod 700 "$r/root"
  install -m 0755 "$tmp/x/bin/busybox" "$r/bin/busybox"
  # Ask the binary itself (via qemu for arm) which applets it has; this
  # also proves the emulation works before buildkitd depends on it.
  "$r/bin/busybox" --list-full >"$tmp/applets" ||
    die "cannot run $plat busybox (QEMU not registered? hack/services.sh start registers it)"
  declare -A made=()
  while read -r p; do
    [ "$p" = bin/busybox ] && continue
    d="${p%/*}"
    [ -n "${made[$d]:-}" ] || { mkdir -p "$r/$d"; made[$d]=1; }
    ln -sf /bin/busybox "$r/$p"
  done <"$tmp/applets"
  unset made
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$r/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$r/etc/group"

  # Fixed order, owner and mtime make the layer (and so the digests) reproducible.
  (cd "$r" && tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 \
    -cf "$tmp/layer.tar" -- *)

  ref="$IMAGE:latest-${SUFFIX[$a]}"
  crane append --oci-empty-base -f "$tmp/layer.tar" -t "$ref" >/dev/null
  # An empty base has no platform in its config; variant v7 can only be set this way.
  crane mutate --set-platform "$plat" \
    --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --cmd sh -t "$ref" "$ref" >/dev/null
  DIGEST[$a]="$(crane digest "$ref")"
  log "pushed $ref ($plat, busybox $ver) ${DIGEST[$a]}"
  rm -rf "$tmp/x"
done

# --- the index --------------------------------------------------------------
# Appending by digest pins exactly the images pushed above; crane reads each
# entry's platform from its config.
args=()
for a in "${INDEXED[@]}"; do args+=(-m "$IMAGE@${DIGEST[$a]}"); done
crane index append "${args[@]}" -t "$IMAGE:latest" >/dev/null

got="$(crane manifest "$IMAGE:latest" |
  jq -r '.manifests[].platform | [.os, .architecture, .variant // empty] | join("/")' | sort | xargs)"
want="$(tr , '\n' <<<"$PLATFORMS" | sort | xargs)"
[ "$got" = "$want" ] || die "index $IMAGE:latest lists [$got], want [$want]"
index="$(crane digest "$IMAGE:latest")"
log "pushed $IMAGE:latest $index platforms: $got"
{
  echo "$inputs"
  echo "latest $index"
  for a in "${ARCHES[@]}"; do echo "latest-${SUFFIX[$a]} ${DIGEST[$a]}"; done
} >"$pushed"
