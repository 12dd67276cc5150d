// Package specgen writes synthetic bricklayer.cue files of a given size,
// for benchmarks.
package specgen

import (
	"fmt"
	"strings"
)

// Generate returns a spec of n images on three platforms: realistic
// images with shared build-platform stages, steps of every kind, tags and
// per-platform overrides.
func Generate(n int) []byte {
	var b strings.Builder
	b.WriteString("platforms: [\"linux/amd64\", \"linux/arm64\", \"linux/arm/v7\"]\n\n")
	stages := (n + 9) / 10
	b.WriteString("stages: {\n")
	for s := 0; s < stages; s++ {
		fmt.Fprintf(&b, `	"compile-%d": {
		from:          "golang:1.23-bookworm"
		buildPlatform: true
		workdir:       "/src"
		steps: [
			{copy: ["go.mod", "go.sum"], dest: "./"},
			{run: "go mod download", cache: [{target: "/root/go/pkg/mod"}]},
			{copy: "cmd/svc%d", dest: "./cmd/"},
			{arg: {TARGETOS: null, TARGETARCH: null}},
			{run: "GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /out/ ./cmd/..."},
		]
	}
`, s, s)
	}
	b.WriteString("}\n\nimages: {\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `	"svc-%d": {
		repository: "ghcr.io/acme/svc-%d"
		from:       "debian:bookworm-slim"
		args: {VERSION: "1.%d.0", ARCH: *"amd64" | string}
		env: {SERVICE: "svc-%d", LOG_LEVEL: "info"}
		labels: {"org.opencontainers.image.title": "svc-%d", team: "team-%d"}
		steps: [
			{run: "apt-get update && apt-get install -y ca-certificates", cache: [{target: "/var/cache/apt", sharing: "locked"}]},
			{copy: "/out/", from: "compile-%d", dest: "/usr/local/bin/"},
			{copy: ["config/svc-%d.yml", "static/"], dest: "/etc/svc/"},
			{workdir: "/srv"},
			{run: "echo $VERSION $ARCH > /srv/version", secrets: [{id: "token"}]},
			{user: "1000:1000"},
		]
		entrypoint: ["/usr/local/bin/svc"]
		cmd: ["--port", "80%02d"]
		expose: [8080]
		tags: ["latest", "1.%d.0", "1.%d"]
		platform: "linux/arm/v7": args: ARCH: "armv7"
	}
`, i, i, i, i, i, i%7, i/10, i, i%100, i, i)
	}
	b.WriteString("}\n")
	return []byte(b.String())
}

// GenerateBake returns a docker buildx bake file (HCL) with the images of
// Generate(n) as targets: the same repositories, platforms, tags, args
// and labels, each built from a Dockerfile in "." with its shared compile
// stage as a named context, and a default group of them all. Bake has no
// per-platform args; the rest is what bake --print has to evaluate for
// the same build.
func GenerateBake(n int) []byte {
	var b strings.Builder
	b.WriteString("variable \"PLATFORMS\" { default = [\"linux/amd64\", \"linux/arm64\", \"linux/arm/v7\"] }\n\n")
	b.WriteString("group \"default\" {\n\ttargets = [")
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "\"svc-%d\"", i)
	}
	b.WriteString("]\n}\n\n")
	for s := 0; s < (n+9)/10; s++ {
		fmt.Fprintf(&b, `target "compile-%d" {
	context    = "."
	dockerfile = "Dockerfile.compile"
	args       = { SVC = "svc%d" }
	platforms  = PLATFORMS
}

`, s, s)
	}
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `target "svc-%d" {
	context    = "."
	dockerfile = "Dockerfile"
	contexts   = { compile = "target:compile-%d" }
	args       = { VERSION = "1.%d.0", ARCH = "amd64", SERVICE = "svc-%d" }
	labels     = { "org.opencontainers.image.title" = "svc-%d", team = "team-%d" }
	tags       = ["ghcr.io/acme/svc-%d:latest", "ghcr.io/acme/svc-%d:1.%d.0", "ghcr.io/acme/svc-%d:1.%d"]
	platforms  = PLATFORMS
}

`, i, i/10, i, i, i, i%7, i, i, i, i, i)
	}
	return []byte(b.String())
}
