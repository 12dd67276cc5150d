package solve

import (
	"encoding/base64"
	"testing"

	"github.com/bricklayer-build/bricklayer/buildopt"
)

func TestProvenanceAttrs(t *testing.T) {
	attrs := map[string]string{"platform": "linux/amd64"}
	provenanceAttrs(attrs, buildopt.Provenance{})
	if len(attrs) != 1 {
		t.Errorf("no provenance added attributes: %v", attrs)
	}
	provenanceAttrs(attrs, buildopt.Provenance{Mode: "max"})
	if got := attrs["attest:provenance"]; got != "mode=max" {
		t.Errorf("attest:provenance = %q, want mode=max", got)
	}
}

func TestExportedIndex(t *testing.T) {
	enc := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	for _, tc := range []struct {
		name    string
		resp    map[string]string
		want    bool
		wantErr bool
	}{
		{"no descriptor", map[string]string{}, false, false},
		{"manifest", map[string]string{"containerimage.descriptor": enc(`{"mediaType":"application/vnd.oci.image.manifest.v1+json"}`)}, false, false},
		{"index", map[string]string{"containerimage.descriptor": enc(`{"mediaType":"application/vnd.oci.image.index.v1+json"}`)}, true, false},
		{"not base64", map[string]string{"containerimage.descriptor": "%%"}, false, true},
		{"not json", map[string]string{"containerimage.descriptor": enc("{")}, false, true},
	} {
		got, err := exportedIndex(tc.resp)
		if got != tc.want || (err != nil) != tc.wantErr {
			t.Errorf("%s: %v, %v; want %v, error %v", tc.name, got, err, tc.want, tc.wantErr)
		}
	}
}
