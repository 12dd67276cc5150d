package sign

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	_ "crypto/sha256" // the hashes Key.hash names
	_ "crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	digest "github.com/opencontainers/go-digest"

	"github.com/bricklayer-build/bricklayer/publish"
)

// What cosign reads back (its "legacy" layout, which `cosign verify`
// falls back to when the image has no Sigstore bundle): an image manifest
// tagged sha256-HEX.sig in the image's repository, one layer per
// signature, each layer a simple-signing payload whose signature is in
// the layer's annotation.
const (
	payloadMediaType = types.MediaType("application/vnd.dev.cosign.simplesigning.v1+json")
	signatureKey     = "dev.cosignproject.cosign/signature"
	payloadType      = "cosign container image signature"
	tagSuffix        = ".sig"
)

// Target is an index to sign: its digest in its repository.
type Target struct {
	Repository string
	Digest     digest.Digest
}

// Signer signs indexes with Key and writes the signatures with Registry's
// credentials and transport.
type Signer struct {
	Key      *Key
	Registry publish.Registry
}

// Sign signs each target and writes its signature beside it; it returns
// the signatures' references, in the targets' order. A target already
// signed with the same key keeps its signature and gets no second one.
func (s *Signer) Sign(ctx context.Context, targets []Target) ([]string, error) {
	out := make([]string, len(targets))
	for i, t := range targets {
		ref, err := s.signOne(ctx, t)
		if err != nil {
			return nil, fmt.Errorf("signing %s@%s: %w", t.Repository, t.Digest, err)
		}
		out[i] = ref
	}
	return out, nil
}

func (s *Signer) signOne(ctx context.Context, t Target) (string, error) {
	if err := t.Digest.Validate(); err != nil {
		return "", err
	}
	repo, err := name.NewRepository(t.Repository, s.Registry.NameOptions(t.Repository)...)
	if err != nil {
		return "", err
	}
	payload, err := Payload(repo.Name(), t.Digest)
	if err != nil {
		return "", err
	}
	tag := repo.Tag(SignatureTag(t.Digest))
	opts := s.Registry.RemoteOptions(ctx)
	base, err := existing(tag, opts)
	if err != nil {
		return "", err
	}
	if done, err := s.hasSignature(base, payload); err != nil || done {
		return tag.String(), err
	}
	sig, err := s.Key.sign(payload)
	if err != nil {
		return "", err
	}
	img, err := mutate.Append(base, mutate.Addendum{
		Layer:       static.NewLayer(payload, payloadMediaType),
		MediaType:   payloadMediaType,
		Annotations: map[string]string{signatureKey: base64.StdEncoding.EncodeToString(sig)},
	})
	if err != nil {
		return "", err
	}
	if err := remote.Write(tag, img, opts...); err != nil {
		return "", fmt.Errorf("pushing %s: %w", tag, err)
	}
	return tag.String(), nil
}

// SignatureTag is the tag cosign looks for an image's signatures under:
// sha256:HEX becomes sha256-HEX.sig.
func SignatureTag(d digest.Digest) string {
	return string(d.Algorithm()) + "-" + d.Encoded() + tagSuffix
}

// Payload is the simple-signing document that claims d is an image of
// repo, as cosign writes it (no optional claims).
func Payload(repo string, d digest.Digest) ([]byte, error) {
	type identity struct {
		DockerReference string `json:"docker-reference"`
	}
	type image struct {
		DockerManifestDigest string `json:"docker-manifest-digest"`
	}
	type critical struct {
		Identity identity `json:"identity"`
		Image    image    `json:"image"`
		Type     string   `json:"type"`
	}
	return json.Marshal(struct {
		Critical critical       `json:"critical"`
		Optional map[string]any `json:"optional"`
	}{Critical: critical{Identity: identity{repo}, Image: image{d.String()}, Type: payloadType}})
}

// existing is the signature image already at tag (others' signatures are
// kept, as cosign keeps them), or an empty OCI image when there is none.
func existing(tag name.Tag, opts []remote.Option) (v1.Image, error) {
	img, err := remote.Image(tag, opts...)
	var te *transport.Error
	switch {
	case err == nil:
		return img, nil
	case errors.As(err, &te) && (te.StatusCode == 404 || hasCode(te, transport.ManifestUnknownErrorCode)):
		base := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
		return mutate.ConfigMediaType(base, types.OCIConfigJSON), nil
	}
	return nil, fmt.Errorf("reading %s: %w", tag, err)
}

func hasCode(te *transport.Error, code transport.ErrorCode) bool {
	for _, d := range te.Errors {
		if d.Code == code {
			return true
		}
	}
	return false
}

// hasSignature tells whether img already holds a signature of payload that
// the key verifies: signing again would only add a duplicate.
func (s *Signer) hasSignature(img v1.Image, payload []byte) (bool, error) {
	m, err := img.Manifest()
	if err != nil {
		return false, err
	}
	want := digest.FromBytes(payload).String()
	for _, l := range m.Layers {
		if l.MediaType != payloadMediaType || l.Digest.String() != want {
			continue
		}
		sig, err := base64.StdEncoding.DecodeString(strings.TrimSpace(l.Annotations[signatureKey]))
		if err == nil && s.Key.verify(payload, sig) {
			return true, nil
		}
	}
	return false, nil
}

// sign is an ASN.1 ECDSA signature over the payload's digest.
func (k *Key) sign(payload []byte) ([]byte, error) {
	h := k.hash.New()
	h.Write(payload)
	return ecdsa.SignASN1(rand.Reader, k.signer, h.Sum(nil))
}

func (k *Key) verify(payload, sig []byte) bool {
	h := k.hash.New()
	h.Write(payload)
	return ecdsa.VerifyASN1(&k.signer.PublicKey, h.Sum(nil), sig)
}
