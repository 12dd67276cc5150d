#!/usr/bin/env bash
# Growth budgets of issue 20, whole process, side by side in one run, for
# specs of 20, 100 and 400 images x 3 platforms (hack/genspec):
#   bricklayer vet   <= 1.2x `cue vet` of the same data with the schema
#   bricklayer plan  <= 0.5x `docker buildx bake --print` of a bake file of
#                        the same images (genspec -bake)
#   bricklayer plan of 400 images: peak RSS <= 45 MiB
#   hack/bench-scale.sh [OLD_BRICKLAYER]
# OLD_BRICKLAYER, a bricklayer built the same way from another commit,
# runs in the same rounds for a before/after. Every binary is built as
# releases are (CGO_ENABLED=0, -trimpath, -ldflags "-s -w"): cue at the
# version go.mod pins, buildx at the version tools/buildx/go.mod pins, run
# as users do, as a plugin of the docker CLI (docker buildx bake --print;
# standalone when there is no docker CLI). The commands of one size
# take turns (hack/benchcmp), BENCH_RUNS rounds (default 15). Prints the
# tables and ratios, then OVER for each budget not met (exit 0 all the
# same: the figures are what matters on a shared machine).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${BRICKLAYER_BIN:-$PWD/.bin}"
out="$BIN/bench"
mkdir -p "$out"
runs="${BENCH_RUNS:-15}"
read -ra sizes <<<"${BENCH_SIZES:-20 100 400}"
build=(-trimpath -ldflags "-s -w")

cue_version="$(go list -m -f '{{.Version}}' cuelang.org/go)"
[ -x "$out/cue" ] && "$out/cue" version | grep -q "cue version $cue_version\$" ||
  CGO_ENABLED=0 GOBIN="$out" go install "${build[@]}" "cuelang.org/go/cmd/cue@$cue_version"
# shellcheck source=SCRIPTDIR/lib.sh
source hack/lib.sh
bench_tools "$out"
old=""
if [ -n "${1:-}" ]; then old="$(realpath "$1")"; fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# The schema prints as package bricklayer; the spec joins the package.
"$out/bricklayer" schema >"$work/schema.cue"
for n in "${sizes[@]}"; do
  mkdir -p "$work/$n/cue" "$work/$n/bake"
  go run ./hack/genspec "$n" >"$work/$n/bricklayer.cue"
  { echo 'package bricklayer'; cat "$work/$n/bricklayer.cue"; } >"$work/$n/cue/spec.cue"
  cp "$work/schema.cue" "$work/$n/cue/schema.cue"
  go run ./hack/genspec -bake "$n" >"$work/$n/bake/docker-bake.hcl"
done

cd "$work"
# buildx keeps its state here, not in the user's ~/.docker.
export BUILDX_CONFIG="$work/buildx" DOCKER_CONFIG="$work/docker"
bake=("$out/buildx")
if command -v docker >/dev/null; then
  mkdir -p "$DOCKER_CONFIG/cli-plugins"
  ln -s "$out/buildx" "$DOCKER_CONFIG/cli-plugins/docker-buildx"
  bake=("$(command -v docker)" buildx)
fi
echo "bake: ${bake[*]} bake --print"
over=()
for n in "${sizes[@]}"; do
  echo "## $n images x 3 platforms"
  cmds=(
    "vet=$out/bricklayer vet $n"
    "cue-vet=$out/cue vet -c ./$n/cue/schema.cue ./$n/cue/spec.cue"
    "plan=$out/bricklayer plan $n"
    "bake-print=${bake[*]} bake --progress=quiet --print -f ./$n/bake/docker-bake.hcl"
  )
  ratios=(-ratio vet/cue-vet -ratio plan/bake-print)
  if [ -n "$old" ]; then
    cmds+=("vet-old=$old vet $n" "plan-old=$old plan $n")
    ratios+=(-ratio vet-old/cue-vet -ratio plan-old/bake-print -ratio vet/vet-old -ratio plan/plan-old)
  fi
  "$out/benchcmp" -runs "$runs" "${ratios[@]}" "${cmds[@]}" | tee "$n.txt"
  echo
  v="$(awk '/^ratio vet \/ cue-vet:/ {print $5}' "$n.txt")"
  p="$(awk '/^ratio plan \/ bake-print:/ {print $5}' "$n.txt")"
  awk -v r="$v" 'BEGIN {exit !(r > 1.2)}' && over+=("vet at $n images: ${v}x cue vet (budget 1.2x)")
  awk -v r="$p" 'BEGIN {exit !(r > 0.5)}' && over+=("plan at $n images: ${p}x bake --print (budget 0.5x)")
done
if [[ " ${sizes[*]} " == *" 400 "* ]]; then
  rss="$(awk -F'|' '$2 == " plan " {gsub(/ MiB| /, "", $7); print $7}' 400.txt)"
  echo "peak RSS of bricklayer plan at 400 images: $rss MiB (budget 45 MiB)"
  awk -v r="$rss" 'BEGIN {exit !(r > 45)}' && over+=("plan at 400 images: $rss MiB peak (budget 45 MiB)")
fi
for o in "${over[@]}"; do echo "OVER: $o"; done
