#!/usr/bin/env bash
# Start-up budget: `bricklayer version` takes at most 1.1x `cue version`,
# whole process, medians of runs side by side. Both are built the way
# hack/release.sh builds releases (CGO_ENABLED=0, -trimpath,
# -ldflags "-s -w"), cue at the version go.mod pins, so neither pays for
# symbols or cgo the other does not.
#   hack/bench-startup.sh [OLD_BRICKLAYER]
# OLD_BRICKLAYER, a bricklayer built the same way from another commit,
# runs in the same hyperfine sessions for a before/after. Also printed: the
# binaries' sizes and the package inits that cost bricklayer most
# (GODEBUG=inittrace=1, the least of several runs). BENCH_RUNS (default
# 41) and BENCH_SESSIONS (default 3) set the runs per hyperfine session
# and the sessions. Needs hyperfine (apt-get install hyperfine).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${BRICKLAYER_BIN:-$PWD/.bin}/startup"
mkdir -p "$out"
command -v hyperfine >/dev/null || apt-get install -y -qq hyperfine >/dev/null
runs="${BENCH_RUNS:-41}"
sessions="${BENCH_SESSIONS:-3}"
budget=1.10
build=(-trimpath -ldflags "-s -w")

cue_version="$(go list -m -f '{{.Version}}' cuelang.org/go)"
[ -x "$out/cue" ] && "$out/cue" version | grep -q "cue version $cue_version\$" ||
  CGO_ENABLED=0 GOBIN="$out" go install "${build[@]}" "cuelang.org/go/cmd/cue@$cue_version"
CGO_ENABLED=0 go build "${build[@]}" -o "$out/bricklayer" ./cmd/bricklayer

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
names=(bricklayer cue)
bins=("$out/bricklayer" "$out/cue")
if [ -n "${1:-}" ]; then
  old="$(realpath "$1")"
  names=("bricklayer (old)" "${names[@]}")
  bins=("$old" "${bins[@]}")
fi
# Several hyperfine sessions, the commands in turn forwards and backwards:
# a burst of load from elsewhere then slows each command in some session
# rather than one command in all of them.
for session in $(seq "$sessions"); do
  cmds=()
  for i in "${!names[@]}"; do
    [ $((session % 2)) = 1 ] && j=$i || j=$((${#names[@]} - 1 - i))
    cmds+=(-n "${names[$j]}" "${bins[$j]} version")
  done
  echo "== session $session of $sessions"
  hyperfine -N --warmup 5 --runs "$runs" --export-csv "$work/session$session.csv" "${cmds[@]}"
done

echo
echo "medians (ms) per session and, last, the median of the sessions' ratios"
echo "to cue's median: load from elsewhere moves between sessions more than"
echo "within one (budget $budget):"
awk -F, -v budget="$budget" '
  function median(v, k,   a, b, t) {
    for (a = 1; a <= k; a++) for (b = a + 1; b <= k; b++) if (v[b] < v[a]) { t = v[a]; v[a] = v[b]; v[b] = t }
    return (k % 2) ? v[(k + 1) / 2] : (v[k / 2] + v[k / 2 + 1]) / 2
  }
  FNR == 1 { s++; next }
  { med[$1, s] = $4 * 1000; if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 } }
  END {
    for (i = 1; i <= n; i++) {
      c = order[i]; line = ""
      for (k = 1; k <= s; k++) { r[k] = med[c, k] / med["cue", k]; line = line sprintf(" %7.2f", med[c, k]) }
      m = median(r, s)
      verdict = (c == "cue") ? "" : (m <= budget ? "  within budget" : "  OVER budget")
      printf "  %-18s%s  | x%.3f%s\n", c, line, m, verdict
    }
  }' $(seq -f "$work/session%g.csv" "$sessions")

echo
echo "sizes (bytes):"
for b in "$out/bricklayer" "$out/cue" ${old:+"$old"}; do
  printf "  %-50s %s\n" "$b" "$(stat -c %s "$b")"
done

# Package inits: the least clock of several runs per package, as one run
# is noisy on a shared machine.
inits() {
  for _ in 1 2 3 4 5 6 7 8 9 10 11; do
    GODEBUG=inittrace=1 "$@" 2>&1 >/dev/null | grep '^init '
  done | awk '{
      ms = $5 + 0
      if (!($2 in min) || ms < min[$2]) min[$2] = ms
      bytes[$2] = $8; allocs[$2] = $10
    }
    END { for (p in min) printf "%.3f %d %d %s\n", min[p], bytes[p], allocs[p], p }' | sort -rn
}
inits "$out/bricklayer" version >"$work/bricklayer.inits"
inits "$out/cue" version >"$work/cue.inits"
echo
for t in bricklayer cue; do
  awk -v t="$t" '{ ms += $1; b += $2; n++ }
    END { printf "%s: %d package inits, %.2f ms, %d bytes allocated\n", t, n, ms, b }' "$work/$t.inits"
done
echo
echo "bricklayer's costliest package inits (ms, bytes, allocations):"
head -n 15 "$work/bricklayer.inits" | awk '{ printf "  %6.3f %8d %6d  %s\n", $1, $2, $3, $4 }'
