#!/usr/bin/env bash
# Speed and memory figures for the issues' targets, whole-process:
#   vet  20 images x 3 platforms: at most 1.5x `cue vet` with the schema
#   vet  100 images: under 300 ms; peak memory under 100 MiB
#   plan 20 images: under 100 ms; plan 100 images: under 400 ms
# plus the in-process Go benchmarks (10/100/1000 images) that show growth.
# Needs hyperfine (apt-get install hyperfine); builds cue at the version
# go.mod pins.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${BRICKLAYER_BIN:-$PWD/.bin}"
mkdir -p "$BIN"
command -v hyperfine >/dev/null || apt-get install -y -qq hyperfine >/dev/null
CUE_VERSION="$(go list -m -f '{{.Version}}' cuelang.org/go)"
[ -x "$BIN/cue" ] && "$BIN/cue" version | grep -q "$CUE_VERSION" ||
  GOBIN="$BIN" go install "cuelang.org/go/cmd/cue@$CUE_VERSION"
go build -o "$BIN/bricklayer" ./cmd/bricklayer

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# The schema prints as package bricklayer; the spec joins the package.
"$BIN/bricklayer" schema >"$work/pkgschema.cue"
for n in 20 100; do
  mkdir -p "$work/$n"
  go run ./hack/genspec "$n" >"$work/$n/bricklayer.cue"
  mkdir -p "$work/$n/cue"
  { echo 'package bricklayer'; cat "$work/$n/bricklayer.cue"; } >"$work/$n/cue/spec.cue"
  cp "$work/pkgschema.cue" "$work/$n/cue/schema.cue"
done

cd "$work"
hyperfine -N --warmup 3 --runs 30 --export-markdown vet.md \
  -n "bricklayer vet (20 images)" "$BIN/bricklayer vet 20" \
  -n "cue vet (20 images)" "$BIN/cue vet -c ./20/cue/schema.cue ./20/cue/spec.cue" \
  -n "bricklayer vet (100 images)" "$BIN/bricklayer vet 100" \
  -n "cue vet (100 images)" "$BIN/cue vet -c ./100/cue/schema.cue ./100/cue/spec.cue" \
  -n "bricklayer plan (20 images)" "$BIN/bricklayer plan 20" \
  -n "bricklayer plan (100 images)" "$BIN/bricklayer plan 100" \
  -n "bricklayer version (start-up)" "$BIN/bricklayer version" >/dev/null
cat vet.md
echo
for c in "vet 100" "plan 100"; do
  /usr/bin/time -f "peak RSS of bricklayer $c: %M KiB" "$BIN/bricklayer" $c >/dev/null
done
echo
cd - >/dev/null
go test -run XXX -bench . -benchtime 10x ./spec ./llbgen | grep -E '^Benchmark'
