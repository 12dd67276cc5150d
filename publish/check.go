package publish

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/errgroup"

	"github.com/bricklayer-build/bricklayer/platform"
)

// What publish is told (runners' metadata files) is checked against what
// the registry holds before anything is pushed: a doctored or mixed-up
// file must not make an index that lists an image under a platform it is
// not for.

const (
	// maxFetches bounds the manifests Check reads at once, over all
	// images and platforms.
	maxFetches = 8
	// maxConfig bounds an image config Check reads for its platform.
	maxConfig = 8 << 20
	// maxStatement bounds an in-toto statement Check reads for its
	// subject; provenance with mode=max holds the build's LLB.
	maxStatement = 32 << 20
	// inTotoType is the media type of the layers of an attestation
	// manifest: each an in-toto statement.
	inTotoType = "application/vnd.in-toto+json"
)

// Index is the index of one image as publish is told it: its repository
// and its platforms' manifests, in the index's order.
type Index struct {
	Repository string
	Manifests  []Manifest
}

// Checked is an Index whose manifests were read from the registry and are
// what they are listed as; PushChecked pushes it without reading them
// again.
type Checked struct {
	Index
	// adds and atts are the index's entries (images, then their
	// attestations) as read, in order.
	adds, atts []mutate.IndexAddendum
}

// Mismatch is a manifest that is not what an index lists it as.
type Mismatch struct {
	// Index and Entry place it: the index in Check's argument, the
	// manifest in that index.
	Index, Entry int
	// Platform is the platform the entry is listed under.
	Platform platform.Platform
	// Msg says what the entry names and what that really is, e.g.
	// "names sha256:..., an image of linux/arm64".
	Msg string
}

// MismatchError lists the manifests that are not what they are listed
// as; nothing was pushed.
type MismatchError struct {
	Mismatches []Mismatch
}

func (e *MismatchError) Error() string {
	var lines []string
	for _, m := range e.Mismatches {
		lines = append(lines, fmt.Sprintf("platform %s %s", m.Platform, m.Msg))
	}
	return strings.Join(lines, "; ")
}

// read is one manifest as Check read it: the image, or why it is not what
// it is listed as.
type read struct {
	img      v1.Image
	mt       types.MediaType
	mismatch string
}

// Check reads from the registry every manifest the indexes list, at most
// maxFetches at once, and checks that each is an image manifest whose
// config gives the platform it is listed under (as spec normalises
// platforms), in the index's repository, and that each attestation is an
// attestation manifest about its platform's manifest. It returns the
// indexes ready to push, or a *MismatchError naming every entry that is
// not what it is listed as; any other error is the registry's.
func (r Registry) Check(ctx context.Context, indexes []Index) ([]*Checked, error) {
	images := make([][]read, len(indexes))
	atts := make([][]read, len(indexes))
	// Not errgroup.WithContext: the images read keep the context they
	// were read with and are pushed with it later, so it must outlive the
	// group; every read finishes, so that all mismatches are reported.
	var eg errgroup.Group
	eg.SetLimit(maxFetches)
	for i, idx := range indexes {
		images[i] = make([]read, len(idx.Manifests))
		atts[i] = make([]read, len(idx.Manifests))
		for j, m := range idx.Manifests {
			eg.Go(func() (err error) {
				images[i][j], err = r.readImage(ctx, idx.Repository, m)
				return err
			})
			if m.Attestation != "" {
				eg.Go(func() (err error) {
					atts[i][j], err = r.readAttestation(ctx, idx.Repository, m)
					return err
				})
			}
		}
	}
	if err := eg.Wait(); err != nil {
		return nil, err
	}
	var mismatches []Mismatch
	out := make([]*Checked, len(indexes))
	for i, idx := range indexes {
		c := &Checked{Index: idx}
		for j, m := range idx.Manifests {
			for _, rd := range []read{images[i][j], atts[i][j]} {
				if rd.mismatch != "" {
					mismatches = append(mismatches, Mismatch{Index: i, Entry: j, Platform: m.Platform, Msg: rd.mismatch})
				}
			}
			c.adds = append(c.adds, addendum(images[i][j].img, images[i][j].mt, m.Platform))
			if m.Attestation != "" {
				c.atts = append(c.atts, attestationAddendum(atts[i][j].img, atts[i][j].mt, m.Digest))
			}
		}
		out[i] = c
	}
	if len(mismatches) > 0 {
		return nil, &MismatchError{Mismatches: mismatches}
	}
	return out, nil
}

// PushChecked pushes, by digest, the index Check read and returns its
// digest: the same index PushIndex makes of the same manifests.
func (r Registry) PushChecked(ctx context.Context, c *Checked, annotations map[string]string) (digest.Digest, error) {
	if len(c.adds) != len(c.Manifests) {
		return "", fmt.Errorf("the index of %s was not read by Check", c.Repository)
	}
	return r.push(ctx, c.Repository, append(append([]mutate.IndexAddendum{}, c.adds...), c.atts...), annotations)
}

// get reads the manifest of digest d in repo: a mismatch when the
// registry does not hold it there, or when it is not an image manifest.
// what is how the metadata names it ("names D").
func (r Registry) get(ctx context.Context, repo string, d digest.Digest, what string) (*remote.Descriptor, string, error) {
	pinned, err := r.digestRef(repo, d)
	if err != nil {
		return nil, "", err
	}
	desc, err := remote.Get(pinned, r.remoteOpts(ctx)...)
	var te *transport.Error
	switch {
	case errors.As(err, &te) && te.StatusCode == http.StatusNotFound:
		return nil, fmt.Sprintf("%s, which %s does not hold", what, repo), nil
	case err != nil:
		return nil, "", fmt.Errorf("reading %s: %w", pinned, err)
	case desc.MediaType.IsIndex():
		return nil, fmt.Sprintf("%s, an image index, where an image manifest was expected", what), nil
	case !desc.MediaType.IsImage():
		return nil, fmt.Sprintf("%s, a %s, not an image manifest", what, desc.MediaType), nil
	}
	return desc, "", nil
}

