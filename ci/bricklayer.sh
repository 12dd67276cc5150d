#!/usr/bin/env bash
# The GitHub Action (action.yml) and the Azure Pipelines template
# (ci/azure/bricklayer.yml, which carries this file inline) run this script:
# install a release of bricklayer (checksum checked), bootstrap a builder,
# log in, vet, plan (into the job summary), then build or publish, and set
# the step's outputs (metadata JSON, index digests).
#
# Inputs are INPUT_* variables (INPUT_VERSION, INPUT_SPEC, INPUT_PUSH,
# INPUT_PLATFORMS, INPUT_IMAGES, INPUT_METADATA_FILE, INPUT_LOGIN_REGISTRY,
# INPUT_LOGIN_USERNAME, INPUT_LOGIN_PASSWORD, INPUT_MODE, INPUT_METADATA_FILES,
# INPUT_BUILDER_ADDR, INPUT_INSECURE_REGISTRY, INPUT_ARGS, INPUT_QEMU,
# INPUT_PROVENANCE).
# BRICKLAYER_BIN names a bricklayer binary to use instead of a release;
# BRICKLAYER_RELEASES is the base URL of the releases (tests: file://).
#
# Azure replaces a variable's macro, a dollar and its name in parentheses,
# in an inline script: no command substitution here is a single word
# (TestActionTemplate checks).
set -euo pipefail

releases="${BRICKLAYER_RELEASES:-https://github.com/bricklayer-build/bricklayer/releases}"

# --- the CI we run in -------------------------------------------------------
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  ci=github
elif [ "${TF_BUILD:-}" = True ] || [ "${TF_BUILD:-}" = true ]; then
  ci=azure
else
  ci=none
fi
tmp="${RUNNER_TEMP:-${AGENT_TEMPDIRECTORY:-${TMPDIR:-/tmp}}}"
work="$(mktemp -d "$tmp/bricklayer.XXXXXX")"
trap 'rm -rf "$work"' EXIT

group() { case $ci in github) echo "::group::$*" ;; azure) echo "##[group]$*" ;; *) echo "==> $*" ;; esac; }
endgroup() { case $ci in github) echo "::endgroup::" ;; azure) echo "##[endgroup]" ;; esac; }
fail() {
  case $ci in
    github) echo "::error title=bricklayer::$1" ;;
    azure) echo "##vso[task.logissue type=error]$1" ;;
    *) echo "bricklayer action: $1" >&2 ;;
  esac
  exit "${2:-1}"
}

# output NAME VALUE [AZURE_NAME] sets an output of the step (GitHub: any
# text, with a delimiter; Azure: one line, as an output variable, whose
# name has no '-').
output() {
  case $ci in
    github)
      local d="ghadelimiter_${RANDOM}${RANDOM}${RANDOM}"
      case "$2" in *"$d"*) fail "output $1 holds its delimiter" ;; esac
      printf '%s<<%s\n%s\n%s\n' "$1" "$d" "$2" "$d" >>"$GITHUB_OUTPUT"
      ;;
    azure) printf '##vso[task.setvariable variable=%s;isoutput=true]%s\n' "${3:-$1}" "$(printf '%s' "$2" | tr '\n' ' ')" ;;
    *) printf '%s=%s\n' "$1" "$2" ;;
  esac
}

# setenv NAME VALUE: for the job's later steps too.
setenv() {
  export "$1=$2"
  case $ci in
    github) [ -z "${GITHUB_ENV:-}" ] || printf '%s=%s\n' "$1" "$2" >>"$GITHUB_ENV" ;;
    azure) printf '##vso[task.setvariable variable=%s]%s\n' "$1" "$2" ;;
  esac
}

summary_file="$work/summary.md"
: >"$summary_file"
summary() { cat >>"$summary_file"; }
flush_summary() {
  [ -s "$summary_file" ] || return 0
  case $ci in
    github) [ -z "${GITHUB_STEP_SUMMARY:-}" ] || cat "$summary_file" >>"$GITHUB_STEP_SUMMARY" ;;
    azure)
      local keep="${AGENT_TEMPDIRECTORY:-$tmp}/bricklayer-summary-$RANDOM.md"
      cp "$summary_file" "$keep"
      echo "##vso[task.uploadsummary]$keep"
      ;;
  esac
}

