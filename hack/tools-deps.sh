#!/usr/bin/env bash
# Checks that every package bricklayer (tests included) and the demo's
# tools (buildkitd, buildctl, the registry, crane: tools/go.mod) both
# build comes from the same module version in go.mod and tools/go.mod.
# Built with the same flags (lib.sh's), such a package is compiled once
# and its build reused from the Go cache by the other module; a version
# apart makes it, and every package above it, a second compile (a cold
# hack/demo.sh spends most of its time compiling). Exit 1 lists the
# modules to align: go get MODULE@VERSION in the module that is behind.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
command -v go >/dev/null || export PATH="$PATH:/usr/local/go/bin"

fmt='{{if not .Standard}}{{.ImportPath}} {{with .Module}}{{.Path}}@{{.Version}}{{end}}{{end}}'
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$REPO" && go list -deps -test -f "$fmt" ./...) | grep -v '[][]\|\.test ' | sort -u >"$tmp/bricklayer"
(cd "$REPO/tools" && go list -deps -f "$fmt" github.com/moby/buildkit/cmd/buildkitd \
  github.com/moby/buildkit/cmd/buildctl ./registry github.com/google/go-containerregistry/cmd/crane) |
  sort -u >"$tmp/tools"
# "import-path bricklayer's-module@version tools'-module@version", when they differ.
apart="$(join "$tmp/bricklayer" "$tmp/tools" | awk '$2 != $3 {print $2, $3}' | sort -u)"
shared="$(join "$tmp/bricklayer" "$tmp/tools" | wc -l)"
if [ -n "$apart" ]; then
  printf 'ERROR: packages both modules build, at other versions (go.mod, then tools/go.mod):\n%s\n' "$apart" >&2
  exit 1
fi
echo "tools: the $shared packages bricklayer shares with buildkitd, buildctl, the registry and crane are of the same versions"
