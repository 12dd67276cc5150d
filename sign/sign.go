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

// Signer signs indexes with Key, or Keyless when it is set, and writes
// the signatures with Registry's credentials and transport.
type Signer struct {
	Key      *Key
	Keyless  *Keyless
	Registry publish.Registry
}

// method is a way of signing: it signs a payload into the annotations of
// its layer, and tells a layer that holds a signature it would make.
type method interface {
	annotations(ctx context.Context, payload []byte) (map[string]string, error)
	signed(payload []byte, annotations map[string]string) bool
}

// Sign signs each target and writes its signature beside it; it returns
// the signatures' references, in the targets' order. A target already
// signed with the same key keeps its signature and gets no second one.
// Keyless, the run's certificate is asked for once, before the first.
func (s *Signer) Sign(ctx context.Context, targets []Target) ([]string, error) {
	if len(targets) == 0 {
		return nil, nil
	}
	var m method = s.Key
	if s.Keyless != nil {
		r, err := s.Keyless.start(ctx)
		if err != nil {
			return nil, fmt.Errorf("keyless signing: %w", err)
		}
		m = r
	}
	out := make([]string, len(targets))
	for i, t := range targets {
		ref, err := s.signOne(ctx, m, t)
		if err != nil {
			return nil, fmt.Errorf("signing %s@%s: %w", t.Repository, t.Digest, err)
		}
		out[i] = ref
	}
	return out, nil
}

func (s *Signer) signOne(ctx context.Context, m method, t Target) (string, error) {
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
	if done, err := hasSignature(base, m, payload); err != nil || done {
		return tag.String(), err
	}
	ann, err := m.annotations(ctx, payload)
	if err != nil {
		return "", err
	}
	img, err := mutate.Append(base, mutate.Addendum{
		Layer:       static.NewLayer(payload, payloadMediaType),
		MediaType:   payloadMediaType,
		Annotations: ann,
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

// hasSignature tells whether img already holds a signature of payload
// that m would make: signing again would only add a duplicate.
func hasSignature(img v1.Image, m method, payload []byte) (bool, error) {
	mf, err := img.Manifest()
	if err != nil {
		return false, err
	}
	want := digest.FromBytes(payload).String()
	for _, l := range mf.Layers {
		if l.MediaType == payloadMediaType && l.Digest.String() == want && m.signed(payload, l.Annotations) {
			return true, nil
		}
	}
	return false, nil
}

// annotations sign the payload with the key.
func (k *Key) annotations(_ context.Context, payload []byte) (map[string]string, error) {
	sig, err := k.sign(payload)
	if err != nil {
		return nil, err
	}
	return map[string]string{signatureKey: base64.StdEncoding.EncodeToString(sig)}, nil
}

// signed tells a layer the key signed.
func (k *Key) signed(payload []byte, annotations map[string]string) bool {
	sig, err := base64.StdEncoding.DecodeString(strings.TrimSpace(annotations[signatureKey]))
	return err == nil && k.verify(payload, sig)
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
