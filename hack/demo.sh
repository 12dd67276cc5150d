#!/usr/bin/env bash
# The README's demo: on a fresh machine (as root) installs only what it
# uses (hack/install.sh demo: runc, QEMU, the pinned buildkitd, registry
# and crane), starts a loopback registry and buildkitd (with bricklayer
# builder bootstrap, which registers QEMU), pushes the busybox base image,
# and builds examples/demo for linux/amd64, linux/arm64 and linux/arm/v7
# into an OCI layout in out/demo; then prints the index.
set -euo pipefail
cd "$(dirname "$0")/.."

source hack/up.sh demo

# The metadata file's directory must exist: build checks every file it
# will write before it builds anything.
rm -rf out/demo
mkdir -p out
go run ./cmd/bricklayer build examples/demo \
  --output type=oci,dest=out/demo,tar=false \
  --metadata-file out/demo-metadata.json

echo
echo "==> index of out/demo (read back with crane's library, not bricklayer):"
go run ./hack/ociindex out/demo
