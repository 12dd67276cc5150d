package compose

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// apiRules are those of an image published under rpi- and -armhf, whose
// spec publishes the tags stable, edge and versions.
var apiRules = []Rule{{
	Repository: "acme/api",
	Aliases:    []Alias{{Prefix: "rpi-"}, {Suffix: "-armhf"}},
	Publishes: func(tag string) bool {
		return tag == "stable" || tag == "edge" || tag == "1.2" || tag == "1.2.3"
	},
}}

func TestRewriteVariables(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`acme/api:rpi-${RELEASE}`, `acme/api:${RELEASE}`},
		{`acme/api:rpi-$RELEASE`, `acme/api:$RELEASE`},
		{`"acme/api:rpi-$RELEASE"`, `"acme/api:$RELEASE"`},
		{`'acme/api:${RELEASE}-armhf'`, `'acme/api:${RELEASE}'`},
		{`acme/api:rpi-${RELEASE}-armhf`, `acme/api:${RELEASE}`},
		{`acme/api:rpi-v${MAJOR}.${MINOR}`, `acme/api:v${MAJOR}.${MINOR}`},
		{`acme/api:${RELEASE:-rpi-stable}`, `acme/api:${RELEASE:-stable}`},
		{`acme/api:${RELEASE-stable-armhf}`, `acme/api:${RELEASE-stable}`},
		{`acme/api:rpi-${RELEASE:-stable}`, `acme/api:${RELEASE:-stable}`},
		{`docker.io/acme/api:rpi-${RELEASE}`, `docker.io/acme/api:${RELEASE}`},
		// Left alone.
		{`acme/api:${RELEASE:-stable}`, `acme/api:${RELEASE:-stable}`},
		{`acme/api:${RELEASE:-rpi-unpublished}`, `acme/api:${RELEASE:-rpi-unpublished}`},
		{`acme/api:rpi-$${RELEASE}`, `acme/api:rpi-$${RELEASE}`},
		{`acme/web:rpi-${RELEASE}`, `acme/web:rpi-${RELEASE}`},
		{`${REGISTRY}/acme/api:rpi-1.2`, `${REGISTRY}/acme/api:rpi-1.2`},
		{`acme/api:rpi-${RELEASE:?set RELEASE}`, `acme/api:rpi-${RELEASE:?set RELEASE}`},
		{`acme/api:rpi-${RELEASE`, `acme/api:rpi-${RELEASE`},
		{`acme/api@${DIGEST}`, `acme/api@${DIGEST}`},
	} {
		src := "services:\n  api:\n    image: " + tc.in + " # why\n"
		want := "services:\n  api:\n    image: " + tc.want + " # why\n"
		res, err := RewriteWith([]byte(src), apiRules, Options{})
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if string(res.Out) != want {
			t.Errorf("%s: got %q, want %q", tc.in, res.Out, want)
		}
		if (tc.in != tc.want) != (len(res.Changes) == 1) {
			t.Errorf("%s: changes %v", tc.in, res.Changes)
		}
	}
}

