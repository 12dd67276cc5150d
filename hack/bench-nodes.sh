#!/usr/bin/env bash
# Figures for builders of several nodes, on this one machine (run after
# hack/test.sh or hack/demo.sh, which start the registry and push the
# busybox base):
#   a three-platform build of an image with a compile-like step on one
#   node (arm under emulation) vs two nodes (amd64; arm64+arm/v7);
#   a fully cached rebuild across the two nodes.
# This machine has no arm hardware: the arm node emulates too, so the
# ratio shows what splitting across daemons gives, not native arm speed.
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(bash hack/services.sh env)"
command -v hyperfine >/dev/null || apt-get install -y -qq hyperfine >/dev/null
command -v bc >/dev/null || apt-get install -y -qq bc >/dev/null
go build -o .bin/bricklayer ./cmd/bricklayer
bl="$PWD/.bin/bricklayer"
work="$(mktemp -d /tmp/bl-bench.XXXX)"
trap '"$bl" builder stop --state "$work/a" >/dev/null 2>&1 || true; "$bl" builder stop --state "$work/b" >/dev/null 2>&1 || true; "$bl" builder stop --state "$work/one" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

cat >"$work/bricklayer.cue" <<CUE
platforms: ["linux/amd64", "linux/arm64", "linux/arm/v7"]
images: compile: {
	repository: "$BRICKLAYER_REGISTRY/bench/compile"
	from:       "$BRICKLAYER_REGISTRY/bricklayer-test/busybox:latest"
	args: RUN: "0"
	// A stand-in for a compiler: CPU-bound shell arithmetic.
	steps: [{run: "i=0; s=0; while [ \$i -lt 300000 ]; do s=\$((s + i % 7)); i=\$((i + 1)); done; echo \$RUN \$s > /out"}]
}
CUE
reg="--insecure-registry $BRICKLAYER_REGISTRY"
"$bl" builder bootstrap --addr "unix://$work/one.sock" --state "$work/one" $reg >/dev/null
"$bl" builder bootstrap --addr "unix://$work/a.sock" --state "$work/a" --platform linux/amd64 $reg >/dev/null
"$bl" builder bootstrap --addr "unix://$work/b.sock" --state "$work/b" --platform linux/arm64,linux/arm/v7 $reg >/dev/null
nodes="--node linux/amd64=unix://$work/a.sock --node linux/arm64,linux/arm/v7=unix://$work/b.sock"

cd "$work"
# secs CMD...: wall seconds of one run.
secs() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null; t1=$(date +%s.%N); echo "$t1 - $t0" | bc; }
echo "== cold build of a compile step, three platforms (a new --arg each run misses the cache)"
for i in 1 2 3; do
  one=$(secs "$bl" build --addr "unix://$work/one.sock" --progress quiet --arg RUN="one-$i-$$")
  two=$(secs "$bl" build $nodes --progress quiet --arg RUN="two-$i-$$")
  printf 'run %d: one node %.2fs, two nodes %.2fs, ratio %.2f\n' "$i" "$one" "$two" "$(echo "$one / $two" | bc -l)"
done
echo
"$bl" build $nodes --progress quiet --arg RUN=cached >/dev/null
echo "== fully cached rebuild on two nodes"
hyperfine -N --warmup 1 --runs 10 "$bl build $nodes --progress quiet --arg RUN=cached" 2>/dev/null | grep -E "Time|Range"
