#!/usr/bin/env bash
# Release binaries: static bricklayer builds for the platforms users run it
# on, with the version stamped, as tarballs plus a SHA256SUMS file.
#   hack/release.sh VERSION [OUTDIR]      (OUTDIR default dist/VERSION)
# Nothing is published from here. BRICKLAYER_RELEASE_TARGETS (space
# separated os/arch[/variant]) narrows the targets, e.g. for a quick check.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v go >/dev/null || export PATH="$PATH:/usr/local/go/bin"

version="${1:?usage: hack/release.sh VERSION [OUTDIR]}"
case "$version" in
  v[0-9]*) ;;
  *) echo "VERSION must look like v1.2.3, not $version" >&2; exit 2 ;;
esac
out="${2:-dist/$version}"
targets="${BRICKLAYER_RELEASE_TARGETS:-linux/amd64 linux/arm64 linux/arm/v7 darwin/amd64 darwin/arm64}"
ldflags="-s -w -X github.com/bricklayer-build/bricklayer/cmd/bricklayer/cli.stamped=$version"

mkdir -p "$out"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
for t in $targets; do
  IFS=/ read -r os arch variant <<<"$t"
  name="bricklayer-$version-$os-$arch${variant:+-$variant}"
  mkdir -p "$tmp/$name"
  echo "==> $t" >&2
  GOOS="$os" GOARCH="$arch" GOARM="${variant#v}" CGO_ENABLED=0 \
    go build -trimpath -ldflags "$ldflags" -o "$tmp/$name/bricklayer" ./cmd/bricklayer
  # README links into docs/ and CONTRIBUTING.md: they travel with it.
  cp -R README.md CONTRIBUTING.md docs "$tmp/$name/"
  # Fixed owners and times: the same commit gives the same tarball.
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime='@0' \
    -C "$tmp" -cf - "$name" | gzip -n >"$tmp/$name.tar.gz"
  mv "$tmp/$name.tar.gz" "$out/"
done
(cd "$out" && sha256sum bricklayer-*.tar.gz >SHA256SUMS.tmp && mv SHA256SUMS.tmp SHA256SUMS)
echo "==> $out:" >&2
cat "$out/SHA256SUMS"
