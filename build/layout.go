package build

import (
	"archive/tar"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"

	"github.com/containerd/platforms"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// layoutManifests reads the OCI layout written at dest (a tar file or a
// directory) and returns the manifests of its image index, by platform,
// and the index's digest.
func layoutManifests(dest string, isTar bool, want digest.Digest) ([]PlatformResult, digest.Digest, error) {
	read := readDirFile(dest)
	if isTar {
		read = readTarFile(dest)
	}
	var top ocispecs.Index
	if err := readJSON(read, "index.json", &top); err != nil {
		return nil, "", err
	}
	idx := want
	if idx == "" {
		for _, m := range top.Manifests {
			if m.MediaType == ocispecs.MediaTypeImageIndex {
				idx = m.Digest
			}
		}
	}
	if idx == "" {
		return nil, "", errors.New("index.json names no image index")
	}
	var index ocispecs.Index
	if err := readJSON(read, path.Join("blobs", idx.Algorithm().String(), idx.Encoded()), &index); err != nil {
		return nil, "", err
	}
	return manifestsOf(index), idx, nil
}

func manifestsOf(index ocispecs.Index) []PlatformResult {
	var out []PlatformResult
	for _, m := range index.Manifests {
		if m.Platform == nil {
			continue // attestations
		}
		out = append(out, PlatformResult{Platform: platforms.Format(platforms.Normalize(*m.Platform)), Digest: m.Digest})
	}
	return out
}

func readJSON(read func(string) ([]byte, error), name string, v any) error {
	dt, err := read(name)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(dt, v); err != nil {
		return fmt.Errorf("parsing %s: %w", name, err)
	}
	return nil
}

func readDirFile(dir string) func(string) ([]byte, error) {
	return func(name string) ([]byte, error) {
		return os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
	}
}

func readTarFile(file string) func(string) ([]byte, error) {
	return func(name string) ([]byte, error) {
		f, err := os.Open(file)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		tr := tar.NewReader(f)
		for {
			h, err := tr.Next()
			if err == io.EOF {
				return nil, fmt.Errorf("%s has no %s", file, name)
			}
			if err != nil {
				return nil, fmt.Errorf("reading %s: %w", file, err)
			}
			if path.Clean(h.Name) == name {
				return io.ReadAll(io.LimitReader(tr, 16<<20))
			}
		}
	}
}
