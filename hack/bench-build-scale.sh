#!/usr/bin/env bash
# Build budgets of issue 25, whole process, side by side on one daemon and
# one loopback registry (hack/services.sh), for N Dockerfile images x 3
# platforms (FROM busybox, ARG N, RUN echo $N > /n):
#   warm  build --push, every step cached:   <= 0.6x `docker buildx bake --push`
#         of the same targets (N = 20 and 100); client CPU at 20 <= bake's;
#         peak RSS at 100 <= 1.5x bake's
#   new   build --push with a new RUN step per image and platform (a fresh
#         SALT build arg each run; two of three platforms under QEMU):
#         <= 0.9x bake --push (N = 20)
#   hack/bench-build-scale.sh [OLD_BRICKLAYER]
# OLD_BRICKLAYER, a bricklayer built the same way from another commit,
# runs in the same rounds for a before/after. Binaries are built as
# releases are; buildx is the version tools/buildx/go.mod pins, a plugin
# of the docker CLI with a remote builder on the loopback buildkitd. Both
# push with their default provenance (mode=min) and history (bake has
# BuildKit record each build; bricklayer, without --history, does not).
# "floor" is bricklayer built with -tags benchfloor: the same sessions,
# solves, exports and pushes of each platform, then nothing (no index of
# ours, no tag). It is BuildKit's and the registry's share of a build,
# the exports bake asks for too: floor / bake is the least build / bake
# can be while BuildKit does that work.
# The commands of one case take turns (hack/benchcmp), BENCH_RUNS rounds
# (default 7; BENCH_NEW_RUNS for new steps, default 5). BENCH_SIZES
# (default "1 20 100") and BENCH_NEW_SIZES (default "1 20") pick the
# cases. Prints the tables and ratios, then OVER for each budget not met
# and FLOOR for each the floor itself does not meet (exit 0 all the same).
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(bash hack/services.sh env)"
# BENCH_BUILDKIT_HOST: another daemon than hack/services.sh's (a fresh
# one, without its history; see below).
BUILDKIT_HOST="${BENCH_BUILDKIT_HOST:-$BUILDKIT_HOST}"
REGISTRY="$BRICKLAYER_REGISTRY"
BIN="${BENCH_OUT:-$PWD/.bin}"
out="$BIN/bench"
mkdir -p "$out"
runs="${BENCH_RUNS:-7}"
new_runs="${BENCH_NEW_RUNS:-5}"
read -ra sizes <<<"${BENCH_SIZES:-1 20 100}"
read -ra new_sizes <<<"${BENCH_NEW_SIZES:-1 20}"
base="$REGISTRY/bricklayer-test/busybox:latest"
command -v docker >/dev/null || { echo "bench-build-scale: needs the docker CLI (hack/install.sh)" >&2; exit 1; }

# shellcheck source=SCRIPTDIR/lib.sh
source hack/lib.sh
bench_tools "$out"
# bake records every build in the daemon's build history, and BuildKit
# reads every record on each new one (it keeps 48 hours of them, however
# many): a daemon with thousands slows down the runs after bake's, ours
# included. bricklayer records none unless --history asks.
echo "build-history records on the daemon: $(buildctl debug histories --format '{{.Record.Ref}}' 2>/dev/null | wc -l)"
old=""
if [ -n "${1:-}" ]; then old="$(realpath "$1")"; fi

work="$(mktemp -d)"
# buildx keeps its state here, not in the user's ~/.docker.
export BUILDX_CONFIG="$work/buildx" DOCKER_CONFIG="$work/docker"
mkdir -p "$DOCKER_CONFIG/cli-plugins"
ln -s "$out/buildx" "$DOCKER_CONFIG/cli-plugins/docker-buildx"
trap 'docker buildx rm bench-build-scale >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
docker buildx create --name bench-build-scale --driver remote "$BUILDKIT_HOST" >/dev/null

# run.sh runs a build with a fresh SALT (new steps) or none (warm), as
# the same process (exec), so benchcmp measures the build alone.
cat >"$work/run.sh" <<'EOF'
#!/usr/bin/env bash
mode="$1"; shift
salt=""
if [ "$mode" = new ]; then salt="$(date +%s%N)"; fi
args=()
for a in "$@"; do args+=("${a//@SALT@/$salt}"); done
exec "${args[@]}"
EOF
chmod +x "$work/run.sh"

