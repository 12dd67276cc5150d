package workflowscan

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestShellExpand(t *testing.T) {
	env := map[string]string{"IMAGE": "acme/app", "EMPTY": "", "CI": "${{ github.sha }}"}
	for in, want := range map[string]string{
		"$IMAGE:latest":          "acme/app:latest",
		"${IMAGE}:rpi-$TAG":      "acme/app:rpi-${TAG}",
		"${TAG:-dev}":            "${TAG}", // unset here, maybe set by CI
		"${EMPTY:-dev}":          "dev",
		"x$EMPTY":                "x",
		"$CI":                    "${{ github.sha }}",
		"${{@0}}-$IMAGE":         "${{@0}}-acme/app",
		"cost: $5":               "cost: $5",
		"trailing$":              "trailing$",
		"${IMAGE}_${IMAGE}":      "acme/app_acme/app",
		"$IMAGE/with/more/parts": "acme/app/with/more/parts",
	} {
		if got := shellExpand(in, env); got != want {
			t.Errorf("shellExpand(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLiteral(t *testing.T) {
	for _, tt := range []struct {
		in, before, after string
		ok                bool
	}{
		{"rpi-${TAG}", "rpi-", "", true},
		{"${{ github.ref_name }}-armhf", "", "-armhf", true},
		{"${A}.${B}", "", "", true},
		{"latest", "latest", "", false},
	} {
		b, a, ok := Literal(tt.in)
		if b != tt.before || a != tt.after || ok != tt.ok {
			t.Errorf("Literal(%q) = %q, %q, %v", tt.in, b, a, ok)
		}
	}
}

func TestSplitCommands(t *testing.T) {
	var ws []word
	for _, s := range []string{"make", "&&", "docker", "build", ".;", "echo", "done", "|", "tee", "x"} {
		ws = append(ws, word{s: s})
	}
	var got [][]string
	for _, c := range splitCommands(ws) {
		got = append(got, words2strings(c))
	}
	want := [][]string{{"make"}, {"docker", "build", "."}, {"echo", "done"}, {"tee", "x"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("splitCommands = %q, want %q", got, want)
	}
}

// A step's working directory, env expressions in env, a matrix axis of
// platforms, and -tNAME.
func TestScanRun(t *testing.T) {
	dir := t.TempDir()
	wf := `on: push
env:
  OWNER: acme
jobs:
  b:
    strategy:
      matrix:
        platform: [linux/amd64, linux/arm64]
        go: ["1.23"]
    env:
      IMAGE: ghcr.io/${{ env.OWNER }}/app
    steps:
      - working-directory: app
        run: >-
          docker buildx build --platform=${{ matrix.platform }}
          -t$IMAGE:go${{ matrix.go }} --build-arg GO=${{ matrix.go }} -f build/Dockerfile ..
`
	if err := os.MkdirAll(filepath.Join(dir, ".github", "workflows"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".github", "workflows", "ci.yml"), []byte(wf), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Scan(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Builds) != 1 || len(res.Dropped) != 0 {
		t.Fatalf("builds %+v, dropped %+v", res.Builds, res.Dropped)
	}
	b := res.Builds[0]
	if b.Context != "." || b.Dockerfile != "app/build/Dockerfile" {
		t.Errorf("context %q, Dockerfile %q", b.Context, b.Dockerfile)
	}
	var plats, tags []string
	for _, p := range b.Platforms {
		plats = append(plats, p.S)
	}
	for _, p := range b.Tags {
		tags = append(tags, p.S)
	}
	if !reflect.DeepEqual(plats, []string{"linux/amd64", "linux/arm64"}) || !reflect.DeepEqual(tags, []string{"ghcr.io/acme/app:go1.23"}) {
		t.Errorf("platforms %q, tags %q", plats, tags)
	}
	if len(b.Args) != 1 || b.Args[0].Name != "GO" || b.Args[0].Value != "1.23" {
		t.Errorf("args %+v", b.Args)
	}
	if b.Pos.Line != 15 {
		t.Errorf("at %s, want line 15", b.Pos)
	}
}