// readImage reads the image manifest of m and checks its config's
// platform against m's.
func (r Registry) readImage(ctx context.Context, repo string, m Manifest) (read, error) {
	what := "names " + m.Digest.String()
	desc, mismatch, err := r.get(ctx, repo, m.Digest, what)
	if err != nil || mismatch != "" {
		return read{mismatch: mismatch}, err
	}
	img, err := desc.Image()
	if err != nil {
		return read{}, fmt.Errorf("reading %s@%s: %w", repo, m.Digest, err)
	}
	mf, err := img.Manifest()
	if err != nil {
		return read{mismatch: fmt.Sprintf("%s, a manifest that does not parse: %v", what, err)}, nil
	}
	if mf.Config.Size > maxConfig {
		return read{mismatch: fmt.Sprintf("%s, whose config is %d bytes, more than bricklayer reads", what, mf.Config.Size)}, nil
	}
	raw, err := img.RawConfigFile()
	if err != nil {
		return read{}, fmt.Errorf("reading the config of %s@%s: %w", repo, m.Digest, err)
	}
	var cf struct{ OS, Architecture, Variant string }
	if err := json.Unmarshal(raw, &cf); err != nil {
		return read{mismatch: fmt.Sprintf("%s, whose config is not an image config: %v", what, err)}, nil
	}
	if cf.OS == "" || cf.Architecture == "" {
		return read{mismatch: fmt.Sprintf("%s, whose config names no platform", what)}, nil
	}
	// Compared as spec compares platforms: arm is arm/v7, arm64/v8 is
	// arm64.
	if got := platform.Of(ocispecs.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant}); got != m.Platform {
		return read{mismatch: fmt.Sprintf("%s, an image of %s", what, got)}, nil
	}
	return read{img: img, mt: desc.MediaType}, nil
}

// statement is the part of an in-toto statement Check reads: what it is
// about.
type statement struct {
	Subject []struct {
		Digest map[string]string `json:"digest"`
	} `json:"subject"`
}

// readAttestation reads the attestation manifest of m and checks that
// what it attests is m's image manifest: every in-toto statement it holds
// (and its OCI subject, when it has one) names that digest.
func (r Registry) readAttestation(ctx context.Context, repo string, m Manifest) (read, error) {
	what := "has the attestation " + m.Attestation.String()
	desc, mismatch, err := r.get(ctx, repo, m.Attestation, what)
	if err != nil || mismatch != "" {
		return read{mismatch: mismatch}, err
	}
	img, err := desc.Image()
	if err != nil {
		return read{}, fmt.Errorf("reading %s@%s: %w", repo, m.Attestation, err)
	}
	mf, err := img.Manifest()
	if err != nil {
		return read{mismatch: fmt.Sprintf("%s, a manifest that does not parse: %v", what, err)}, nil
	}
	about := func(d string) read {
		return read{mismatch: fmt.Sprintf("%s, which is about %s, not about %s", what, d, m.Digest)}
	}
	if mf.Subject != nil && mf.Subject.Digest.String() != m.Digest.String() {
		return about(mf.Subject.Digest.String()), nil
	}
	statements := 0
	for _, l := range mf.Layers {
		if l.MediaType != inTotoType {
			continue
		}
		statements++
		if l.Size > maxStatement {
			return read{mismatch: fmt.Sprintf("%s, whose statement %s is %d bytes, more than bricklayer reads", what, l.Digest, l.Size)}, nil
		}
		st, err := r.readStatement(img, l.Digest)
		if err != nil {
			return read{}, fmt.Errorf("reading the statement %s of %s@%s: %w", l.Digest, repo, m.Attestation, err)
		}
		if st == nil {
			return read{mismatch: fmt.Sprintf("%s, whose layer %s is not an in-toto statement", what, l.Digest)}, nil
		}
		if d, ok := subjectOf(st, m.Digest); !ok {
			return about(d), nil
		}
	}
	if statements == 0 {
		return read{mismatch: fmt.Sprintf("%s, which holds no in-toto statement", what)}, nil
	}
	return read{img: img, mt: desc.MediaType}, nil
}

// readStatement reads the layer h of img as an in-toto statement; nil
// when it does not parse as one.
func (r Registry) readStatement(img v1.Image, h v1.Hash) (*statement, error) {
	l, err := img.LayerByDigest(h)
	if err != nil {
		return nil, err
	}
	rc, err := l.Compressed()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	// The registry's reader checks the blob's digest and size as it is
	// read, and the size was bounded before.
	dt, err := io.ReadAll(io.LimitReader(rc, maxStatement+1))
	if err != nil {
		return nil, err
	}
	var st statement
	if err := json.Unmarshal(dt, &st); err != nil {
		return nil, nil
	}
	return &st, nil
}

// subjectOf tells whether the statement is about d; when it is not, it
// gives what it is about instead.
func subjectOf(st *statement, d digest.Digest) (string, bool) {
	if len(st.Subject) == 0 {
		return "nothing (no subject)", false
	}
	for _, s := range st.Subject {
		if s.Digest[d.Algorithm().String()] == d.Encoded() {
			return "", true
		}
	}
	for alg, enc := range st.Subject[0].Digest {
		if alg == d.Algorithm().String() {
			return alg + ":" + enc, false
		}
	}
	return "another subject", false
}