# One directory per size: the spec, the bake file and their Dockerfile.
gen() {
  local n="$1" dir="$work/$1" run="bench-build-scale/$(date +%s%N)"
  mkdir -p "$dir"
  printf 'FROM %s\nARG N\nARG SALT\nRUN echo $N $SALT > /n\n' "$base" >"$dir/Dockerfile"
  {
    echo 'platforms: ["linux/amd64", "linux/arm64", "linux/arm/v7"]'
    echo 'images: {'
    for i in $(seq 1 "$n"); do
      printf '\t"img-%d": {repository: "%s/%s/bl-%d", dockerfile: "Dockerfile", args: N: "%d", tags: ["latest"]}\n' "$i" "$REGISTRY" "$run" "$i" "$i"
    done
    echo '}'
  } >"$dir/bricklayer.cue"
  {
    printf 'group "default" {\n\ttargets = ['
    for i in $(seq 1 "$n"); do printf '%s"img-%d"' "$([ "$i" -gt 1 ] && echo ', ')" "$i"; done
    printf ']\n}\n'
    for i in $(seq 1 "$n"); do
      printf 'target "img-%d" {\n\tcontext = "."\n\tdockerfile = "Dockerfile"\n\targs = { N = "%d" }\n' "$i" "$i"
      printf '\tplatforms = ["linux/amd64", "linux/arm64", "linux/arm/v7"]\n\ttags = ["%s/%s/bake-%d:latest"]\n}\n' "$REGISTRY" "$run" "$i"
    done
  } >"$dir/docker-bake.hcl"
}

# Every run starts from a daemon without build records (removed before
# it, not timed): bake's pile up otherwise, 100 a run at 100 images, and
# BuildKit reads them all on each new one, which stalled whole rounds
# (every command's) to 30-40 s. BENCH_KEEP_HISTORY=1 keeps them.
before=(-before "$(command -v docker) buildx history rm --builder bench-build-scale --all")
if [ -n "${BENCH_KEEP_HISTORY:-}" ]; then before=(); fi
over=() floors=()
case_() { # mode n runs
  local mode="$1" n="$2" r="$3" dir="$work/$2"
  echo "## $mode, $n images x 3 platforms"
  local bl="--progress quiet --push --insecure-registry $REGISTRY --arg SALT=@SALT@"
  local cmds=(
    "build=$work/run.sh $mode $out/bricklayer build $dir $bl"
    "bake=$work/run.sh $mode $(command -v docker) buildx bake --builder bench-build-scale --progress quiet --push -f $dir/docker-bake.hcl --set *.args.SALT=@SALT@"
    "floor=$work/run.sh $mode $out/bricklayer-floor build $dir $bl"
  )
  local ratios=(-ratio build/bake -ratio floor/bake)
  if [ -n "$old" ]; then
    cmds+=("build-old=$work/run.sh $mode $old build $dir $bl")
    ratios+=(-ratio build-old/bake -ratio build/build-old)
  fi
  (cd "$dir" && "$out/benchcmp" -runs "$r" -warmup 1 "${before[@]}" "${ratios[@]}" "${cmds[@]}") | tee "$work/$mode-$n.txt"
  echo
}
ratio() { awk -v want="ratio $1 / $2:" 'index($0, want) == 1 {print $5}' "$3"; }
cpu() { awk -F'|' -v c=" $1 " '$2 == c {gsub(/ ms| /, "", $6); print $6}' "$2"; }
rss() { awk -F'|' -v c=" $1 " '$2 == c {gsub(/ MiB| /, "", $7); print $7}' "$2"; }

for n in $(printf '%s\n' "${sizes[@]}" "${new_sizes[@]}" | sort -nu); do gen "$n"; done
for n in "${sizes[@]}"; do
  case_ warm "$n" "$runs"
  f="$work/warm-$n.txt"
  if [ "$n" = 20 ] || [ "$n" = 100 ]; then
    w="$(ratio build bake "$f")" fl="$(ratio floor bake "$f")"
    awk -v r="$w" 'BEGIN {exit !(r > 0.6)}' && over+=("warm push at $n images: ${w}x bake (budget 0.6x)")
    awk -v r="$fl" 'BEGIN {exit !(r > 0.6)}' && floors+=("warm push at $n images: BuildKit's share alone is ${fl}x bake (budget 0.6x)")
  fi
  if [ "$n" = 20 ]; then
    a="$(cpu build "$f")" b="$(cpu bake "$f")"
    awk -v a="$a" -v b="$b" 'BEGIN {exit !(a > b)}' && over+=("client CPU at 20 images: $a ms, bake $b ms")
  fi
  if [ "$n" = 100 ]; then
    a="$(rss build "$f")" b="$(rss bake "$f")"
    awk -v a="$a" -v b="$b" 'BEGIN {exit !(a > 1.5 * b)}' && over+=("peak RSS at 100 images: $a MiB, bake $b MiB (budget 1.5x)")
  fi
done
for n in "${new_sizes[@]}"; do
  case_ new "$n" "$new_runs"
  if [ "$n" = 20 ]; then
    w="$(ratio build bake "$work/new-$n.txt")" fl="$(ratio floor bake "$work/new-$n.txt")"
    awk -v r="$w" 'BEGIN {exit !(r > 0.9)}' && over+=("new steps at $n images: ${w}x bake (budget 0.9x)")
    awk -v r="$fl" 'BEGIN {exit !(r > 0.9)}' && floors+=("new steps at $n images: BuildKit's share alone is ${fl}x bake (budget 0.9x)")
  fi
done
for o in "${over[@]}"; do echo "OVER: $o"; done
for f in "${floors[@]}"; do echo "FLOOR: $f"; done
