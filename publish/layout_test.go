package publish_test

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/bricklayer-build/bricklayer/internal/ociread"
	"github.com/bricklayer-build/bricklayer/publish"
)

const pubTestRefName = "org.opencontainers.image.ref.name"

// pubTestSingleLayout writes img as the one image of an OCI layout in a
// new temporary directory.
func pubTestSingleLayout(t *testing.T, img v1.Image) string {
	t.Helper()
	dir := t.TempDir()
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(img); err != nil {
		t.Fatal(err)
	}
	return dir
}

// pubTestParts is two single-image layouts, linux/arm/v7 then
// linux/amd64, and their images.
func pubTestParts(t *testing.T) ([]publish.LayoutPart, []v1.Image) {
	t.Helper()
	arm, amd := pubTestImage(t), pubTestImage(t)
	return []publish.LayoutPart{
		{Platform: pubTestArmV7, Dir: pubTestSingleLayout(t, arm)},
		{Platform: pubTestAmd64, Dir: pubTestSingleLayout(t, amd)},
	}, []v1.Image{arm, amd}
}

// pubTestTarFiles is the contents of the regular files of a tar, by name,
// and every entry name in order.
func pubTestTarFiles(t *testing.T, path string) (map[string][]byte, []string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	files := map[string][]byte{}
	var names []string
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("reading %s: %v", path, err)
		}
		names = append(names, h.Name)
		if h.Typeflag == tar.TypeReg {
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			files[h.Name] = b
		}
	}
	return files, names
}

