#!/usr/bin/env bash
# Tag-move budget of issue 25, whole process, on the daemon and loopback
# registry of hack/services.sh: a warm `bricklayer build --push` of one
# image x 3 platforms with 400 tags (and their rpi- aliases: 800
# references) takes <= 2x the same build with 2 tags (4 references).
#   hack/bench-tags.sh [OLD_BRICKLAYER]
# Every run pushes a new index (the default provenance differs from run
# to run), so every reference really moves. OLD_BRICKLAYER, a bricklayer
# built from another commit, runs in the same rounds for a before/after.
# Beside them, in the same rounds:
#   bake2, bake400  `docker buildx bake --push` of the same image under the
#                   same 4 and 800 references (the peer; BuildKit pushes the
#                   image once per reference, one after another);
#   puts800         hack/tagfloor: the index bricklayer pushed, put under 800
#                   new tags, 16 at a time, and nothing else (no read before
#                   for the roll-back, no read back for races): the least
#                   any client sends. The budget leaves 400 tags the time of
#                   tags2 for their 796 extra references; when puts800 alone
#                   takes longer, FLOOR says the budget is below what the
#                   registry answers on this machine.
# The commands take turns (hack/benchcmp), BENCH_RUNS rounds (default 9).
# Prints the table and ratios, then OVER when the budget is not met (exit
# 0 all the same: the figures are what matters on a shared machine).
# BENCH_REGISTRY (host:port, plain HTTP) pushes elsewhere than the
# loopback registry: the registry's own cost per tag (the reference
# registry writes and fsyncs link files for every tag PUT) is most of the
# time on loopback, and one started with `storage: inmemory` shows
# bricklayer's share. BENCH_BUILDKIT_HOST builds on another daemon.
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(bash hack/services.sh env)"
BUILDKIT_HOST="${BENCH_BUILDKIT_HOST:-$BUILDKIT_HOST}"
registry="${BENCH_REGISTRY:-$BRICKLAYER_REGISTRY}"
out="${BENCH_OUT:-$PWD/.bin}/bench"
runs="${BENCH_RUNS:-9}"
command -v docker >/dev/null || { echo "bench-tags: needs the docker CLI (hack/install.sh)" >&2; exit 1; }
# shellcheck source=SCRIPTDIR/lib.sh
source hack/lib.sh
bench_tools "$out"
go build -o "$out/tagfloor" ./hack/tagfloor
old=""
if [ -n "${1:-}" ]; then old="$(realpath "$1")"; fi

work="$(mktemp -d)"
# buildx keeps its state here, not in the user's ~/.docker; the bake
# files name their contexts by absolute path, outside the directory bake
# runs in, which bake refuses unless told.
export BUILDX_CONFIG="$work/buildx" DOCKER_CONFIG="$work/docker" BUILDX_BAKE_ENTITLEMENTS_FS=0
mkdir -p "$DOCKER_CONFIG/cli-plugins"
ln -s "$out/buildx" "$DOCKER_CONFIG/cli-plugins/docker-buildx"
trap 'docker buildx rm bench-tags >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
docker buildx create --name bench-tags --driver remote "$BUILDKIT_HOST" >/dev/null
run="bench-tags-$$"
# spec N: one image, N tags t0..t(N-1), each with an rpi- alias; and the
# same as a bake target, with the 2N references spelled out.
spec() {
  local n="$1" dir="$work/$1" i
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
  printf 'FROM scratch\nCOPY file.txt /\n' >"$dir/Dockerfile"
  {
    printf 'target "default" {\n\tcontext = "%s"\n' "$dir"
    printf '\tplatforms = ["linux/amd64", "linux/arm64", "linux/arm/v7"]\n'
    printf '\toutput = ["type=image,push=true,registry.insecure=true"]\n\ttags = [\n'
    for i in $(seq 0 $((n - 1))); do
      printf '\t\t"%s/bench/%s/bake%d:t%d", "%s/bench/%s/bake%d:rpi-t%d",\n' \
        "$registry" "$run" "$n" "$i" "$registry" "$run" "$n" "$i"
    done
    printf '\t]\n}\n'
  } >"$dir/docker-bake.hcl"
}
spec 2
spec 400

build="build --push --progress quiet --insecure-registry $registry"
bake="$(command -v docker) buildx bake --builder bench-tags --progress quiet"
# puts800 needs the index the 400-tag build pushed: one build first.
(cd "$work/400" && "$out/bricklayer" $build . >/dev/null)
cmds=(
  "tags2=$out/bricklayer $build $work/2"
  "tags400=$out/bricklayer $build $work/400"
  "bake2=$bake -f $work/2/docker-bake.hcl"
  "bake400=$bake -f $work/400/docker-bake.hcl"
  "puts800=$out/tagfloor -n 800 $registry/bench/$run/n400:t0"
)
ratios=(-ratio tags400/tags2 -ratio bake400/bake2 -ratio tags400/bake400)
if [ -n "$old" ]; then
  cmds+=("tags2-old=$old $build $work/2" "tags400-old=$old $build $work/400")
  ratios+=(-ratio tags400-old/tags2-old -ratio tags400/tags400-old)
fi
"$out/benchcmp" -runs "$runs" "${ratios[@]}" "${cmds[@]}" | tee "$work/out.txt"
r="$(awk '/^ratio tags400 \/ tags2:/ {print $5}' "$work/out.txt")"
if awk -v r="$r" 'BEGIN {exit !(r > 2)}'; then
  echo "OVER: 400 tags (800 references) take ${r}x the time of 2 tags (budget 2x)"
fi
median() { awk -F'|' -v c=" $1 " '$2 == c {gsub(/ ms| /, "", $3); print $3}' "$work/out.txt"; }
t2="$(median tags2)" p="$(median puts800)"
if awk -v t="$t2" -v p="$p" 'BEGIN {exit !(p > t)}'; then
  echo "FLOOR: 800 bare PUTs take $p ms, more than the $t2 ms of the 2-tag build that the budget leaves them: (2 tags + the PUTs alone) is $(awk -v t="$t2" -v p="$p" 'BEGIN {printf "%.2f", (t + p) / t}')x"
fi