func TestRewriteNotes(t *testing.T) {
	src := "services:\n" +
		"  a: {image: acme/api:rpi-gone}\n" +
		"  b: {image: \"${REGISTRY}/acme/api:rpi-1.2\"}\n" +
		"  c: {image: 'acme/api:rpi-${V:?required}'}\n" +
		"  d: {image: acme/api:rpi-1.2}\n"
	res, err := RewriteWith([]byte(src), apiRules, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range res.Notes {
		got = append(got, n.Service+" "+n.Reason)
	}
	want := []string{
		`a the spec does not publish the canonical tag "gone"`,
		`b the repository or digest is interpolated`,
		`c ${V:?...} around an alias is not handled`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("notes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(res.Changes) != 1 || res.Changes[0].To != "acme/api:1.2" || res.Changes[0].Line != 5 || res.Changes[0].Column != 14 {
		t.Errorf("changes: %+v", res.Changes)
	}
}

// TestRewriteIdempotent: every alias goes in one run, so a second one
// changes nothing.
func TestRewriteIdempotent(t *testing.T) {
	src := []byte("services:\n  a: {image: acme/api:rpi-1.2-armhf}\n  b: {image: \"acme/api:rpi-${V}-armhf\"}\n")
	once, _, err := Rewrite(src, apiRules)
	if err != nil {
		t.Fatal(err)
	}
	if want := "services:\n  a: {image: acme/api:1.2}\n  b: {image: \"acme/api:${V}\"}\n"; string(once) != want {
		t.Errorf("got %q, want %q", once, want)
	}
	twice, changes, err := Rewrite(once, apiRules)
	if err != nil || len(changes) != 0 || !bytes.Equal(once, twice) {
		t.Errorf("second run: %v %v %q", changes, err, twice)
	}
}

// TestRewriteLineBreaks: YAML breaks lines at a lone CR, NEL, LS and PS
// too; the value edited is the one parsed, never the line below.
func TestRewriteLineBreaks(t *testing.T) {
	for name, br := range map[string]string{"CR": "\r", "NEL": "\u0085", "LS": "\u2028", "PS": "\u2029", "CRLF": "\r\n"} {
		src := "# built for the Pi" + br + "# (arm/v7)\nservices:\n  web:\n    image: \"acme/api:rpi-1.2\"\n    build: \"./web\"\n"
		want := strings.Replace(src, "rpi-1.2", "1.2", 1)
		out, changes, err := Rewrite([]byte(src), apiRules)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if string(out) != want || len(changes) != 1 || changes[0].Line != 5 {
			t.Errorf("%s: got %q %+v", name, out, changes)
		}
	}
}

// TestSpliceRefuses: a position that does not hold the parsed value is
// refused, not edited.
func TestSpliceRefuses(t *testing.T) {
	src := []byte("services:\n  web:\n    image: \"acme/api:rpi-1.2\"\n    build: \"./web\"\n")
	docs, err := parse(src)
	if err != nil {
		t.Fatal(err)
	}
	sites, _ := imageSites(docs[0])
	n := *sites[0].node
	n.Line++ // as a line count that missed a break would have it
	if _, err := spliceScalar(src, lineStarts(src), &n, "acme/api:1.2"); err == nil || !strings.Contains(err.Error(), `found "./web" there`) {
		t.Errorf("got %v", err)
	}
}

func TestRewriteExtensionFields(t *testing.T) {
	src := "x-images:\n  api:\n    image: acme/api:rpi-edge\n  other: {image: nginx:rpi-1}\nservices:\n  api:\n    image: acme/api:rpi-1.2\n    x-previous: {image: 'acme/api:rpi-stable'}\n"
	want := "x-images:\n  api:\n    image: acme/api:edge\n  other: {image: nginx:rpi-1}\nservices:\n  api:\n    image: acme/api:1.2\n    x-previous: {image: 'acme/api:stable'}\n"
	out, changes, err := Rewrite([]byte(src), apiRules)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != want {
		t.Errorf("got %q, want %q", out, want)
	}
	if len(changes) != 3 || changes[0].Service != "x-images.api.image" || changes[2].Service != "services.api.x-previous.image" {
		t.Errorf("changes: %+v", changes)
	}
}

func TestFoldArch(t *testing.T) {
	src := "services:\n  mq: {image: arm32v6/rabbitmq:alpine}\n  py: {image: docker.io/arm64v8/python:3.12}\n  db: {image: 'arm32v7/postgres:${PG}'}\n  pinned: {image: arm32v7/redis@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef}\n  own: {image: arm32v7x/thing:1}\n  mips: {image: mips64le/debian:12}\n"
	want := "services:\n  mq: {image: rabbitmq:alpine}\n  py: {image: docker.io/library/python:3.12}\n  db: {image: 'postgres:${PG}'}\n  pinned: {image: arm32v7/redis@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef}\n  own: {image: arm32v7x/thing:1}\n  mips: {image: debian:12}\n"
	res, err := RewriteWith([]byte(src), nil, Options{FoldArch: true})
	if err != nil {
		t.Fatal(err)
	}
	if string(res.Out) != want {
		t.Errorf("got %q, want %q", res.Out, want)
	}
	for _, c := range res.Changes {
		if !c.Fold {
			t.Errorf("%+v is no fold", c)
		}
	}
	if out, _, _ := Rewrite([]byte(src), nil); string(out) != src {
		t.Errorf("without FoldArch: %q", out)
	}
}

func TestMergeVariants(t *testing.T) {
	amd := "x-base: &base\n  restart: unless-stopped\nservices:\n  api:\n    <<: *base\n    image: acme/api:${RELEASE:-stable}\n    cpus: 1.0\n    ports: [\"80:80\"]\n  mq:\n    image: rabbitmq:alpine\n    x-nan: .nan\n"
	arm := "x-base: &base {restart: unless-stopped}\nservices:\n  api:\n    <<: *base\n    image: \"acme/api:rpi-${RELEASE:-stable}\" # the Pi\n    cpus: 1\n    ports:\n      - target: 80\n        published: \"80\"\n        protocol: tcp\n  mq:\n    image: arm32v6/rabbitmq:alpine\n    x-nan: .NaN\n"
	files := map[string][]byte{"amd.yml": []byte(amd), "arm.yml": []byte(arm)}
	res, err := MergeWith(files, []string{"arm.yml", "amd.yml"}, apiRules)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(strings.Replace(arm, "rpi-${", "${", 1), "arm32v6/rabbitmq", "rabbitmq", 1)
	if string(res.Out) != want {
		t.Errorf("got\n%s\nwant\n%s", res.Out, want)
	}
	if f := res.Folds["arm.yml"]; len(f) != 1 || f[0].From != "arm32v6/rabbitmq:alpine" {
		t.Errorf("folds: %+v", res.Folds)
	}
	// The same file twice, .nan and all, merges into itself.
	if _, err := Merge(map[string][]byte{"a.yml": []byte(amd), "b.yml": []byte(amd)}, []string{"a.yml", "b.yml"}, apiRules); err != nil {
		t.Errorf("identical files: %v", err)
	}
	// Variables of other names differ.
	other := strings.Replace(amd, "${RELEASE:-stable}", "${TAG:-stable}", 1)
	_, err = Merge(map[string][]byte{"a.yml": []byte(amd), "b.yml": []byte(other)}, []string{"a.yml", "b.yml"}, apiRules)
	if err == nil || !strings.Contains(err.Error(), `services.api.image: "acme/api:${RELEASE:-stable}" (a.yml line 6) vs "acme/api:${TAG:-stable}" (b.yml line 6)`) {
		t.Errorf("other variable: %v", err)
	}
	// A difference compose's model has but the YAML does not spell out.
	ports := strings.Replace(amd, `"80:80"`, `"8080:80"`, 1)
	_, err = Merge(map[string][]byte{"a.yml": []byte(amd), "b.yml": []byte(ports)}, []string{"a.yml", "b.yml"}, apiRules)
	if err == nil || !strings.Contains(err.Error(), `services.api.ports[0].published: "80" (a.yml line 8) vs "8080" (b.yml line 8)`) {
		t.Errorf("ports: %v", err)
	}
}

func TestDiffLarge(t *testing.T) {
	// 30,000 lines with the first and last changed: two small hunks, in
	// O(n log n) where a full table was 3.5 GB.
	var a, b strings.Builder
	for i := range 30000 {
		line := fmt.Sprintf("    restart: always # %d\n", i)
		a.WriteString(line)
		if i == 0 || i == 29999 {
			line = "    restart: never\n"
		}
		b.WriteString(line)
	}
	d := Diff("f.yml", []byte(a.String()), []byte(b.String()))
	if strings.Count(d, "@@ -") != 2 || !strings.Contains(d, "@@ -29997,4 +29997,4 @@") || strings.Count(d, "\n") > 20 {
		t.Errorf("diff:\n%s", d)
	}
	// With no line that occurs once in each and changes at both ends,
	// nothing anchors the diff: it is one hunk of the whole file, still
	// in O(n log n).
	line := "    restart: always\n"
	same := strings.Repeat(line, 30000)
	d = Diff("f.yml", []byte(same), []byte("x\n"+same[len(line):len(same)-len(line)]+"y\n"))
	if !strings.HasPrefix(d, "--- f.yml\n+++ f.yml\n@@ -1,30000 +1,30000 @@\n") || strings.Count(d, "\n") != 60003 {
		t.Errorf("diff of %d lines:\n%.300s", strings.Count(d, "\n"), d)
	}
}

// TestDiffPatch applies the diff with patch -p0, to a file whose name has
// a space.
func TestDiffPatch(t *testing.T) {
	if _, err := exec.LookPath("patch"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("patch is not on PATH")
		}
		t.Skip("patch is not on PATH")
	}
	dir := t.TempDir()
	name := "my compose.yml"
	a := []byte("services:\n  ui:\n    image: brewblox/ui:rpi-edge\n")
	b, _, err := Rewrite(a, rules)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), a, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("patch", "-p0")
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(Diff(name, a, b))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("patch: %v\n%s", err, out)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, name)); !bytes.Equal(got, b) {
		t.Errorf("patched file: %q, want %q", got, b)
	}
}

