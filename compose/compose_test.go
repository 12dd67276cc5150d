package compose

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// rules are those of the brewblox images in testdata. The spark rule is
// written in familiar form to show rules are normalized too, and the
// mosquitto rule has two matching aliases, of which the longer wins.
var rules = []Rule{
	{Repository: "docker.io/brewblox/ui", Aliases: []Alias{{Prefix: "rpi-"}}},
	{Repository: "brewblox/brewblox-devcon-spark", Aliases: []Alias{{Prefix: "rpi-"}}},
	{Repository: "docker.io/brewblox/brewblox-history", Aliases: []Alias{{Prefix: "rpi-"}}},
	{Repository: "docker.io/brewblox/mosquitto", Aliases: []Alias{{Prefix: "rpi-"}, {Prefix: "rpi-", Suffix: "-debug"}}},
	{Repository: "ghcr.io/brewblox/auth", Aliases: []Alias{{Prefix: "rpi-"}}},
}

// golden compares got with testdata/name, or rewrites the file when
// BRICKLAYER_UPDATE_GOLDEN is set.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if os.Getenv("BRICKLAYER_UPDATE_GOLDEN") != "" {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from what was produced:\n%s", path, Diff(name, want, got))
	}
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRewrite(t *testing.T) {
	in := readFile(t, "rewrite.in.yml")
	out, changes, err := Rewrite(in, rules)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "rewrite.out.yml", out)
	golden(t, "rewrite.diff", []byte(Diff("rewrite.in.yml", in, out)))
	var list strings.Builder
	for _, c := range changes {
		fmt.Fprintf(&list, "%d %s: %s -> %s\n", c.Line, c.Service, c.From, c.To)
	}
	golden(t, "rewrite.changes", []byte(list.String()))

	// Independent of the golden files: only the lines of the changes
	// differ, each by its reference alone.
	inLines, outLines := strings.Split(string(in), "\n"), strings.Split(string(out), "\n")
	if len(inLines) != len(outLines) {
		t.Fatalf("rewrite changed the line count from %d to %d", len(inLines), len(outLines))
	}
	changed := map[int]Change{}
	for _, c := range changes {
		changed[c.Line] = c
	}
	for i := range inLines {
		c, ok := changed[i+1]
		switch {
		case ok && strings.Replace(inLines[i], c.From, c.To, 1) != outLines[i]:
			t.Errorf("line %d: got %q, want %q with %s replaced by %s", i+1, outLines[i], inLines[i], c.From, c.To)
		case !ok && inLines[i] != outLines[i]:
			t.Errorf("line %d changed without a Change: %q -> %q", i+1, inLines[i], outLines[i])
		}
	}
	if len(changes) != 10 {
		t.Errorf("got %d changes, want 10 (one per alias image, the shared ones once)", len(changes))
	}

	// The rewritten file is a fixed point.
	again, more, err := Rewrite(out, rules)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, out) || len(more) != 0 {
		t.Errorf("rewriting the output again changed it: %v\n%s", more, Diff("out", out, again))
	}
}

func TestRewriteNoMatch(t *testing.T) {
	for name, tc := range map[string]struct {
		src   []byte
		rules []Rule
	}{
		"other repositories": {[]byte("# only others\nservices:\n  proxy:\n    image: traefik:rpi-v2 # not ours\n  db: {image: 'postgres:16'}\n"), rules},
		"empty":              {nil, rules},
		"no services":        {[]byte("volumes:\n  data: {}\n"), rules},
		"null service":       {[]byte("services:\n  ui:\n"), rules},
		"testdata, no rules": {readFile(t, "rewrite.in.yml"), nil},
	} {
		t.Run(name, func(t *testing.T) {
			out, changes, err := Rewrite(tc.src, tc.rules)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out, tc.src) {
				t.Errorf("output differs from input:\n%s", Diff(name, tc.src, out))
			}
			if len(changes) != 0 {
				t.Errorf("got changes %v, want none", changes)
			}
		})
	}
}

