#!/usr/bin/env bash
# Tag-move budget of issue 25, whole process, on the daemon and loopback
# registry of hack/services.sh: a warm `bricklayer build --push` of one
# image x 3 platforms with 400 tags (and their rpi- aliases: 800
# references) takes <= 2x the same build with 2 tags (4 references).
#   hack/bench-tags.sh [OLD_BRICKLAYER]
# Every run pushes a new index (the default provenance differs from run
# to run), so every reference really moves. OLD_BRICKLAYER, a bricklayer
# built from another commit, runs in the same rounds for a before/after.
# The commands take turns (hack/benchcmp), BENCH_RUNS rounds (default
# 9). Prints the table and ratios, then OVER when the budget is not met
# (exit 0 all the same: the figures are what matters on a shared
# machine). BENCH_REGISTRY (host:port, plain HTTP) pushes elsewhere than
# the loopback registry: the registry's own cost per tag (the reference
# registry writes and fsyncs link files for every tag PUT) is most of
# the time on loopback, and one started with `storage: inmemory` shows
# bricklayer's share.
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(bash hack/services.sh env)"
registry="${BENCH_REGISTRY:-$BRICKLAYER_REGISTRY}"
BIN="${BRICKLAYER_BIN:-$PWD/.bin}"
out="$BIN/bench"
mkdir -p "$out"
runs="${BENCH_RUNS:-9}"
go build -o "$out/bricklayer" ./cmd/bricklayer
go build -o "$out/benchcmp" ./hack/benchcmp
old=""
if [ -n "${1:-}" ]; then old="$(realpath "$1")"; fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
run="bench-tags-$$"
# spec N: one image, N tags t0..t(N-1), each with an rpi- alias.
spec() {
  local n="$1" dir="$work/$1"
  mkdir -p "$dir"
  echo "$n" >"$dir/file.txt"
  cat >"$dir/bricklayer.cue" <<EOF
import "list"

platforms: ["linux/amd64", "linux/arm64", "linux/arm/v7"]
aliases: [{prefix: "rpi-", until: "2099-12-31"}]
images: tags: {
	repository: "$registry/bench/$run/n$n"
	from:       "scratch"
	steps: [{copy: "file.txt", dest: "/"}]
	tags: [for i in list.Range(0, $n, 1) {"t\(i)"}]
}
EOF
}
spec 2
spec 400

build="build --push --progress quiet --insecure-registry $registry"
cmds=("tags2=$out/bricklayer $build $work/2" "tags400=$out/bricklayer $build $work/400")
ratios=(-ratio tags400/tags2)
if [ -n "$old" ]; then
  cmds+=("tags2-old=$old $build $work/2" "tags400-old=$old $build $work/400")
  ratios+=(-ratio tags400-old/tags2-old -ratio tags400/tags400-old)
fi
"$out/benchcmp" -runs "$runs" "${ratios[@]}" "${cmds[@]}" | tee "$work/out.txt"
r="$(awk '/^ratio tags400 \/ tags2:/ {print $5}' "$work/out.txt")"
if awk -v r="$r" 'BEGIN {exit !(r > 2)}'; then
  echo "OVER: 400 tags (800 references) take ${r}x the time of 2 tags (budget 2x)"
fi
