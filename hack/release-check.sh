#!/usr/bin/env bash
# Checks the release binaries hack/release.sh makes: they build, their sums
# check, and the host's binary runs and tells its version.
#   hack/release-check.sh quick   the host's target and one cross-compiled
#                                 one (another OS where there is one);
#                                 hack/test.sh runs this every time
#   hack/release-check.sh full    every target of hack/release.sh
#   hack/release-check.sh auto    full when the release's inputs changed,
#                                 else nothing; .ci/run runs this
# The inputs: hack/release.sh, go.mod, go.sum, the version stamping
# (cmd/bricklayer/cli/version.go) and the Go files built for some
# platforms only (a //go:build line or an _os name). "Changed" means
# different from those of the last full check that passed on this
# machine (a stamp in $BRICKLAYER_STATE); without a stamp (a fresh
# machine), different from the first parent of HEAD (the previous main
# for a merge commit), working tree included; with no parent to compare
# (a shallow clone), changed.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO"
command -v go >/dev/null || export PATH="$PATH:/usr/local/go/bin"

mode="${1:-quick}"
targets="linux/amd64 linux/arm64 linux/arm/v7 darwin/amd64 darwin/arm64"
stamp_file="$STATE/release.stamp"

# inputs: the files the release binaries depend on beyond what every
# test build compiles (the commands' code is built and tested anyway).
inputs() {
  printf '%s\n' hack/release.sh go.mod go.sum cmd/bricklayer/cli/version.go
  git grep -l '^//go:build' -- '*.go' ':!*_test.go' ':!tools/' ':!hack/' ':!testdata/'
  git ls-files -- '*_linux.go' '*_darwin.go' '*_windows.go' '*_unix.go' '*_other.go' ':!*_test.go'
}
fingerprint() {
  { go version; sha256sum "${files[@]}"; } | sha256sum | cut -d' ' -f1
}
mapfile -t files < <(inputs | sort -u)

case "$mode" in
  quick)
    host="$(go env GOOS)/$(go env GOARCH)"
    [ "$(go env GOARCH)" != arm ] || host="$host/v$(go env GOARM | cut -d, -f1)"
    # The last target of another OS: darwin/arm64 from linux/amd64 (another
    # OS and architecture), linux/arm/v7 (32 bits) from darwin.
    cross=
    for t in $targets; do [ "${t%%/*}" = "${host%%/*}" ] || cross="$t"; done
    run="$host $cross"
    ;;
  full) run="$targets" ;;
  auto)
    fp="$(fingerprint)"
    if [ -f "$stamp_file" ]; then
      if [ "$(cat "$stamp_file")" = "$fp" ]; then
        echo "release: inputs unchanged since the last full check here ($stamp_file); skipped"
        exit 0
      fi
      echo "release: inputs changed since the last full check here"
    elif git rev-parse -q --verify 'HEAD^1' >/dev/null && git diff --quiet 'HEAD^1' -- "${files[@]}"; then
      echo "release: inputs unchanged since HEAD^1 (and no stamp here); skipped"
      exit 0
    else
      echo "release: inputs changed since HEAD^1, or no parent to compare"
    fi
    run="$targets"
    ;;
  *) die "usage: $0 quick|full|auto" ;;
esac

rel="$(mktemp -d)"
trap 'rm -rf "$rel"' EXIT
BRICKLAYER_RELEASE_TARGETS="$run" bash hack/release.sh v0.0.0-ci "$rel" >/dev/null
(cd "$rel" && sha256sum -c --quiet SHA256SUMS)
host="$(go env GOOS)/$(go env GOARCH)"
name="bricklayer-v0.0.0-ci-${host//\//-}"
if [ -f "$rel/$name.tar.gz" ]; then
  tar -xzf "$rel/$name.tar.gz" -C "$rel"
  # Captured first: grep -q stops reading at the match, and with pipefail
  # the SIGPIPE that version's later lines then get would fail the check.
  ver="$("$rel/$name/bricklayer" version)"
  grep -q "^bricklayer v0.0.0-ci $host " <<<"$ver" ||
    { printf 'release binary does not report v0.0.0-ci:\n%s\n' "$ver" >&2; exit 1; }
fi
echo "release binaries: ok ($(wc -l <"$rel/SHA256SUMS") targets: $run)"
if [ "$mode" != quick ]; then
  mkdir -p "$STATE"
  fingerprint >"$stamp_file"
fi