// TestRewriteSplice covers the ways a scalar can be written that the
// golden file does not: a byte order mark, CRLF line ends, multi-byte
// characters before the value, properties on their own line with a
// comment, verbatim tags and escapes in double quotes.
func TestRewriteSplice(t *testing.T) {
	for name, tc := range map[string]struct{ src, want string }{
		// JSON style, so that a position off by the mark's rune lands on
		// the colon, not on a space that would be skipped.
		"byte order mark": {"\uFEFF{\"services\": {\"ui\": {\"image\":\"brewblox/ui:rpi-edge\"}}}\n", "\uFEFF{\"services\": {\"ui\": {\"image\":\"brewblox/ui:edge\"}}}\n"},
		"crlf and runes": {"services:\r\n  é: {image: \"brewblox/ui:rpi-edge\"}\r\n  ü: {image: brewblox/ui:rpi-x}\r\n",
			"services:\r\n  é: {image: \"brewblox/ui:edge\"}\r\n  ü: {image: brewblox/ui:x}\r\n"},
		"anchor, comment, value below": {"services:\n  ui:\n    image: &a # why\n      brewblox/ui:rpi-edge\n",
			"services:\n  ui:\n    image: &a # why\n      brewblox/ui:edge\n"},
		"verbatim tag": {"services: {ui: {image: !<tag:yaml.org,2002:str> brewblox/ui:rpi-v}}\n",
			"services: {ui: {image: !<tag:yaml.org,2002:str> brewblox/ui:v}}\n"},
		"escapes":       {"services: {ui: {image: \"brewblox/ui:rpi-\\x41\"}}\n", "services: {ui: {image: \"brewblox/ui:A\"}}\n"},
		"single quotes": {"services: {ui: {image: 'brewblox/ui:rpi-edge' }}\n", "services: {ui: {image: 'brewblox/ui:edge' }}\n"},
		"merged list": {"x: &x {image: brewblox/ui:rpi-a}\ny: &y {image: brewblox/ui:rpi-b}\nservices:\n  ui: {<<: [*y, *x]}\n",
			"x: &x {image: brewblox/ui:rpi-a}\ny: &y {image: brewblox/ui:b}\nservices:\n  ui: {<<: [*y, *x]}\n"},
	} {
		t.Run(name, func(t *testing.T) {
			out, changes, err := Rewrite([]byte(tc.src), rules)
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != tc.want {
				t.Errorf("got %q, want %q", out, tc.want)
			}
			if len(changes) == 0 {
				t.Error("got no changes")
			}
		})
	}
}

func TestRewriteErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		src   string
		rules []Rule
		want  string
	}{
		"invalid YAML":        {"services:\n  ui:\n    image: brewblox/ui: rpi-edge\n", rules, "3:23: mapping values are not allowed in this context"},
		"tab indentation":     {"services:\n\tui:\n", rules, "2:1: found character that cannot start any token"},
		"services not a map":  {"services:\n  - ui\n", rules, "2:3: services is not a mapping"},
		"image not a string":  {"services:\n  ui:\n    image: [a, b]\n", rules, `3:12: image of service "ui" is not a string`},
		"invalid rule":        {"services: {}\n", []Rule{{Repository: "Not/Valid"}}, `compose: rule 0: repository "Not/Valid"`},
		"rule with a tag":     {"services: {}\n", []Rule{{Repository: "brewblox/ui:edge"}}, "compose: rule 0: repository \"brewblox/ui:edge\" has a tag or digest"},
		"merge of a non-map":  {"services:\n  ui:\n    <<: [1]\n", rules, "3:10: merge key value is not a mapping"},
		"document not a map":  {"- a\n", rules, "1:1: the document is not a mapping"},
		"merge of itself":     {"services:\n  ui: &a\n    <<: *a\n    image: x\n", rules, "2:7: mapping merges itself"},
		"second document bad": {"services: {}\n---\nservices:\n  ui:\n    image: a: b\n", rules, "5:13: mapping values are not allowed"},
		// yaml.v3 says line 1 (where the mapping begins) for these.
		"unclosed quote":  {"a: 1\nb: 2\nc: 3\nd: \"unterminated\n", rules, "5:1: found unexpected end of stream (while scanning a quoted scalar begun at 4:4)"},
		"missing colon":   {"services:\n  ui:\n    image: x\n  bad\n  web: {}\n", rules, "4:3: could not find expected ':' after this key"},
		"after a lone CR": {"# one\r# two\nservices:\n  ui: [\n", rules, "5:1: did not find expected node content"},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := Rewrite([]byte(tc.src), tc.rules)
			if err == nil {
				t.Fatalf("got no error, want one containing %q", tc.want)
			}
			if !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("got error %q, want one starting with %q", err, tc.want)
			}
		})
	}
}

func TestMerge(t *testing.T) {
	files := map[string][]byte{}
	for _, name := range []string{"docker-compose.yml", "docker-compose.rpi.yml"} {
		files[name] = readFile(t, filepath.Join("merge", name))
	}

	out, err := Merge(files, []string{"docker-compose.rpi.yml", "docker-compose.yml"}, rules)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, filepath.Join("merge", "merged.rpi.yml"), out)

	out, err = Merge(files, []string{"docker-compose.yml", "docker-compose.rpi.yml"}, rules)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, files["docker-compose.yml"]) {
		t.Errorf("merge with the canonical file first changed it:\n%s", Diff("docker-compose.yml", files["docker-compose.yml"], out))
	}
}

