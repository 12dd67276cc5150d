#!/usr/bin/env bash
# The whole test suite, as README.md gives it and .ci/run calls it.
# Installs what is missing (Debian packages, the pinned buildkitd, registry
# and crane), starts buildkitd and a loopback registry, pushes the busybox
# base image the end-to-end tests build on, then runs formatting, go vet
# and every Go test: unit, CLI scripts, fuzz seeds, and end-to-end builds
# checked with crane. Run as root. The services stay up afterwards
# (hack/services.sh stop ends them).
set -euo pipefail
cd "$(dirname "$0")/.."

source hack/up.sh

echo "==> gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './tools/*'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:" >&2
  echo "$unformatted" >&2
  exit 1
fi

echo "==> go vet"
go vet ./...

echo "==> go test"
# CI=true makes the end-to-end tests fail instead of skipping when the
# daemon or registry is missing.
CI="${CI:-true}" go test -count=1 ./...
