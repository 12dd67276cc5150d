#!/usr/bin/env bash
# The whole test suite, as README.md gives it and .ci/run calls it.
# Installs what is missing (Debian packages, the pinned buildkitd, registry
# and crane), starts buildkitd and a loopback registry, pushes the busybox
# base image the end-to-end tests build on, then runs formatting, go vet,
# a check that tools/go.mod builds what it shares with bricklayer at
# go.mod's versions, and every Go test: unit, CLI scripts, fuzz seeds, and
# end-to-end builds checked with crane, then short fuzz runs of the
# compose and bake oracles, the demo, and the release binary of this host
# and of one other target (hack/release-check.sh). Every build has a
# release's flags (cgo off, -trimpath; hack/lib.sh): the tests test what
# is released, and one compile serves the tools, the tests and the
# release. Run as root. The services stay up afterwards
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
# The benchmarks' floor build (hack/lib.sh bench_tools).
go vet -tags benchfloor ./pipeline

echo "==> tools module"
# What bricklayer shares with buildkitd is compiled once only when
# tools/go.mod keeps it at go.mod's versions.
bash hack/tools-deps.sh

echo "==> actionlint"
bash hack/actionlint.sh

echo "==> go test"
# CI=true makes the end-to-end tests fail instead of skipping when the
# daemon or registry is missing.
CI="${CI:-true}" go test -count=1 ./...
# The floor build skips what it says it skips.
go test -count=1 -tags benchfloor -run '^TestSolveOnlyFloor$' ./pipeline

echo "==> fuzz"
# A short run of the oracle beyond its seeds: whatever bricklayer's
# compose comparison reads as the same, compose-go's loader must too.
go test -run '^$' -fuzz '^FuzzEqualImpliesComposeEqual$' -fuzztime 15s ./compose
# And init's bake reader against HashiCorp's HCL: what ours reads, HCL
# reads the same.
go test -run '^$' -fuzz '^FuzzBakeHCL$' -fuzztime 10s ./internal/workflowscan

echo "==> demo"
# README's first command, as a new user runs it: the demo must build.
demo_log="$(mktemp)"
bash hack/demo.sh >"$demo_log" 2>&1 || { cat "$demo_log" >&2; rm -f "$demo_log"; echo "hack/demo.sh failed" >&2; exit 1; }
grep -q '^==> index of out/demo' "$demo_log" || { cat "$demo_log" >&2; rm -f "$demo_log"; echo "hack/demo.sh printed no index" >&2; exit 1; }
rm -f "$demo_log"
echo "demo: ok"

echo "==> release binaries"
# The host's target and one cross-compiled one. The five targets of a
# release are .ci/run's, when the release's inputs change
# (hack/release-check.sh auto).
bash hack/release-check.sh quick
