package pipeline_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"

	"github.com/bricklayer-build/bricklayer/pipeline"
	"github.com/bricklayer-build/bricklayer/publish"
)

// failingTags is a publisher whose MoveTags fails with err after moving
// the references moved.
type failingTags struct {
	*fakePublisher
	moved []string
	err   error
}

func (p *failingTags) MoveTags(ctx context.Context, jobs []publish.Tagging) ([]string, error) {
	p.fakePublisher.MoveTags(ctx, jobs)
	return p.moved, p.err
}

// TestRecordBeforeTags: Record sees every index pushed and no tag moved
// yet; its error moves no tag.
func TestRecordBeforeTags(t *testing.T) {
	s := load(t, twoImageSpec)
	sv, pub := newFakes()
	var seen []string
	record := func(rs []*pipeline.ImageResult) error {
		for _, r := range rs {
			if r.Digest == "" || len(r.Tags) != 0 {
				t.Errorf("recorded %s with digest %q and tags %v", r.Name, r.Digest, r.Tags)
			}
			seen = append(seen, r.Name)
		}
		pub.ev.add("record")
		return nil
	}
	if _, err := run(context.Background(), s, sv, pub, runOpts{Push: true, Record: record}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(seen, []string{"a", "b"}) {
		t.Errorf("recorded %v, want a and b", seen)
	}
	ev := pub.ev.all()
	if r, m := slices.Index(ev, "record"), slices.Index(ev, "movetags"); r < 0 || m < r {
		t.Errorf("events %v: want record before movetags", ev)
	}

	errWrite := errors.New("disk full")
	sv, pub = newFakes()
	_, err := run(context.Background(), s, sv, pub, runOpts{Push: true, Record: func([]*pipeline.ImageResult) error { return errWrite }})
	if !errors.Is(err, errWrite) {
		t.Errorf("Run error %v, want Record's", err)
	}
	if len(pub.moves) != 0 {
		t.Errorf("tags moved though Record failed: %v", pub.moves)
	}
}

// TestTagOutcomes: what a failed move left behind is recorded on the
// image it belongs to, for the metadata file.
func TestTagOutcomes(t *testing.T) {
	s := load(t, twoImageSpec)
	left := publish.TagLeft{Ref: "ghcr.io/acme/a:latest", Was: "sha256:old", Err: "refused"}
	moveErr := &publish.TagMoveError{Tag: "localhost:5000/acme/b:2", Err: errors.New("refused"), Total: 3, Unrestored: []publish.TagLeft{left}}
	sv, fake := newFakes()
	pub := &failingTags{fakePublisher: fake, err: moveErr}
	results, err := run(context.Background(), s, sv, pub, runOpts{Push: true})
	if !errors.Is(err, moveErr) || len(results) != 2 {
		t.Fatalf("Run: %d results, error %v", len(results), err)
	}
	if !reflect.DeepEqual(results[0].TagsNotPutBack, []publish.TagLeft{left}) || results[1].TagsNotPutBack != nil {
		t.Errorf("not put back: a %v, b %v", results[0].TagsNotPutBack, results[1].TagsNotPutBack)
	}

	other := publish.TagAt{Ref: "localhost:5000/acme/b:2", Digest: "sha256:other"}
	sv, fake = newFakes()
	pub = &failingTags{fakePublisher: fake, moved: []string{"ghcr.io/acme/a:1", "ghcr.io/acme/a:latest"}, err: &publish.TagRaceError{Total: 3, Elsewhere: []publish.TagAt{other}}}
	results, err = run(context.Background(), s, sv, pub, runOpts{Push: true})
	if err == nil {
		t.Fatal("Run succeeded despite the race")
	}
	if !slices.Equal(results[0].Tags, []string{"ghcr.io/acme/a:1", "ghcr.io/acme/a:latest"}) || len(results[1].Tags) != 0 {
		t.Errorf("tags a %v, b %v", results[0].Tags, results[1].Tags)
	}
	if !reflect.DeepEqual(results[1].TagsElsewhere, []publish.TagAt{other}) || results[0].TagsElsewhere != nil {
		t.Errorf("elsewhere: a %v, b %v", results[0].TagsElsewhere, results[1].TagsElsewhere)
	}
}
