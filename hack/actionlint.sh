#!/usr/bin/env bash
# Lints the GitHub Action: actionlint (pinned in tools/go.mod) checks
# ci/github/example.yml and the workflows of README's "In CI" section,
# their uses of the action resolved against ./action.yml (its inputs and
# outputs, which actionlint parses). actionlint wants a git repository
# with .github/workflows, so the files are linted from a copy.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${ACTIONLINT:-.bin/actionlint}"
[ -x "$bin" ] || bin="$(command -v actionlint)" || { echo "actionlint not found (bash hack/install.sh builds it)" >&2; exit 1; }
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/.github/workflows" "$tmp/.git"
cp action.yml "$tmp/"
cp ci/github/example.yml "$tmp/.github/workflows/example.yml"
# README's workflows: the ```yaml blocks of "In CI" that have jobs, with
# the published action read as this checkout's.
awk -v dir="$tmp/.github/workflows" '
  /^## / { inci = ($0 == "## In CI") }
  inci && /^```yaml$/ { n++; buf = ""; inblock = 1; next }
  inblock && /^```$/ { inblock = 0; if (buf ~ /\njobs:/ || buf ~ /^jobs:/) { f = dir "/readme-" n ".yml"; printf "%s", buf > f; close(f) }; next }
  inblock { sub(/uses: bricklayer-build\/bricklayer@[^ ]*/, "uses: ./"); buf = buf $0 "\n" }
' README.md
n="$(find "$tmp/.github/workflows" -name 'readme-*.yml' | wc -l)"
[ "$n" -gt 0 ] || { echo "README.md: no workflow in \"In CI\"" >&2; exit 1; }
(cd "$tmp" && "$bin" -no-color -oneline 2>&1 | sed "s|^.github/workflows/readme-|README.md workflow |") || {
  echo "actionlint: see above (README.md workflow N is the Nth yaml block of \"In CI\")" >&2
  exit 1
}
echo "actionlint: ok ($("$bin" -version | head -1); example and $n README workflows)"