bool() {
  case "$(printf '%s' "${1:-}" | tr '[:upper:]' '[:lower:]')" in
    true | yes | 1 | on) echo true ;;
    false | no | 0 | off | '') echo false ;;
    *) fail "not a boolean: $1" 2 ;;
  esac
}

# words splits a list given one item a line, or separated by commas or
# spaces, into the array named by $1; $3, when given, is what separates
# instead (args: only blanks, as --cache-to type=x,ref=y has commas).
words() {
  local -n into="$1"
  local IFS="${3:-$' \t\n,'}"
  set -f
  # shellcheck disable=SC2206 # splitting is the point; globbing is off
  into=($2)
  set +f
}

mode="${INPUT_MODE:-build}"
case "$mode" in build | publish) ;; *) fail "mode is build or publish, not $mode" 2 ;; esac
spec="${INPUT_SPEC:-.}"
push="$(bool "${INPUT_PUSH:-false}")"
command -v jq >/dev/null || fail "jq is needed (GitHub's and Azure's hosted images have it)"

# --- install ----------------------------------------------------------------
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
    group "install bricklayer $v ($p)"
    (
      cd "$work"
      curl -fsSLO --retry 3 "$releases/download/$v/$name.tar.gz"
      curl -fsSLO --retry 3 "$releases/download/$v/SHA256SUMS"
      grep -E "^[0-9a-f]{64}  $name\.tar\.gz\$" SHA256SUMS >want.sum ||
        fail "SHA256SUMS of $v lists no $name.tar.gz"
      sha256 -c want.sum || fail "checksum of $name.tar.gz does not match SHA256SUMS"
      tar -xzf "$name.tar.gz"
      mkdir -p "$dir"
      mv "$name/bricklayer" "$dir/bricklayer.tmp" && mv "$dir/bricklayer.tmp" "$dir/bricklayer"
    )
    endgroup
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
case $ci in
  github) [ -z "${GITHUB_PATH:-}" ] || echo "$bindir" >>"$GITHUB_PATH" ;;
  azure) echo "##vso[task.prependpath]$bindir" ;;
esac

insecure=()
words regs "${INPUT_INSECURE_REGISTRY:-}"
for r in "${regs[@]}"; do insecure+=(--insecure-registry "$r"); done
words extra "${INPUT_ARGS:-}" $' \t\n'
words images "${INPUT_IMAGES:-}"
words platforms "${INPUT_PLATFORMS:-}"

# --- QEMU -------------------------------------------------------------------
# builder bootstrap sets up emulation for the spec's foreign platforms: the
# BuildKit image's own emulators run them without root (auto). host also
# installs the distribution's qemu-user-static with sudo, which registers
# the kernel's handlers, for platforms the image lacks; false turns it off.
qemu="${INPUT_QEMU:-auto}"
emulation=(--emulation=on)
case "$qemu" in
auto | true) ;;
false) emulation=(--emulation=off) ;;
host)
  if [ "$mode" = build ] && [ "$(uname -s)" = Linux ] &&
    ! compgen -G '/proc/sys/fs/binfmt_misc/qemu-*' >/dev/null; then
    command -v apt-get >/dev/null && sudo -n true 2>/dev/null ||
      fail "qemu: host needs apt-get and sudo to install qemu-user-static"
    group "install qemu-user-static"
    # A fresh runner's package lists can be stale.
    sudo -n apt-get update -qq &&
      sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends qemu-user-static
    endgroup
  fi
  ;;
*) fail "qemu must be auto, host or false, not $qemu" 2 ;;
esac

