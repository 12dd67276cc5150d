package pipeline_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/bricklayer-build/bricklayer/pipeline"
	"github.com/bricklayer-build/bricklayer/platform"
)

// TestSignBeforeTags: Sign sees every index pushed, before Record and
// before any tag moves; its error records nothing and moves no tag. The
// same for publish. A subset of platforms (no index) signs nothing.
func TestSignBeforeTags(t *testing.T) {
	s := load(t, twoImageSpec)
	ctx := context.Background()
	signer := func(ev *events, err error) func(context.Context, []*pipeline.ImageResult) error {
		return func(_ context.Context, rs []*pipeline.ImageResult) error {
			for _, r := range rs {
				if r.Digest == "" || len(r.Tags) != 0 {
					t.Errorf("signing %s with digest %q and tags %v", r.Name, r.Digest, r.Tags)
				}
				ev.add("sign %s", r.Name)
			}
			return err
		}
	}
	sv, pub := newFakes()
	record := func([]*pipeline.ImageResult) error { pub.ev.add("record"); return nil }
	if _, err := run(ctx, s, sv, pub, runOpts{Push: true, Record: record, Sign: signer(pub.ev, nil)}); err != nil {
		t.Fatal(err)
	}
	ev := pub.ev.all()
	last := max(slices.Index(ev, "sign a"), slices.Index(ev, "sign b"))
	if slices.Index(ev, "sign a") < 0 || slices.Index(ev, "sign b") < 0 || slices.Index(ev, "record") < last || slices.Index(ev, "movetags") < last {
		t.Errorf("events %v: want both signed, then record and movetags", ev)
	}
	for i, e := range ev {
		if e == "pushindex ghcr.io/acme/a" || e == "pushindex localhost:5000/acme/b" {
			if i > last {
				t.Errorf("events %v: an index pushed after signing", ev)
			}
		}
	}

	errSign := errors.New("registry said no")
	sv, pub = newFakes()
	recorded := false
	_, err := run(ctx, s, sv, pub, runOpts{Push: true, Record: func([]*pipeline.ImageResult) error { recorded = true; return nil }, Sign: signer(pub.ev, errSign)})
	if !errors.Is(err, errSign) || len(pub.moves) != 0 || recorded {
		t.Errorf("Run: error %v, moves %v, recorded %v: want Sign's error, no move, no record", err, pub.moves, recorded)
	}

	// A subset pushes no index: nothing to sign.
	sv, pub = newFakes()
	_, err = run(ctx, s, sv, pub, runOpts{Push: true, Platforms: []platform.Platform{plat(t, "linux/amd64")}, Sign: signer(pub.ev, errSign)})
	if err != nil || slices.ContainsFunc(pub.ev.all(), func(e string) bool { return strings.HasPrefix(e, "sign ") }) {
		t.Errorf("subset: error %v, events %v", err, pub.ev.all())
	}

	// Publish signs what it assembled, and a failure moves no tag.
	full := func() []pipeline.Source {
		sv, pub := newFakes()
		res, err := run(ctx, s, sv, pub, runOpts{Push: true, Platforms: s.Images["a"].Platforms})
		if err != nil {
			t.Fatal(err)
		}
		m := &pipeline.Metadata{Images: map[string]*pipeline.ImageResult{}}
		for _, r := range res {
			m.Images[r.Name] = r
		}
		return []pipeline.Source{{Name: "all.json", Meta: m}}
	}
	_, pub = newFakes()
	if _, err := pipeline.Publish(ctx, s, pub, full(), pipeline.PublishOptions{Images: []string{"a"}, Sign: signer(pub.ev, errSign)}); !errors.Is(err, errSign) || len(pub.moves) != 0 {
		t.Errorf("Publish: error %v, moves %v: want Sign's error and no move", err, pub.moves)
	}
	_, pub = newFakes()
	if _, err := pipeline.Publish(ctx, s, pub, full(), pipeline.PublishOptions{Images: []string{"a"}, Sign: signer(pub.ev, nil)}); err != nil || len(pub.moves) != 1 {
		t.Errorf("Publish: error %v, moves %v", err, pub.moves)
	}
	if ev := pub.ev.all(); slices.Index(ev, "sign a") < 0 || slices.Index(ev, "movetags") < slices.Index(ev, "sign a") {
		t.Errorf("publish events %v: want sign a before movetags", ev)
	}
}