// pubTestDirEntries is the names in dir.
func pubTestDirEntries(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// pubTestTopIndex checks the layout at dir holds one index, named ref,
// of digest d, and returns that index.
func pubTestTopIndex(t *testing.T, dir, ref string, d string) v1.ImageIndex {
	t.Helper()
	idxs, err := ociread.Read(dir)
	if err != nil {
		t.Fatalf("reading the layout back: %v", err)
	}
	if len(idxs) != 1 {
		t.Fatalf("index.json has %d entries, want 1", len(idxs))
	}
	desc := idxs[0].Desc
	if got := desc.Annotations[pubTestRefName]; got != ref {
		t.Errorf("index.json entry %s = %q, want %q", pubTestRefName, got, ref)
	}
	if desc.Digest.String() != d {
		t.Errorf("index.json entry digest %s, want %s", desc.Digest, d)
	}
	if desc.MediaType != types.OCIImageIndex {
		t.Errorf("index.json entry media type %s, want %s", desc.MediaType, types.OCIImageIndex)
	}
	return idxs[0].Index
}

func TestWriteLayout(t *testing.T) {
	parts, imgs := pubTestParts(t)
	out := t.TempDir()

	tarPath := filepath.Join(out, "image.tar")
	// Annotations go on the index, the same way for a layout and a push.
	ann := map[string]string{"org.opencontainers.image.source": "https://example.com/acme/app"}
	dTar, manifests, err := publish.WriteLayout(tarPath, true, "1.0", parts, ann)
	if err != nil {
		t.Fatal(err)
	}
	dirPath := filepath.Join(out, "image")
	dDir, manifestsDir, err := publish.WriteLayout(dirPath, false, "1.0", parts, ann)
	if err != nil {
		t.Fatal(err)
	}
	if dTar != dDir {
		t.Errorf("tar layout digest %s, directory layout digest %s", dTar, dDir)
	}
	if err := dTar.Validate(); err != nil {
		t.Fatalf("WriteLayout returned %q: %v", dTar, err)
	}

	// The manifests returned are the parts', in order.
	if len(manifests) != len(parts) || len(manifestsDir) != len(parts) {
		t.Fatalf("WriteLayout returned %d and %d manifests, want %d", len(manifests), len(manifestsDir), len(parts))
	}
	for i, p := range parts {
		want, err := imgs[i].Digest()
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range []publish.Manifest{manifests[i], manifestsDir[i]} {
			if m.Platform != p.Platform || m.Digest.String() != want.String() {
				t.Errorf("manifest %d: %s %s, want %s %s", i, m.Platform, m.Digest, p.Platform, want)
			}
		}
	}

	// The same images pushed give the same index: one way to make one.
	repo, reg := pubTestRegistry(t)
	var pushed []publish.Manifest
	for i, img := range imgs {
		pushed = append(pushed, publish.Manifest{Platform: parts[i].Platform, Digest: pubTestPushImage(t, repo, img)})
	}
	dPush, err := reg.PushIndex(context.Background(), repo, pushed, ann)
	if err != nil {
		t.Fatal(err)
	}
	if dPush != dTar {
		t.Errorf("PushIndex gave %s, WriteLayout %s", dPush, dTar)
	}

	// The directory reads back as a layout of one index named 1.0, of the
	// parts' images in order.
	idx := pubTestTopIndex(t, dirPath, "1.0", dDir.String())
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Manifests) != len(parts) {
		t.Fatalf("the index has %d manifests, want %d", len(im.Manifests), len(parts))
	}
	if got := im.Annotations["org.opencontainers.image.source"]; got != ann["org.opencontainers.image.source"] {
		t.Errorf("index annotations %v, want %v", im.Annotations, ann)
	}
	for i, p := range parts {
		got := im.Manifests[i]
		if got.Digest.String() != manifests[i].Digest.String() {
			t.Errorf("manifest %d: digest %s, want %s", i, got.Digest, manifests[i].Digest)
		}
		if got.Platform == nil || got.Platform.OS != p.Platform.OS || got.Platform.Architecture != p.Platform.Architecture || got.Platform.Variant != p.Platform.Variant {
			t.Errorf("manifest %d: platform %+v, want %s", i, got.Platform, p.Platform)
		}
		img, err := idx.Image(got.Digest)
		if err != nil {
			t.Fatal(err)
		}
		layers, err := img.Layers()
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range layers {
			rc, err := l.Compressed()
			if err != nil {
				t.Fatalf("manifest %d: layer blob missing: %v", i, err)
			}
			rc.Close()
		}
	}
	// No temporary directory is left next to dest.
	for _, n := range pubTestDirEntries(t, out) {
		if n != "image" && n != "image.tar" {
			t.Errorf("left behind in %s: %s", out, n)
		}
	}

	// The tar holds the layout: index.json, oci-layout and the index blob.
	files, names := pubTestTarFiles(t, tarPath)
	for _, n := range []string{"index.json", "oci-layout", "blobs/sha256/" + dTar.Encoded()} {
		if _, ok := files[n]; !ok {
			t.Errorf("the tar has no %s; it has %q", n, names)
		}
	}
	for _, n := range names {
		if strings.HasPrefix(n, "/") || strings.HasPrefix(n, "./") || strings.Contains(n, "..") {
			t.Errorf("tar entry name %q is not relative to the layout", n)
		}
	}
	// The tar's files are the directory's.
	for n, b := range files {
		d, err := os.ReadFile(filepath.Join(dirPath, filepath.FromSlash(n)))
		if err != nil {
			t.Errorf("tar entry %s: %v", n, err)
			continue
		}
		if !bytes.Equal(b, d) {
			t.Errorf("tar entry %s differs from the directory's file", n)
		}
	}

	// Written twice, the tar is the same bytes.
	first, err := os.ReadFile(tarPath)
	if err != nil {
		t.Fatal(err)
	}
	tar2 := filepath.Join(t.TempDir(), "again.tar")
	if _, _, err := publish.WriteLayout(tar2, true, "1.0", parts, ann); err != nil {
		t.Fatal(err)
	}
	second, err := os.ReadFile(tar2)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, second) {
		t.Error("the tar written twice differs")
	}
	// Over itself too.
	if _, _, err := publish.WriteLayout(tarPath, true, "1.0", parts, ann); err != nil {
		t.Fatal(err)
	}
	third, err := os.ReadFile(tarPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, third) {
		t.Error("the tar rewritten in place differs")
	}
}

func TestWriteLayoutNoRef(t *testing.T) {
	parts, _ := pubTestParts(t)
	dir := filepath.Join(t.TempDir(), "image")
	d, _, err := publish.WriteLayout(dir, false, "", parts, nil)
	if err != nil {
		t.Fatal(err)
	}
	pubTestTopIndex(t, dir, "", d.String())
}