# --- log in -----------------------------------------------------------------
if [ -n "${INPUT_LOGIN_USERNAME:-}" ] || [ -n "${INPUT_LOGIN_PASSWORD:-}" ]; then
  [ -n "${INPUT_LOGIN_USERNAME:-}" ] && [ -n "${INPUT_LOGIN_PASSWORD:-}" ] ||
    fail "login needs both login-username and login-password" 2
  [ "$ci" != github ] || echo "::add-mask::$INPUT_LOGIN_PASSWORD"
  group "docker login ${INPUT_LOGIN_REGISTRY:-docker.io}"
  printf '%s' "$INPUT_LOGIN_PASSWORD" |
    docker login ${INPUT_LOGIN_REGISTRY:+"$INPUT_LOGIN_REGISTRY"} -u "$INPUT_LOGIN_USERNAME" --password-stdin ||
    fail "docker login ${INPUT_LOGIN_REGISTRY:-docker.io} failed"
  endgroup
fi

run() {
  echo "+ bricklayer $*"
  local rc=0
  "$bin" "$@" || rc=$?
  [ "$rc" = 0 ] || { flush_summary; fail "bricklayer $1 failed (exit $rc)" "$rc"; }
}

# --- vet, plan ----------------------------------------------------------------
run vet "$spec"
group "bricklayer plan"
run plan "$spec"
endgroup
"$bin" plan --format json "$spec" >"$work/plan.json"
{
  echo "### bricklayer $mode"
  echo
  echo "| image | repository | tags | platforms |"
  echo "| --- | --- | --- | --- |"
  jq -r '.images[] | "| \(.name) | `\(.repository)` | \(.tags | map("`" + . + "`") | join(" ")) | \(.platforms | map(.platform) | join(", ")) |"' "$work/plan.json"
  echo
} | summary

# --- build or publish -------------------------------------------------------
meta="${INPUT_METADATA_FILE:-}"
[ -n "$meta" ] || meta="$tmp/bricklayer-metadata.json"

if [ "$mode" = build ]; then
  addr="${INPUT_BUILDER_ADDR:-}"
  group "bricklayer builder bootstrap"
  if [ -n "$addr" ]; then
    run builder bootstrap --addr "$addr" --spec "$spec" "${emulation[@]}" ${insecure[@]+"${insecure[@]}"}
  else
    addr=docker-container://bricklayer
    run builder bootstrap --driver docker-container --spec "$spec" "${emulation[@]}" ${insecure[@]+"${insecure[@]}"}
  fi
  endgroup
  setenv BUILDKIT_HOST "$addr"
  cmd=(build "$spec" ${images[@]+"${images[@]}"} --addr "$addr" --progress plain --metadata-file "$meta")
  [ "$push" = false ] || cmd+=(--push)
  # bricklayer checks the value (true, false, mode=min|max).
  [ "${INPUT_PROVENANCE:-false}" = false ] || cmd+=(--provenance "$INPUT_PROVENANCE")
  if [ "${#platforms[@]}" -gt 0 ]; then
    cmd+=(--platform "$(IFS=,; echo "${platforms[*]}")")
  fi
else
  [ -n "${INPUT_METADATA_FILES:-}" ] || fail "publish mode needs metadata-files" 2
  words patterns "$INPUT_METADATA_FILES"
  files=()
  for pat in "${patterns[@]}"; do
    matched=0
    for f in $pat; do
      [ -e "$f" ] || continue
      files+=("$f")
      matched=1
    done
    [ "$matched" = 1 ] || fail "metadata-files: nothing matches $pat"
  done
  cmd=(publish "$spec" "${files[@]}" --metadata-file "$meta")
  for i in ${images[@]+"${images[@]}"}; do cmd+=(--image "$i"); done
fi
cmd+=(${insecure[@]+"${insecure[@]}"} ${extra[@]+"${extra[@]}"})
run "${cmd[@]}"

# --- outputs ------------------------------------------------------------------
if [ "$ci" = azure ]; then
  output metadata "$(jq -c . "$meta")"
else
  output metadata "$(cat "$meta")"
fi
output metadata-file "$meta" metadataFile
digests="$(jq -c '.images | with_entries(select(.value.digest) | .value = .value.digest)' "$meta")"
output digests "$digests"
{
  echo "| image | digest | tags |"
  echo "| --- | --- | --- |"
  jq -r '.images | to_entries[] | "| \(.key) | `\(.value.digest // "by platform: " + (.value.platforms | map(.platform + " " + .digest) | join(", ")))` | \(.value.tags | map("`" + . + "`") | join(" ")) |"' "$meta"
} | summary
flush_summary
