package spec

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/bricklayer-build/bricklayer/internal/specgen"
)

// BenchmarkParse measures load + schema + checks + decode (what vet does
// after reading the file) for growing specs; per image cost should stay
// flat.
func BenchmarkParse(b *testing.B) {
	for _, n := range []int{10, 20, 100, 1000} {
		src := specgen.Generate(n)
		file := filepath.Join(b.TempDir(), FileName)
		b.Run(fmt.Sprintf("images=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := Parse(file, src); err != nil {
					b.Fatal(Diagnostics(err))
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(n), "µs/image")
		})
	}
}