func TestMergeDifference(t *testing.T) {
	base := readFile(t, filepath.Join("merge", "docker-compose.yml"))
	for name, tc := range map[string]struct {
		other string
		want  []string
	}{
		"value": {
			other: string(readFile(t, filepath.Join("merge", "docker-compose.bad.yml"))),
			want: []string{
				"docker-compose.other.yml differs from docker-compose.yml beyond alias tags",
				`service "ui": services.ui.environment.BREWBLOX_DEBUG`,
				`"false" (docker-compose.yml line 11)`,
				`"true" (docker-compose.other.yml line 10)`,
			},
		},
		"missing service": {
			other: strings.Replace(string(base), "  spark:", "  sparky:", 1),
			want:  []string{`service "spark": services.spark: a mapping of 3 keys (docker-compose.yml line 14) vs missing in docker-compose.other.yml`},
		},
		"extra list item": {
			other: strings.Replace(string(base), `      - "80:80"`, "      - \"80:80\"\n      - 443:443", 1),
			want:  []string{`services.ui.ports[1]: missing in docker-compose.yml vs "443:443" (docker-compose.other.yml line 10)`},
		},
		"type": {
			other: strings.Replace(string(base), `BREWBLOX_DEBUG: "false"`, "BREWBLOX_DEBUG: false", 1),
			want:  []string{`services.ui.environment.BREWBLOX_DEBUG: "false" (docker-compose.yml line 11) vs false (docker-compose.other.yml line 11)`},
		},
		"other tag": {
			other: strings.Replace(string(base), "brewblox/ui:edge", "brewblox/ui:rpi-develop", 1),
			want:  []string{`services.ui.image: "brewblox/ui:edge" (docker-compose.yml line 7) vs "brewblox/ui:develop"`},
		},
	} {
		t.Run(name, func(t *testing.T) {
			files := map[string][]byte{"docker-compose.yml": base, "docker-compose.other.yml": []byte(tc.other)}
			_, err := Merge(files, []string{"docker-compose.yml", "docker-compose.other.yml"}, rules)
			if err == nil {
				t.Fatal("got no error for variants that differ")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestMergeArguments(t *testing.T) {
	files := map[string][]byte{"a.yml": []byte("services: {}\n"), "b.yml": []byte("services: {}\n")}
	cycle := map[string][]byte{"a.yml": files["a.yml"], "c.yml": []byte("x: &a [*a]\nservices: {}\n")}
	for name, tc := range map[string]struct {
		files map[string][]byte
		order []string
		want  string
	}{
		"no order":      {files, nil, "no files"},
		"unknown file":  {files, []string{"a.yml", "c.yml"}, "c.yml: no such file"},
		"file left out": {files, []string{"a.yml"}, "b.yml is not in the order"},
		"named twice":   {files, []string{"a.yml", "b.yml", "a.yml"}, "a.yml is named twice"},
		"cycle":         {cycle, []string{"a.yml", "c.yml"}, "c.yml:1:4: node contains itself"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Merge(tc.files, tc.order, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestDiff(t *testing.T) {
	a := "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n"
	for name, tc := range map[string]struct {
		a, b, want string
	}{
		"equal": {a, a, ""},
		"one line": {a, strings.Replace(a, "e\n", "E\n", 1), "--- f.yml\n+++ f.yml\n" +
			"@@ -2,7 +2,7 @@\n b\n c\n d\n-e\n+E\n f\n g\n h\n"},
		"two hunks": {a + "k\nl\nm\nn\n", "A\n" + a + "k\nl\nm\nN\n", "--- f.yml\n+++ f.yml\n" +
			"@@ -1,3 +1,4 @@\n+A\n a\n b\n c\n" +
			"@@ -11,4 +12,4 @@\n k\n l\n m\n-n\n+N\n"},
		"joined hunks": {a, strings.Replace(strings.Replace(a, "b\n", "B\n", 1), "h\n", "H\n", 1), "--- f.yml\n+++ f.yml\n" +
			"@@ -1,10 +1,10 @@\n a\n-b\n+B\n c\n d\n e\n f\n g\n-h\n+H\n i\n j\n"},
		"no newline at end": {"x\ny", "x\nz", "--- f.yml\n+++ f.yml\n" +
			"@@ -1,2 +1,2 @@\n x\n-y\n\\ No newline at end of file\n+z\n\\ No newline at end of file\n"},
		"from empty": {"", "x\n", "--- f.yml\n+++ f.yml\n@@ -0,0 +1,1 @@\n+x\n"},
		// Three lines of context a side, so a gap of six lines or more
		// makes two hunks.
		"six lines apart": {a, strings.Replace(strings.Replace(a, "b\n", "B\n", 1), "i\n", "I\n", 1), "--- f.yml\n+++ f.yml\n" +
			"@@ -1,5 +1,5 @@\n a\n-b\n+B\n c\n d\n e\n" +
			"@@ -6,5 +6,5 @@\n f\n g\n h\n-i\n+I\n j\n"},
	} {
		t.Run(name, func(t *testing.T) {
			if got := Diff("f.yml", []byte(tc.a), []byte(tc.b)); got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}
