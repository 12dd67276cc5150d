package ciflow

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// The keys of buildx's metadata (BuildKit's exporter response names)
// that the metadata output carries beside bricklayer's own, so that a
// workflow reading build-push-action's metadata output reads ours.
// buildx.build.ref is left out: it names one build in a buildx builder's
// history, and a bricklayer build is many solves (per image and
// platform), not one record there.
const (
	keyDigest     = "containerimage.digest"
	keyDescriptor = "containerimage.descriptor"
	keyImageName  = "image.name"
)

// Describe tells the media type and size of the manifest repo holds at
// digest.
type Describe func(ctx context.Context, repo, digest string) (mediaType string, size int64, err error)

// descriptor is an OCI descriptor, as containerimage.descriptor holds it.
type descriptor struct {
	MediaType string `json:"mediaType"`
	Digest    string `json:"digest"`
	Size      int64  `json:"size"`
}

// withBuildxKeys returns the metadata JSON with buildx's keys added to
// each image that has an index: containerimage.digest, image.name (its
// tags, comma separated) when it has tags, and containerimage.descriptor
// when it is in the registry (which tells the index's size; when it
// cannot, warn says why and the key is left out). When the step made one
// such image, its keys are at the top level too, where
// build-push-action's metadata has them.
func withBuildxKeys(ctx context.Context, data []byte, describe Describe, warn func(string)) ([]byte, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	var images map[string]map[string]json.RawMessage
	if raw, ok := doc["images"]; ok {
		if err := json.Unmarshal(raw, &images); err != nil {
			return nil, err
		}
	}
	var typed metadataDoc
	if err := json.Unmarshal(data, &typed); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(images))
	for n := range images {
		names = append(names, n)
	}
	slices.Sort(names)
	var made []map[string]any
	for _, n := range names {
		im := typed.Images[n]
		if im.Digest == "" {
			continue
		}
		keys := map[string]any{keyDigest: im.Digest}
		if len(im.Tags) > 0 {
			keys[keyImageName] = strings.Join(im.Tags, ",")
		}
		// An index is in the registry unless it went to an OCI layout
		// only (publish's results do not say pushed: they all are).
		if im.Pushed || im.Output == "" {
			mt, size, err := describe(ctx, im.Repository, im.Digest)
			if err != nil {
				warn(fmt.Sprintf("image %s: no %s in the metadata output: %v", n, keyDescriptor, err))
			} else {
				keys[keyDescriptor] = descriptor{MediaType: mt, Digest: im.Digest, Size: size}
			}
		}
		if err := addKeys(images[n], keys); err != nil {
			return nil, err
		}
		made = append(made, keys)
	}
	if len(made) == 0 {
		return data, nil
	}
	raw, err := json.Marshal(images)
	if err != nil {
		return nil, err
	}
	doc["images"] = raw
	if len(images) == 1 {
		if err := addKeys(doc, made[0]); err != nil {
			return nil, err
		}
	}
	return json.MarshalIndent(doc, "", "  ")
}

// addKeys sets keys in an object, leaving a key it has as it is.
func addKeys(obj map[string]json.RawMessage, keys map[string]any) error {
	for k, v := range keys {
		if _, ok := obj[k]; ok {
			continue
		}
		raw, err := json.Marshal(v)
		if err != nil {
			return err
		}
		obj[k] = raw
	}
	return nil
}

// registryDescribe asks the registry, with the Docker config's
// credentials (those the step's logins wrote), over plain HTTP for the
// insecure registries.
func registryDescribe(insecure []string) Describe {
	return func(ctx context.Context, repo, digest string) (string, int64, error) {
		var opts []name.Option
		if r, err := name.NewRepository(repo); err == nil && slices.Contains(insecure, r.RegistryStr()) {
			opts = append(opts, name.Insecure)
		}
		ref, err := name.NewDigest(repo+"@"+digest, opts...)
		if err != nil {
			return "", 0, err
		}
		desc, err := remote.Head(ref, remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain))
		if err != nil {
			return "", 0, err
		}
		return string(desc.MediaType), desc.Size, nil
	}
}

// insecureRegistries are the registries the step reaches over plain
// HTTP: the insecure-registry input's and those args gives
// --insecure-registry.
func insecureRegistries(in Inputs) []string {
	out := slices.Clone(in.Insecure)
	for i := 0; i < len(in.Args); i++ {
		a := in.Args[i]
		if a == "--" {
			break
		}
		if v, ok := strings.CutPrefix(a, "--insecure-registry="); ok {
			out = append(out, list(v)...)
		} else if a == "--insecure-registry" && i+1 < len(in.Args) {
			i++
			out = append(out, list(in.Args[i])...)
		}
	}
	return out
}
