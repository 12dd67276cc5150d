#!/usr/bin/env bash
# Brings up what builds need on this machine, for hack/test.sh and
# hack/demo.sh: installs what is missing, starts buildkitd (through
# bricklayer builder bootstrap), the loopback registry and dockerd, and
# pushes the busybox base image and the BuildKit image of the
# docker-container driver's tests. With "demo" (hack/demo.sh) it installs
# and starts only what the demo uses: no dockerd, Docker, act, cosign or
# BuildKit image. Source it to also get BUILDKIT_HOST, BRICKLAYER_REGISTRY,
# DOCKER_HOST, the tools on PATH and lib.sh's Go build flags.
set -euo pipefail
here="$(dirname "${BASH_SOURCE[0]}")"
# shellcheck source=SCRIPTDIR/lib.sh
source "$here/lib.sh"
up_mode="${1:-test}"
# The base image's packages download while the tools compile; a fetch
# that failed is tried again, and reported, by the push below.
mkdir -p "$STATE"
bash "$here/base-images.sh" fetch >"$STATE/base-fetch.log" 2>&1 &
fetch_pid=$!
bash "$here/install.sh" "$up_mode"
if [ "$up_mode" = demo ]; then
  BRICKLAYER_DOCKERD=0 bash "$here/services.sh" start
else
  bash "$here/services.sh" start
fi
wait "$fetch_pid" || log "base-images.sh fetch failed (see $STATE/base-fetch.log); trying again"
bash "$here/base-images.sh"
[ "$up_mode" = demo ] || bash "$here/buildkit-image.sh"
eval "$(bash "$here/services.sh" env)"
