#!/usr/bin/env bash
# End-to-end check of the chain: buildkitd builds a Dockerfile FROM the local
# busybox base for three platforms (arm ones under qemu), pushes the index to
# the local registry, and each platform's RUN really ran on its own arch.
# Needs install.sh, `services.sh start` and base-images.sh first.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

need_bin buildctl crane
crane() { "$BIN/crane" --insecure "$@"; }

ctx="$(mktemp -d)"
trap 'rm -rf "$ctx"' EXIT
# No "# syntax=" line: that would make the frontend pull docker/dockerfile
# from Docker Hub, which is unreachable here.
cat >"$ctx/Dockerfile" <<EOF
FROM $REGISTRY/bricklayer-test/busybox:latest
RUN uname -m > /arch
EOF

ref="$REGISTRY/bricklayer-test/smoke:latest"
log "buildctl build $ref for $PLATFORMS"
start=$SECONDS
"$BIN/buildctl" --addr "$BUILDKIT_ADDR" build --progress=plain \
  --frontend dockerfile.v0 \
  --local context="$ctx" --local dockerfile="$ctx" \
  --opt platform="$PLATFORMS" \
  --output "type=image,name=$ref,push=true,registry.insecure=true" \
  >"$ctx/build.log" 2>&1 || { tail -n 40 "$ctx/build.log" >&2; die "build failed"; }
log "built and pushed in $((SECONDS - start))s"

manifest="$(crane manifest "$ref" 2>/dev/null)"
got="$(jq -r '.manifests[].platform | select(.os != "unknown") | [.os, .architecture, .variant // empty] | join("/")' <<<"$manifest" | sort | xargs)"
want="$(tr , '\n' <<<"$PLATFORMS" | sort | xargs)"
[ "$got" = "$want" ] || die "$ref index lists [$got], want [$want]"
log "index platforms: $got"

# Read /arch back out of each platform's top layer: uname -m inside the
# build must match the platform (x86_64, aarch64, armv7l).
declare -A UNAME=([linux/amd64]=x86_64 [linux/arm64]=aarch64 [linux/arm/v7]=armv7l)
for p in ${PLATFORMS//,/ }; do
  arch="$(crane export --platform "$p" "$ref" - 2>/dev/null | tar -xOf - arch)"
  [ "$arch" = "${UNAME[$p]}" ] || die "$p: /arch is '$arch', want '${UNAME[$p]}'"
  log "$p: uname -m = $arch"
done
log "smoke OK"
