package publish

import (
	"archive/tar"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	digest "github.com/opencontainers/go-digest"

	"github.com/bricklayer-build/bricklayer/internal/safefile"
	"github.com/bricklayer-build/bricklayer/platform"
)

// LayoutPart is one platform's image, in an OCI layout directory the
// solver exported.
type LayoutPart struct {
	Platform platform.Platform
	Dir      string
}

// WriteLayout writes an OCI layout at dest (a tar file, or a directory
// when asTar is false) holding one index of the parts' images, named
// refName when it is set. The index is made as PushIndex makes it, so a
// layout and a push of the same images have the same digest. dest is
// written whole or not at all.
func WriteLayout(dest string, asTar bool, refName string, parts []LayoutPart, annotations map[string]string) (digest.Digest, []Manifest, error) {
	// out/ is out: the temporary sibling must not land inside it.
	dest = filepath.Clean(dest)
	var adds, atts []mutate.IndexAddendum
	var manifests []Manifest
	for _, p := range parts {
		e, err := readPart(p.Dir)
		if err != nil {
			return "", nil, fmt.Errorf("%s: %w", p.Platform, err)
		}
		adds = append(adds, addendum(e.img, e.desc.MediaType, p.Platform))
		m := Manifest{Platform: p.Platform, Digest: digest.Digest(e.desc.Digest.String())}
		if e.att != nil {
			atts = append(atts, attestationAddendum(e.att, e.attDesc.MediaType, m.Digest))
			m.Attestation = digest.Digest(e.attDesc.Digest.String())
		}
		manifests = append(manifests, m)
	}
	idx := index(append(adds, atts...), annotations)
	d, err := idx.Digest()
	if err != nil {
		return "", nil, err
	}
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return "", nil, err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dest), "."+filepath.Base(dest)+".tmp-*")
	if err != nil {
		return "", nil, err
	}
	defer os.RemoveAll(tmp)
	lp, err := layout.Write(tmp, empty.Index)
	if err != nil {
		return "", nil, fmt.Errorf("writing the layout: %w", err)
	}
	var opts []layout.Option
	if refName != "" {
		opts = append(opts, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": refName}))
	}
	if err := lp.AppendIndex(idx, opts...); err != nil {
		return "", nil, fmt.Errorf("writing the layout: %w", err)
	}
	if asTar {
		err = tarDir(tmp, dest)
	} else {
		err = replaceDir(tmp, dest)
	}
	if err != nil {
		return "", nil, err
	}
	return digest.Digest(d.String()), manifests, nil
}

// CheckLayout tells, before anything is built, whether WriteLayout can
// write a layout to dest: a tar file, or (!asTar) a directory that is
// absent, empty or a layout it may replace.
func CheckLayout(dest string, asTar bool) error {
	if err := safefile.CheckCreate(dest, !asTar); err != nil {
		return err
	}
	if asTar {
		return nil
	}
	if entries, err := os.ReadDir(dest); err == nil && len(entries) > 0 {
		if _, err := os.Stat(filepath.Join(dest, "oci-layout")); err != nil {
			return fmt.Errorf("%s exists and is not an OCI layout; not replacing it", dest)
		}
	}
	return nil
}

// part is one platform's image as BuildKit exported it to a layout, and
// the attestation manifest about it (att nil without provenance).
type part struct {
	img, att      v1.Image
	desc, attDesc v1.Descriptor
}

// readPart reads the one image of a single-platform layout: the image
// manifest index.json names, or the one in the index BuildKit made to
// hold its attestation manifest.
func readPart(dir string) (part, error) {
	p, err := layout.FromPath(dir)
	if err != nil {
		return part{}, err
	}
	top, err := p.ImageIndex()
	if err != nil {
		return part{}, err
	}
	im, err := top.IndexManifest()
	if err != nil {
		return part{}, err
	}
	for _, desc := range im.Manifests {
		switch {
		case desc.MediaType.IsImage():
			img, err := top.Image(desc.Digest)
			return part{img: img, desc: desc}, err
		case desc.MediaType.IsIndex():
			return readAttested(top, desc)
		}
	}
	return part{}, fmt.Errorf("the layout %s holds no image manifest", dir)
}

// readAttested reads BuildKit's index of one platform's image and its
// attestation manifest.
func readAttested(top v1.ImageIndex, desc v1.Descriptor) (part, error) {
	idx, err := top.ImageIndex(desc.Digest)
	if err != nil {
		return part{}, err
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return part{}, err
	}
	imgDesc, attDesc, err := unfold(im)
	if err != nil {
		return part{}, err
	}
	out := part{desc: imgDesc}
	if out.img, err = idx.Image(imgDesc.Digest); err != nil {
		return part{}, err
	}
	if attDesc != nil {
		out.attDesc = *attDesc
		if out.att, err = idx.Image(attDesc.Digest); err != nil {
			return part{}, err
		}
	}
	return out, nil
}

// replaceDir puts the layout written at tmp in place of dest. An existing
// dest must be an OCI layout (or empty): a user's other directory is
// never removed.
func replaceDir(tmp, dest string) error {
	if fi, err := os.Lstat(dest); err == nil && !fi.IsDir() {
		return fmt.Errorf("%s exists and is not a directory; not replacing it", dest)
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	if entries, err := os.ReadDir(dest); err == nil && len(entries) > 0 {
		if _, err := os.Stat(filepath.Join(dest, "oci-layout")); err != nil {
			return fmt.Errorf("%s exists and is not an OCI layout; not replacing it", dest)
		}
	}
	old := tmp + ".old"
	if err := os.Rename(dest, old); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("replacing %s: %w", dest, err)
	}
	if err := os.Rename(tmp, dest); err != nil {
		os.Rename(old, dest)
		return fmt.Errorf("replacing %s: %w", dest, err)
	}
	return os.RemoveAll(old)
}

// tarDir writes the files under dir as a tar file at dest, atomically,
// with fixed times and owners so the same layout gives the same bytes.
func tarDir(dir, dest string) error {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	sort.Strings(files)
	f, err := os.CreateTemp(filepath.Dir(dest), "."+filepath.Base(dest)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	tw := tar.NewWriter(f)
	for _, p := range files {
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		h, err := tar.FileInfoHeader(fi, "")
		if err != nil {
			return err
		}
		h.Name = filepath.ToSlash(rel)
		if fi.IsDir() {
			h.Name += "/"
		}
		h.ModTime, h.AccessTime, h.ChangeTime = epoch, epoch, epoch
		h.Uid, h.Gid, h.Uname, h.Gname = 0, 0, "", ""
		// Modes fixed too: the bytes must not depend on the umask.
		h.Mode = 0o644
		if fi.IsDir() {
			h.Mode = 0o755
		}
		h.Format = tar.FormatPAX
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if fi.Mode().IsRegular() {
			if err := copyFile(tw, p); err != nil {
				return err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), dest); err != nil {
		return fmt.Errorf("writing %s: %w", dest, err)
	}
	return nil
}

// epoch is the time of every entry of a layout tar.
var epoch = time.Unix(0, 0).UTC()

func copyFile(w io.Writer, p string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(w, f)
	return err
}
