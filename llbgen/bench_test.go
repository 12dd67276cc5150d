package llbgen

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bricklayer-build/bricklayer/internal/specgen"
	"github.com/bricklayer-build/bricklayer/spec"
)

// BenchmarkPlan measures what bricklayer plan does in-process: load,
// validate, lower and marshal every image x platform. Per image cost
// should stay flat from 10 to 1000 images.
func BenchmarkPlan(b *testing.B) {
	ctx := context.Background()
	for _, n := range []int{10, 100, 1000} {
		src := specgen.Generate(n)
		file := filepath.Join(b.TempDir(), spec.FileName)
		b.Run(fmt.Sprintf("images=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				s, err := spec.Parse(file, src)
				if err != nil {
					b.Fatal(spec.Diagnostics(err))
				}
				l := New(s, Options{})
				for _, name := range s.ImageNames {
					for _, p := range s.Images[name].Platforms {
						t, err := l.Lower(ctx, name, p)
						if err != nil {
							b.Fatal(err)
						}
						if _, err := t.Marshal(ctx); err != nil {
							b.Fatal(err)
						}
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(n), "µs/image")
		})
	}
}

// BenchmarkCheck measures what vet does after loading a spec of
// Dockerfile images: every Dockerfile converted, and checked, for each of
// three platforms.
func BenchmarkCheck(b *testing.B) {
	ctx := context.Background()
	for _, n := range []int{10, 100} {
		src, files := dockerfileSpec(n)
		s := load(b, src, files)
		b.Run(fmt.Sprintf("images=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := Check(ctx, s); err != nil {
					b.Fatal(spec.Diagnostics(err))
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(n), "µs/image")
		})
	}
}

// dockerfileSpec is a spec of n images on three platforms, each built
// from a multi-stage Dockerfile of its own, and its files.
func dockerfileSpec(n int) (string, map[string]string) {
	var b strings.Builder
	b.WriteString("platforms: [\"linux/amd64\", \"linux/arm64\", \"linux/arm/v7\"]\nimages: {\n")
	files := map[string]string{}
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "\t\"svc-%d\": {repository: \"ghcr.io/acme/svc-%d\", context: \"svc%d\", dockerfile: \"Dockerfile\"}\n", i, i, i)
		files[fmt.Sprintf("svc%d/Dockerfile", i)] = fmt.Sprintf(`ARG GO_VERSION=1.23
FROM --platform=$BUILDPLATFORM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/root/go/pkg/mod go mod download
COPY . .
ARG TARGETOS TARGETARCH
RUN GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /out/svc%d ./cmd
FROM debian:bookworm-slim
COPY --from=build /out/svc%d /usr/local/bin/svc
USER 1000:1000
ENTRYPOINT ["/usr/local/bin/svc"]
`, i, i)
	}
	b.WriteString("}\n")
	return b.String(), files
}
