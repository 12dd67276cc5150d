package ciflow

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

const metaOne = `{"images": {"app": {"repository": "r.example/app", "digest": "sha256:aa", "pushed": true,
	"platforms": [{"platform": "linux/amd64", "digest": "sha256:bb", "llb": "sha256:cc"}],
	"tags": ["r.example/app:1", "r.example/app:latest"], "seconds": 1.5}}}`

func describeFake(calls *[]string) Describe {
	return func(_ context.Context, repo, digest string) (string, int64, error) {
		*calls = append(*calls, repo+"@"+digest)
		return "application/vnd.oci.image.index.v1+json", 1234, nil
	}
}

// TestBuildxKeys: one image published gives build-push-action's keys at
// the top level and in the image, beside bricklayer's own, which stay as
// they were.
func TestBuildxKeys(t *testing.T) {
	var calls []string
	out, err := withBuildxKeys(context.Background(), []byte(metaOne), describeFake(&calls), func(m string) { t.Errorf("warned: %s", m) })
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"containerimage.digest": "sha256:aa",
		"image.name":            "r.example/app:1,r.example/app:latest",
		"containerimage.descriptor": map[string]any{
			"mediaType": "application/vnd.oci.image.index.v1+json", "digest": "sha256:aa", "size": 1234.0,
		},
	}
	app := doc["images"].(map[string]any)["app"].(map[string]any)
	for k, v := range want {
		if !reflect.DeepEqual(doc[k], v) {
			t.Errorf("top level %s = %v, want %v", k, doc[k], v)
		}
		if !reflect.DeepEqual(app[k], v) {
			t.Errorf("images.app %s = %v, want %v", k, app[k], v)
		}
	}
	if app["seconds"] != 1.5 || app["repository"] != "r.example/app" || len(app["platforms"].([]any)) != 1 {
		t.Errorf("bricklayer's own keys changed: %v", app)
	}
	if !reflect.DeepEqual(calls, []string{"r.example/app@sha256:aa"}) {
		t.Errorf("asked the registry for %q", calls)
	}
}

// TestBuildxKeysSeveral: with several images each has its keys, and the
// top level none (which image would it be?). An index publish pushed
// (its results do not say pushed) is described; an image pushed by
// platform only (no index) gets no keys; one in an OCI layout no
// descriptor.
func TestBuildxKeysSeveral(t *testing.T) {
	meta := `{"images": {
		"api": {"repository": "r.example/api", "digest": "sha256:aa", "tags": ["r.example/api:1"]},
		"web": {"repository": "r.example/web", "pushed": true, "partial": true, "tags": [],
			"platforms": [{"platform": "linux/arm64", "digest": "sha256:dd"}]},
		"cli": {"repository": "r.example/cli", "digest": "sha256:ee", "output": "out/cli", "tags": []}}}`
	var calls []string
	out, err := withBuildxKeys(context.Background(), []byte(meta), describeFake(&calls), func(m string) { t.Errorf("warned: %s", m) })
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	if _, ok := doc["containerimage.digest"]; ok {
		t.Error("several images, yet a top-level containerimage.digest")
	}
	images := doc["images"].(map[string]any)
	if got := images["api"].(map[string]any)["image.name"]; got != "r.example/api:1" {
		t.Errorf("api image.name = %v", got)
	}
	web := images["web"].(map[string]any)
	for _, k := range []string{"containerimage.digest", "containerimage.descriptor", "image.name"} {
		if _, ok := web[k]; ok {
			t.Errorf("web, pushed by platform only, has %s", k)
		}
	}
	cli := images["cli"].(map[string]any)
	if cli["containerimage.digest"] != "sha256:ee" || cli["containerimage.descriptor"] != nil || cli["image.name"] != nil {
		t.Errorf("cli, an OCI layout: %v", cli)
	}
	if !reflect.DeepEqual(calls, []string{"r.example/api@sha256:aa"}) {
		t.Errorf("asked the registry for %q", calls)
	}
}

// TestBuildxKeysNoRegistry: when the registry cannot say the index's
// size, the step warns and the output has the other keys.
func TestBuildxKeysNoRegistry(t *testing.T) {
	var warned []string
	fail := func(context.Context, string, string) (string, int64, error) {
		return "", 0, errors.New("connection refused")
	}
	out, err := withBuildxKeys(context.Background(), []byte(metaOne), fail, func(m string) { warned = append(warned, m) })
	if err != nil {
		t.Fatal(err)
	}
	if len(warned) != 1 || !strings.Contains(warned[0], "image app: no containerimage.descriptor") || !strings.Contains(warned[0], "connection refused") {
		t.Errorf("warnings %q", warned)
	}
	var doc map[string]any
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	if doc["containerimage.digest"] != "sha256:aa" || doc["containerimage.descriptor"] != nil {
		t.Errorf("top level: %v", doc)
	}
}

func TestInsecureRegistries(t *testing.T) {
	in := Inputs{Insecure: []string{"a:5000"}, Args: []string{"--insecure-registry", "b:5000", "--insecure-registry=c:5000,d", "--", "--insecure-registry=e"}}
	if got, want := insecureRegistries(in), []string{"a:5000", "b:5000", "c:5000", "d"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}
