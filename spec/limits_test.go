package spec_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/bricklayer-build/bricklayer/spec"
)

// TestLengthLimits: a tag is at most 128 characters and an annotation key
// at most 255, checked beside their patterns.
func TestLengthLimits(t *testing.T) {
	for _, c := range []struct {
		tag, key string
		bad      string
	}{
		{tag: strings.Repeat("t", 128), key: "a" + strings.Repeat(".", 253) + "z"},
		{tag: strings.Repeat("t", 129), key: "org.x", bad: "invalid tag"},
		{tag: "1", key: "a" + strings.Repeat(".", 254) + "z", bad: "invalid annotation key"},
	} {
		src := fmt.Sprintf("images: a: {repository: \"example.com/a\", from: \"scratch\", tags: [%q], annotations: %q: \"v\"}\n", c.tag, c.key)
		_, err := spec.Parse("bricklayer.cue", []byte(src))
		switch {
		case c.bad == "" && err != nil:
			t.Errorf("tag of %d, key of %d: %v", len(c.tag), len(c.key), err)
		case c.bad != "" && (err == nil || !strings.Contains(err.Error(), c.bad)):
			t.Errorf("tag of %d, key of %d: error %v, want %q", len(c.tag), len(c.key), err, c.bad)
		}
	}
}