func TestVerify(t *testing.T) {
	src := []byte("services:\n  api:\n    image: acme/api:rpi-${RELEASE}\n    ports: [\"80:80\"]\n")
	res, err := RewriteWith(src, apiRules, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(src, res, apiRules, nil); err != nil {
		t.Errorf("a plain rewrite: %v", err)
	}
	// A rewrite that also changed another field, or changed a tag to one
	// that is no canonical form of it, is caught.
	for _, bad := range []string{
		strings.Replace(string(res.Out), "80:80", "81:80", 1),
		strings.Replace(string(res.Out), "${RELEASE}", "${RELEASE}x", 1),
	} {
		r := &Result{Out: []byte(bad), Changes: res.Changes}
		if err := Verify(src, r, apiRules, map[string]string{"RELEASE": "1.2"}); err == nil || !strings.Contains(err.Error(), "compose reads the rewritten file differently: services.api.") {
			t.Errorf("%q: got %v", bad, err)
		}
	}
}

// A per-architecture image without a tag is the multi-platform one
// without a tag, and an image without a tag is its :latest; a variable
// tag is not latest, even when its default is.
func TestMergeTaglessArch(t *testing.T) {
	amd := "services:\n  proxy: {image: traefik}\n  mq: {image: rabbitmq:latest}\n  db: {image: docker.io/library/postgres}\n"
	arm := "services:\n  proxy: {image: arm32v6/traefik}\n  mq: {image: arm32v6/rabbitmq}\n  db: {image: arm64v8/postgres:latest}\n"
	files := map[string][]byte{"amd.yml": []byte(amd), "arm.yml": []byte(arm)}
	res, err := MergeWith(files, []string{"arm.yml", "amd.yml"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := "services:\n  proxy: {image: traefik}\n  mq: {image: rabbitmq}\n  db: {image: postgres:latest}\n"
	if string(res.Out) != want {
		t.Errorf("got %q, want %q", res.Out, want)
	}
	if f := res.Folds["arm.yml"]; len(f) != 3 || f[0].From != "arm32v6/traefik" || f[0].To != "traefik" {
		t.Errorf("folds: %+v", res.Folds)
	}
	for _, other := range []string{"traefik:${TAG:-latest}", "traefik:${TAG}", "traefik:2", "traefik@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"} {
		b := "services:\n  proxy: {image: '" + other + "'}\n"
		_, err := Merge(map[string][]byte{"a.yml": []byte("services:\n  proxy: {image: traefik}\n"), "b.yml": []byte(b)}, []string{"a.yml", "b.yml"}, nil)
		if err == nil || !strings.Contains(err.Error(), "services.proxy.image") {
			t.Errorf("traefik vs %s: %v", other, err)
		}
	}
}
