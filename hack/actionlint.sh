#!/usr/bin/env bash
# Lints the GitHub Action: actionlint (pinned in tools/go.mod) checks
# ci/github/example.yml and the workflows of README's "In CI" section and
# of docs/ci.md, their uses of the action resolved against ./action.yml
# (its inputs and outputs, which actionlint parses). actionlint wants a git repository
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
# The documented workflows: the ```yaml blocks that have jobs, of README's
# "In CI" section and of docs/ci.md, with the published action read as
# this checkout's.
extract() { # FILE PREFIX SECTION (empty: the whole file)
  awk -v dir="$tmp/.github/workflows" -v prefix="$2" -v section="$3" '
    BEGIN { inci = (section == "") }
    section != "" && /^## / { inci = ($0 == section) }
    inci && /^```yaml$/ { n++; buf = ""; inblock = 1; next }
    inblock && /^```$/ { inblock = 0; if (buf ~ /\njobs:/ || buf ~ /^jobs:/) { f = dir "/" prefix n ".yml"; printf "%s", buf > f; close(f) }; next }
    inblock { sub(/uses: bricklayer-build\/bricklayer@[^ ]*/, "uses: ./"); buf = buf $0 "\n" }
  ' "$1"
}
extract README.md readme- "## In CI"
extract docs/ci.md docs-ci- ""
n="$(find "$tmp/.github/workflows" -name 'readme-*.yml' | wc -l)"
[ "$n" -gt 0 ] || { echo "README.md: no workflow in \"In CI\"" >&2; exit 1; }
m="$(find "$tmp/.github/workflows" -name 'docs-ci-*.yml' | wc -l)"
[ "$m" -gt 0 ] || { echo "docs/ci.md: no workflow" >&2; exit 1; }
(cd "$tmp" && "$bin" -no-color -oneline 2>&1 | sed -e "s|^.github/workflows/readme-|README.md workflow |" -e "s|^.github/workflows/docs-ci-|docs/ci.md workflow |") || {
  echo "actionlint: see above (workflow N is the Nth yaml block of README's \"In CI\", or of docs/ci.md)" >&2
  exit 1
}
echo "actionlint: ok ($("$bin" -version | head -1); example, $n README and $m docs/ci.md workflows)"
