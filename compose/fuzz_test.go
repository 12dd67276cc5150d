package compose

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"
)

// FuzzRewrite feeds arbitrary bytes to Rewrite (with the per-architecture
// folding of Merge): it must never panic; an error must carry a position;
// a result must parse, keep the line count, differ from the input only in
// the image values it reports as changed, and be a fixed point.
func FuzzRewrite(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.yml")
	more, _ := filepath.Glob("testdata/merge/*.yml")
	for _, s := range append(seeds, more...) {
		dt, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(dt)
	}
	scripts, _ := filepath.Glob("../testdata/script/migrate_*.txtar")
	for _, s := range scripts {
		ar, err := txtar.ParseFile(s)
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range ar.Files {
			if strings.HasSuffix(file.Name, ".yml") || strings.HasSuffix(file.Name, ".yaml") {
				f.Add(file.Data)
			}
		}
	}
	for _, s := range []string{
		"services:\n  a: {image: \"acme/api:rpi-${V:-rpi-stable}\"}\n",
		"services:\n  a:\n    image: >-\n      acme/api:rpi-1.2\n",
		"# x\r# y\u2028services:\n  a: {image: 'acme/api:rpi-$$V'}\n",
		"x-a: &a\n  image: acme/api:rpi-edge\nservices:\n  b: {<<: *a}\n  c:\n    image: arm32v7/python:3\n",
		"\uFEFFservices: {a: {image: !!str acme/api:1.2-armhf}}\n",
		// Alias-heavy: refused past MaxNodes, read below it.
		aliasNest(10, 11, false),
		aliasNest(10, 11, true),
		aliasNest(3, 5, false),
		aliasNest(3, 5, true),
	} {
		f.Add([]byte(s))
	}
	all := append(append([]Rule(nil), rules...), apiRules...)
	f.Fuzz(func(t *testing.T, src []byte) {
		res, err := RewriteWith(src, all, Options{FoldArch: true})
		if err != nil {
			var pe *PosError
			if !errors.As(err, &pe) || pe.Line < 1 || pe.Column < 1 {
				t.Fatalf("error without a position: %v\ninput: %q", err, src)
			}
			return
		}
		if len(res.Changes) == 0 {
			if !bytes.Equal(res.Out, src) {
				t.Fatalf("no changes, but the output differs: %q -> %q", src, res.Out)
			}
			return
		}
		if len(lineStarts(res.Out)) != len(lineStarts(src)) {
			t.Fatalf("line count changed: %q -> %q", src, res.Out)
		}
		if got, want := outside(t, src), outside(t, res.Out); got != want {
			t.Fatalf("the output differs beyond image values:\n%q\n%q", got, want)
		}
		again, err := RewriteWith(res.Out, all, Options{FoldArch: true})
		if err != nil || len(again.Changes) != 0 {
			t.Fatalf("not a fixed point: %v %+v\ninput: %q\noutput: %q", err, again, src, res.Out)
		}
	})
}

// outside is src without the text of its image values.
func outside(t *testing.T, src []byte) string {
	docs, err := parse(src)
	if err != nil {
		t.Fatalf("does not parse: %v\n%q", err, src)
	}
	lines := lineStarts(src)
	var spans []edit
	for _, d := range docs {
		sites, err := imageSites(d)
		if err != nil {
			t.Fatalf("not a compose file: %v\n%q", err, src)
		}
		for _, s := range sites {
			e, err := spliceScalar(src, lines, s.node, s.node.Value)
			if err != nil {
				continue // not edited, so compared as text
			}
			spans = append(spans, e)
		}
	}
	var sb strings.Builder
	last := 0
	sortEdits(spans)
	for _, e := range spans {
		if e.start < last {
			continue
		}
		sb.Write(src[last:e.start])
		sb.WriteString("\x00")
		last = e.end
	}
	sb.Write(src[last:])
	return sb.String()
}
