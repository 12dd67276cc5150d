package llbgen

import (
	"context"
	"fmt"
	"path/filepath"
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
