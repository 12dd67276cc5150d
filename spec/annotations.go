package spec

import (
	"maps"
	"regexp"
	"sync"
)

// The annotations bricklayer fills in when the spec does not.
const (
	AnnotationSource      = "org.opencontainers.image.source"
	AnnotationDescription = "org.opencontainers.image.description"
)

// annotationKeyRE is what an annotation key may be: the OCI image spec
// asks for reverse domain notation (org.opencontainers.image.source).
// BuildKit's exporter attributes carry keys in their names
// (annotation-manifest.KEY), so no '=', ',', '[', space or control
// character either.
// At most 255 characters, checked apart: a counted repetition compiles to
// hundreds of instructions. The package's regexps compile on first use:
// start-up, which every command pays for, compiles none of them.
var annotationKeyRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9._/-]*[A-Za-z0-9])?$`) })

// checkAnnotations reports keys that are not annotation keys, at their
// position, and returns the valid ones.
func (d *decoder) checkAnnotations(m map[string]string, where loc) map[string]string {
	out := map[string]string{}
	for _, k := range SortedKeys(m) {
		if len(k) > 255 || !annotationKeyRE().MatchString(k) {
			d.errs.at(where.child(k), "invalid annotation key %q: want reverse domain notation, letters, digits, '.', '-', '_' and '/' (org.opencontainers.image.description)", k)
			continue
		}
		out[k] = m[k]
	}
	return out
}

// imageAnnotations are the top-level annotations, the image's over them,
// then the defaults: the repository's web address (from git's origin)
// as source and the description label as description.
func (d *decoder) imageAnnotations(im *Image, own map[string]string, where loc) map[string]string {
	out := maps.Clone(d.annotations)
	if out == nil {
		out = map[string]string{}
	}
	maps.Copy(out, d.checkAnnotations(own, where))
	if _, ok := out[AnnotationDescription]; !ok && im.Labels[AnnotationDescription] != "" {
		out[AnnotationDescription] = im.Labels[AnnotationDescription]
	}
	if _, ok := out[AnnotationSource]; !ok && d.build != nil && d.build.Source != "" {
		out[AnnotationSource] = d.build.Source
	}
	return out
}

// DefaultSource gives every image without a source annotation the
// repository's web address url, when the build context was not read in
// full at load (a spec that needs no git state).
func (s *Spec) DefaultSource(url string) {
	if url == "" {
		return
	}
	for _, im := range s.Images {
		if _, ok := im.Annotations[AnnotationSource]; !ok {
			if im.Annotations == nil {
				im.Annotations = map[string]string{}
			}
			im.Annotations[AnnotationSource] = url
		}
	}
}
