package cli

import (
	"errors"
	"fmt"

	"github.com/bricklayer-build/bricklayer/internal/errkind"
	"github.com/bricklayer-build/bricklayer/internal/safefile"
	"github.com/bricklayer-build/bricklayer/pipeline"
	"github.com/bricklayer-build/bricklayer/platform"
	"github.com/bricklayer-build/bricklayer/publish"
	"github.com/bricklayer-build/bricklayer/spec"
)

// checkWrites checks, before anything is built or pushed, that every
// file the run writes here can be written: the metadata file, and the
// layouts and cache exports of opts (nil: none). Found after the push,
// the tags would have moved and the record of it be lost.
func checkWrites(meta string, s *spec.Spec, images []string, plats []platform.Platform, opts *pipeline.Options) error {
	if meta != "" {
		if err := safefile.CheckWrite(meta); err != nil {
			return fmt.Errorf("--metadata-file %s: %w; nothing was built or pushed", meta, err)
		}
	}
	if opts != nil {
		if err := pipeline.CheckWrites(s, images, plats, *opts); err != nil {
			return fmt.Errorf("%w; nothing was built or pushed", err)
		}
	}
	return nil
}

// recorder writes the results to the metadata file meta before the tags
// move (nil without one), so a run stopped while moving them leaves its
// digests on record.
func recorder(meta string, inputs *pipeline.Inputs) func([]*pipeline.ImageResult) error {
	if meta == "" {
		return nil
	}
	return func(results []*pipeline.ImageResult) error {
		if err := writeMetadata(meta, results, inputs); err != nil {
			return &writeFailed{err: err}
		}
		return nil
	}
}

// writeFailed is a file bricklayer could not write: exit 1, whatever
// stage of a build it happened at.
type writeFailed struct{ err error }

func (e *writeFailed) Error() string      { return e.err.Error() }
func (e *writeFailed) Kind() errkind.Kind { return errkind.Failed }
func (e *writeFailed) Unwrap() error      { return e.err }

// finish ends a run of build or publish (cmd) that got as far as moving
// tags (results set) or failed before (runErr): it writes the metadata
// file meta again, with what became of the tags, prints every tag of a
// failed move with verbose, and names the way out when tags were left
// moved.
func (c *CLI) finish(cmd, meta string, verbose bool, results []*pipeline.ImageResult, inputs *pipeline.Inputs, runErr error) error {
	// Not again when writing it before the tags failed: no tag moved.
	var wf *writeFailed
	if meta != "" && results != nil && !errors.As(runErr, &wf) {
		if err := writeMetadata(meta, results, inputs); err != nil {
			if runErr == nil {
				return &writeFailed{err: fmt.Errorf("every tag moved, but %w", err)}
			}
			runErr = fmt.Errorf("%w; and %v", runErr, err)
		}
	}
	if runErr == nil {
		return nil
	}
	var details []string
	var tm *publish.TagMoveError
	var race *publish.TagRaceError
	switch {
	case errors.As(runErr, &tm):
		details = tm.Details()
	case errors.As(runErr, &race):
		details = race.Details()
	}
	if verbose {
		for _, d := range details {
			fmt.Fprintf(c.stderr, "  %s\n", d)
		}
	}
	if tm == nil || tm.RolledBack() {
		return runErr
	}
	where := "--verbose lists them"
	if verbose {
		where = "listed above"
	}
	if meta != "" {
		where += ", as does " + meta
	}
	return &tagsLeft{err: runErr, hint: fmt.Sprintf("run the same bricklayer %s again to move every tag to the new index, or point each back at the digest it had (%s)", cmd, where)}
}
