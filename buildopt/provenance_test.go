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
