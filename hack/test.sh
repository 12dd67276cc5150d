#!/usr/bin/env bash
# The whole test suite, as README.md gives it and .ci/run calls it:
# formatting, go vet, and every Go test (unit, CLI scripts, fuzz seeds).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "==> gofmt"
unformatted=$(gofmt -l cmd spec schemas llbgen 2>/dev/null || true)
if [ -n "$unformatted" ]; then
  echo "gofmt would change:" >&2
  echo "$unformatted" >&2
  exit 1
fi

echo "==> go vet"
go vet ./...

echo "==> go test"
go test -count=1 ./...
