package buildopt

import "testing"

// TestDefaultProvenance: buildx's default, mode=min for what is pushed or
// written, and none where it cannot be held (a Docker load) or would make
// a reproducible index differ from run to run (an epoch).
func TestDefaultProvenance(t *testing.T) {
	for _, c := range []struct {
		exported, load, epoch bool
		want                  string
	}{
		{true, false, false, "mode=min"},
		{false, false, false, ""},
		{true, true, false, ""},
		{false, true, false, ""},
		{true, false, true, ""},
	} {
		if got := DefaultProvenance(c.exported, c.load, c.epoch).Attr(); got != c.want {
			t.Errorf("DefaultProvenance(exported %v, load %v, epoch %v) = %q, want %q", c.exported, c.load, c.epoch, got, c.want)
		}
	}
}

// TestParseSBOM: buildx's spellings; a generator must be an image
// reference.
func TestParseSBOM(t *testing.T) {
	for in, want := range map[string]string{
		"true":                         DefaultScanner,
		"false":                        "",
		"generator=127.0.0.1:5000/s:1": "127.0.0.1:5000/s:1",
	} {
		got, err := ParseSBOM(in)
		if err != nil || got.Generator != want {
			t.Errorf("ParseSBOM(%q) = %+v, %v; want generator %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "yes", "generator=Bad:Name", "scanner=x", "generator=a,generator=b"} {
		if _, err := ParseSBOM(in); err == nil {
			t.Errorf("ParseSBOM(%q) accepted", in)
		}
	}
}
