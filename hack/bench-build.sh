#!/usr/bin/env bash
# Build speed figures for the build issue, on the local daemon of
# hack/services.sh (run hack/demo.sh or hack/test.sh first):
#   warm rebuild of examples/demo (everything cached): bricklayer build vs
#     buildctl build of the same LLB (bricklayer print --format llb);
#   cold three-platform build vs the three single-platform builds.
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(bash hack/services.sh env)"
command -v hyperfine >/dev/null || apt-get install -y -qq hyperfine >/dev/null
go build -o .bin/bricklayer ./cmd/bricklayer
bl=.bin/bricklayer
demo=examples/demo
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

for p in linux/amd64 linux/arm64 linux/arm/v7; do
  "$bl" print hello "$demo" --platform "$p" --format llb >"$work/$(echo "$p" | tr / -).llb"
done
"$bl" build "$demo" --progress quiet >/dev/null # warm the cache

echo "== warm rebuild, one platform (linux/arm64)"
hyperfine -N --warmup 2 --runs 15 \
  -n "bricklayer build" "$bl build $demo --platform linux/arm64 --progress quiet" \
  -n "buildctl build" "bash -c 'buildctl build --progress quiet --local context=$demo < $work/linux-arm64.llb'" \
  --export-markdown "$work/warm1.md" >/dev/null
cat "$work/warm1.md"

echo
echo "== warm rebuild, three platforms"
hyperfine -N --warmup 2 --runs 15 \
  -n "bricklayer build" "$bl build $demo --progress quiet" \
  -n "3 x buildctl build, concurrently" "bash -c 'for f in $work/*.llb; do buildctl build --progress quiet --local context=$demo < \$f & done; wait'" \
  --export-markdown "$work/warm3.md" >/dev/null
cat "$work/warm3.md"

echo
echo "== cold builds (cache pruned before each run)"
prune="buildctl prune --all"
hyperfine -N --runs 5 --prepare "$prune" \
  -n "three platforms" "$bl build $demo --progress quiet" \
  -n "linux/amd64" "$bl build $demo --platform linux/amd64 --progress quiet" \
  -n "linux/arm64" "$bl build $demo --platform linux/arm64 --progress quiet" \
  -n "linux/arm/v7" "$bl build $demo --platform linux/arm/v7 --progress quiet" \
  --export-markdown "$work/cold.md" >/dev/null
cat "$work/cold.md"
