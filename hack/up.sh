#!/usr/bin/env bash
# Brings up what builds need on this machine, for hack/test.sh and
# hack/demo.sh: installs what is missing, starts buildkitd, the loopback
# registry and dockerd, and pushes the busybox base image and the BuildKit
# image of the docker-container driver's tests. Source it to also get
# BUILDKIT_HOST, BRICKLAYER_REGISTRY, DOCKER_HOST and the tools on PATH.
set -euo pipefail
here="$(dirname "${BASH_SOURCE[0]}")"
bash "$here/install.sh"
bash "$here/services.sh" start
bash "$here/base-images.sh"
bash "$here/buildkit-image.sh"
eval "$(bash "$here/services.sh" env)"
