#!/usr/bin/env bash
# Pushes the BuildKit image the docker-container driver's tests run,
#   $REGISTRY/bricklayer-test/buildkit:<BuildKit version>   (linux/amd64)
# built with bricklayer itself from testdata/buildkit-image/bricklayer.cue:
# the busybox base image, the pinned static buildkitd and buildctl from
# $BIN, Debian's runc with the shared libraries it needs, and Debian's
# static QEMU as BuildKit's emulators (buildkit-qemu-*). No outside
# registry is reachable, so moby/buildkit cannot be pulled. Needs
# hack/install.sh, `hack/services.sh start` and hack/base-images.sh first.
# Re-running rebuilds from BuildKit's cache and pushes the same digest.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

need_bin buildkitd buildctl
command -v go >/dev/null || export PATH="$PATH:/usr/local/go/bin"
RUNC="$(command -v runc)" || die "runc missing: run hack/install.sh first"
BK_VERSION="$(cd "$REPO/tools" && go list -m -f '{{.Version}}' github.com/moby/buildkit)"
IMAGE="$REGISTRY/bricklayer-test/buildkit:$BK_VERSION"

ctx="$STATE/buildkit-image"
rm -rf "$ctx"
mkdir -p "$ctx/rootfs/usr/sbin"
cp "$BIN/buildkitd" "$BIN/buildctl" "$ctx/"
cp "$RUNC" "$ctx/rootfs/usr/sbin/runc"
# BuildKit's own emulators, as moby/buildkit carries them: it runs a
# foreign RUN step through buildkit-qemu-NAME when binfmt_misc lacks a
# handler. Debian's static QEMU stands in for BuildKit's patched build.
mkdir -p "$ctx/rootfs/usr/bin"
for q in aarch64 arm s390x; do
  [ -x "/usr/bin/qemu-$q-static" ] || die "/usr/bin/qemu-$q-static missing: run hack/install.sh first"
  cp "/usr/bin/qemu-$q-static" "$ctx/rootfs/usr/bin/buildkit-qemu-$q"
done
# Each library where the dynamic loader looks for it (ldd's paths), its
# symlinks resolved.
while read -r lib; do
  mkdir -p "$ctx/rootfs$(dirname "$lib")"
  cp -L "$lib" "$ctx/rootfs$lib"
done < <(ldd "$RUNC" | grep -o '/[^ ]*')
sed -e "s|\$REGISTRY|$REGISTRY|g" -e "s|\$BUILDKIT_VERSION|$BK_VERSION|g" \
  "$REPO/testdata/buildkit-image/bricklayer.cue" >"$ctx/bricklayer.cue"

log "bricklayer: building $IMAGE"
(cd "$REPO" && go build -o "$STATE/bricklayer" ./cmd/bricklayer)
BUILDKIT_HOST="$BUILDKIT_ADDR" "$STATE/bricklayer" build "$ctx" --push --insecure-registry "$REGISTRY" \
  --progress quiet >"$STATE/buildkit-image.log" 2>&1 ||
  { tail -n 30 "$STATE/buildkit-image.log" >&2; die "building $IMAGE failed"; }
log "pushed $IMAGE $(awk '/@sha256:/ {sub(/.*@/, ""); print; exit}' "$STATE/buildkit-image.log")"
# Docker reuses an image it has under the same name: refresh it, so the
# tests run this build.
if docker -H "$DOCKER_ADDR" info >/dev/null 2>&1; then
  docker -H "$DOCKER_ADDR" pull -q "$IMAGE" >/dev/null || die "dockerd cannot pull $IMAGE"
fi
