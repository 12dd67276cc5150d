#!/usr/bin/env bash
# The install step of the GitHub Action (action.yml) and of the Azure
# Pipelines template (ci/azure/bricklayer.yml, which carries this file
# inline): install a release of bricklayer, its checksum checked against
# the release's SHA256SUMS, and hand it to the next step, which runs
# `bricklayer ci` (GitHub: the step output bin; both: PATH).
#
# INPUT_VERSION is the release (v1.2.3, or latest). BRICKLAYER_BIN names
# a bricklayer binary to use instead of a release; BRICKLAYER_RELEASES
# is the base URL of the releases (tests: file://).
#
# Azure replaces a variable's macro, a dollar and its name in parentheses,
# in an inline script: no command substitution here is a single word
# (TestActionTemplate checks).
set -euo pipefail

releases="${BRICKLAYER_RELEASES:-https://github.com/bricklayer-build/bricklayer/releases}"
if [ "${GITHUB_ACTIONS:-}" = true ]; then
  ci=github
elif [ "${TF_BUILD:-}" = True ] || [ "${TF_BUILD:-}" = true ]; then
  ci=azure
else
  ci=none
fi
tmp="${RUNNER_TEMP:-${AGENT_TEMPDIRECTORY:-${TMPDIR:-/tmp}}}"
work=""
trap '[ -z "$work" ] || rm -rf "$work"' EXIT

fail() {
  case $ci in
    github) echo "::error title=bricklayer::$1" ;;
    azure) echo "##vso[task.logissue type=error]$1" ;;
    *) echo "bricklayer install: $1" >&2 ;;
  esac
  exit "${2:-1}"
}

sha256() {
  if command -v sha256sum >/dev/null; then sha256sum "$@"; else shasum -a 256 "$@"; fi
}

install_release() {
  local v="${INPUT_VERSION:-latest}" os arch p
  if [ "$v" = latest ]; then
    # The releases page redirects to the newest tag; no API token needed.
    v="$(curl -fsSLI -o /dev/null -w '%{url_effective}' "$releases/latest")"
    v="${v##*/}"
  fi
  case "$v" in v[0-9]*) ;; *) fail "version must look like v1.2.3 (or be latest), not $v" 2 ;; esac
  os="$(uname -s | tr '[:upper:]' '[:lower:]')"
  case "$(uname -m)" in
    x86_64 | amd64) arch=amd64 ;;
    aarch64 | arm64) arch=arm64 ;;
    armv7l | armv7*) arch=arm-v7 ;;
    *) fail "no release of bricklayer for $os on $(uname -m)" ;;
  esac
  p="$os-$arch"
  local name="bricklayer-$v-$p"
  local dir="${RUNNER_TOOL_CACHE:-${AGENT_TOOLSDIRECTORY:-$tmp}}/bricklayer/$v/$p"
  if [ ! -x "$dir/bricklayer" ]; then
    case $ci in github) echo "::group::install bricklayer $v ($p)" ;; azure) echo "##[group]install bricklayer $v ($p)" ;; esac
    work="$(mktemp -d "$tmp/bricklayer.XXXXXX")"
    (
      cd "$work"
      curl -fsSLO --retry 3 "$releases/download/$v/$name.tar.gz"
      curl -fsSLO --retry 3 "$releases/download/$v/SHA256SUMS"
      grep -E "^[0-9a-f]{64}  $name\.tar\.gz\$" SHA256SUMS >want.sum ||
        fail "SHA256SUMS of $v lists no $name.tar.gz"
      sha256 -c want.sum || fail "checksum of $name.tar.gz does not match SHA256SUMS"
      tar -xzf "$name.tar.gz"
      mkdir -p "$dir"
      # Jobs that share the tool cache may install at once: each moves its
      # own copy in under a name of its own, then renames it over the
      # binary, which is whole at every moment.
      mv "$name/bricklayer" "$dir/.bricklayer.$$" && mv -f "$dir/.bricklayer.$$" "$dir/bricklayer"
    )
    case $ci in github) echo "::endgroup::" ;; azure) echo "##[endgroup]" ;; esac
  fi
  bin="$dir/bricklayer"
}

if [ -n "${BRICKLAYER_BIN:-}" ]; then
  bin="$BRICKLAYER_BIN"
else
  install_release
fi
"$bin" version
bindir="$(cd "$(dirname "$bin")" && pwd)"
bin="$bindir/$(basename "$bin")"
case $ci in
  github)
    [ -z "${GITHUB_PATH:-}" ] || echo "$bindir" >>"$GITHUB_PATH"
    [ -z "${GITHUB_OUTPUT:-}" ] || echo "bin=$bin" >>"$GITHUB_OUTPUT"
    ;;
  azure) echo "##vso[task.prependpath]$bindir" ;;
  *) echo "bin=$bin" ;;
esac
