package cli

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bricklayer-build/bricklayer/pipeline"
	"github.com/bricklayer-build/bricklayer/publish"
)

// TestFinish: a failed tag move is written to the metadata file, detailed
// with --verbose, and, with tags left moved, ends with what to do.
func TestFinish(t *testing.T) {
	meta := filepath.Join(t.TempDir(), "meta.json")
	left := publish.TagLeft{Ref: "r:t0", Index: "sha256:new", Was: "sha256:old", Err: "refused"}
	results := []*pipeline.ImageResult{{Name: "app", Repository: "r", Digest: "sha256:new", Tags: []string{}, TagsNotPutBack: []publish.TagLeft{left}}}
	moveErr := &buildFailed{err: &publish.TagMoveError{Tag: "r:t1", Err: errors.New("refused"), Total: 2, Unrestored: []publish.TagLeft{left}}}

	var stderr strings.Builder
	c := &CLI{stdout: io.Discard, stderr: &stderr}
	err := c.finish("publish", meta, true, results, nil, moveErr)
	var tl *tagsLeft
	if !errors.As(err, &tl) || !strings.HasSuffix(err.Error(), "; run the same bricklayer publish again to move every tag to the new index, or point each back at the digest it had (listed above, as does "+meta+")") {
		t.Errorf("finish = %v", err)
	}
	if want := "  NOT PUT BACK r:t0 (was sha256:old): refused\n"; stderr.String() != want {
		t.Errorf("printed %q, want %q", stderr.String(), want)
	}
	var m pipeline.Metadata
	dt, err := os.ReadFile(meta)
	if err == nil {
		err = json.Unmarshal(dt, &m)
	}
	if err != nil || len(m.Images["app"].TagsNotPutBack) != 1 || m.Images["app"].TagsNotPutBack[0] != left {
		t.Errorf("metadata %s: %v", dt, err)
	}

	// Every tag put back: exit 3's error as it was, no hint, no details
	// without --verbose.
	stderr.Reset()
	back := &buildFailed{err: &publish.TagMoveError{Tag: "r:t1", Err: errors.New("refused"), Total: 2, Restored: []string{"r:t0"}}}
	if err := c.finish("build", meta, false, results, nil, back); err != back || stderr.Len() != 0 {
		t.Errorf("finish = %v, printed %q", err, stderr.String())
	}

	// The metadata could not be written before the tags: not again.
	os.Remove(meta)
	wf := &writeFailed{err: errors.New("writing metadata: disk full")}
	if err := c.finish("build", meta, false, results, nil, wf); err != wf {
		t.Errorf("finish = %v", err)
	}
	if _, err := os.Stat(meta); err == nil {
		t.Error("the metadata was written after writing it failed")
	}
}