func TestWriteLayoutRefusesOtherDirectory(t *testing.T) {
	parts, _ := pubTestParts(t)
	parent := t.TempDir()
	dir := filepath.Join(parent, "mine")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	keep := filepath.Join(dir, "keep.txt")
	if err := os.WriteFile(keep, []byte("precious"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := publish.WriteLayout(dir, false, "1.0", parts, nil); err == nil {
		t.Fatal("WriteLayout over a directory that is not an OCI layout succeeded")
	}
	b, err := os.ReadFile(keep)
	if err != nil || string(b) != "precious" {
		t.Fatalf("keep.txt after the refused WriteLayout: %q, %v", b, err)
	}
	if got := pubTestDirEntries(t, dir); len(got) != 1 || got[0] != "keep.txt" {
		t.Errorf("the directory now holds %q, want only keep.txt", got)
	}
	if got := pubTestDirEntries(t, parent); len(got) != 1 || got[0] != "mine" {
		t.Errorf("the parent now holds %q, want only mine (no temporary left)", got)
	}
}

func TestWriteLayoutOverFile(t *testing.T) {
	parts, _ := pubTestParts(t)
	dest := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(dest, []byte("precious"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := publish.WriteLayout(dest, false, "1.0", parts, nil); err == nil {
		t.Error("WriteLayout of a directory over a regular file succeeded")
	}
	if b, err := os.ReadFile(dest); err != nil || string(b) != "precious" {
		t.Errorf("the file after WriteLayout: %q, %v", b, err)
	}
}

func TestWriteLayoutIntoEmptyDirectory(t *testing.T) {
	parts, _ := pubTestParts(t)
	dir := filepath.Join(t.TempDir(), "empty")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	d, _, err := publish.WriteLayout(dir, false, "1.0", parts, nil)
	if err != nil {
		t.Fatal(err)
	}
	pubTestTopIndex(t, dir, "1.0", d.String())
}

func TestWriteLayoutReplacesLayout(t *testing.T) {
	parts, _ := pubTestParts(t)
	parent := t.TempDir()
	dir := filepath.Join(parent, "image")
	if _, _, err := publish.WriteLayout(dir, false, "1.0", parts, nil); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(dir, "stale.txt")
	if err := os.WriteFile(stale, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}

	// Another index (one platform only) over the existing layout.
	d2, _, err := publish.WriteLayout(dir, false, "2.0", parts[1:], nil)
	if err != nil {
		t.Fatalf("WriteLayout over an existing OCI layout: %v", err)
	}
	idx := pubTestTopIndex(t, dir, "2.0", d2.String())
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Manifests) != 1 || im.Manifests[0].Platform == nil || im.Manifests[0].Platform.Architecture != "amd64" {
		t.Errorf("the replaced layout's index is %+v, want linux/amd64 only", im.Manifests)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("the old layout's stale.txt is still there (%v): the layout was not replaced whole", err)
	}
	if got := pubTestDirEntries(t, parent); len(got) != 1 || got[0] != "image" {
		t.Errorf("the parent now holds %q, want only image (no temporary or .old left)", got)
	}
}

func TestWriteLayoutBadPart(t *testing.T) {
	parts, _ := pubTestParts(t)
	notLayout := t.TempDir()
	parts = append(parts, publish.LayoutPart{Platform: pubTestAmd64, Dir: notLayout})
	parent := t.TempDir()
	dest := filepath.Join(parent, "image.tar")
	if _, _, err := publish.WriteLayout(dest, true, "1.0", parts, nil); err == nil {
		t.Fatal("WriteLayout of a part that is no layout succeeded")
	}
	if got := pubTestDirEntries(t, parent); len(got) != 0 {
		t.Errorf("a failed WriteLayout left %q", got)
	}
}

func TestWriteLayoutTrailingSlash(t *testing.T) {
	parts, _ := pubTestParts(t)
	parent := t.TempDir()
	dir := filepath.Join(parent, "image") + string(filepath.Separator)
	d, _, err := publish.WriteLayout(dir, false, "1.0", parts, nil)
	if err != nil {
		t.Fatalf("WriteLayout(%q): %v", dir, err)
	}
	pubTestTopIndex(t, dir, "1.0", d.String())
	// And over the layout it wrote.
	d, _, err = publish.WriteLayout(dir, false, "2.0", parts, nil)
	if err != nil {
		t.Fatalf("WriteLayout(%q) over a layout: %v", dir, err)
	}
	pubTestTopIndex(t, dir, "2.0", d.String())
	if got := pubTestDirEntries(t, parent); len(got) != 1 || got[0] != "image" {
		t.Errorf("the parent now holds %q, want only image", got)
	}
}
