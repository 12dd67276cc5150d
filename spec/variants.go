package spec

import (
	"encoding/json"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"

	"github.com/bricklayer-build/bricklayer/platform"
)

// copyPositions gives a variant the step positions of its image.
func copyPositions(dst, src *Stage) {
	dst.Pos = src.Pos
	for i := range dst.Steps {
		if i < len(src.Steps) {
			dst.Steps[i].Pos = src.Steps[i].Pos
		}
	}
}

// mayRefer tells whether the value's syntax may refer to other fields:
// any identifier outside a field label counts. Without one syntax tree
// (a value unified from several places) it answers yes.
func mayRefer(v cue.Value) bool {
	if !v.Exists() {
		return false
	}
	src := v.Source()
	if src == nil {
		return true
	}
	return hasIdent(src)
}

func hasIdent(n ast.Node) bool {
	found := false
	ast.Walk(n, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.Field:
			if x.Value != nil && hasIdent(x.Value) {
				found = true
			}
			return false // a label is no reference
		case *ast.Ident:
			found = true
		}
		return !found
	}, nil)
	return found
}

// overridable lists the image fields a platform override may set; the
// schema's #Override closes the same list.
var overridable = []string{"from", "args", "env", "labels", "workdir", "user", "dockerfile", "context", "target", "entrypoint", "cmd", "steps"}

// variants unifies each per-platform override with its image, so that
// platform: "linux/arm/v7": args: X: "arm" adds to the image's args, a
// conflicting concrete value is an error as anywhere in CUE, and values
// of the image that refer to an overridden field see the override.
func (d *decoder) variants(s *Spec, user cue.Value) {
	images := lookup(user, "images")
	for _, name := range s.ImageNames {
		im := s.Images[name]
		if im.raw != nil {
			d.imageVariants(im, lookup(images, name))
		}
	}
}

func (d *decoder) imageVariants(im *Image, v cue.Value) {
	where := at("images", im.Name)
	targets := map[platform.Platform]bool{}
	for _, p := range im.Platforms {
		targets[p] = true
	}
	keys := map[platform.Platform]string{}
	own := map[string]cue.Value{}
	fields(v, func(name string, fv cue.Value) { own[name] = fv })
	fields(own["platform"], func(key string, pv cue.Value) {
		pl := where.child("platform", key)
		p, err := platform.Parse(key)
		if err != nil {
			d.errs.at(pl, "%v", err)
			return
		}
		if !targets[p] {
			d.errs.at(pl, "%s is not one of the image's platforms", p)
			return
		}
		if prev, ok := keys[p]; ok {
			d.errs.at(pl, "%q overrides the same platform as %q", key, prev)
			return
		}
		keys[p] = key

		override := map[string]cue.Value{}
		fields(pv, func(f string, fv cue.Value) { override[f] = fv })
		set := func(f string) bool { return override[f].Exists() }
		// Unify field by field when no other field of the image refers to
		// anything (the common case); otherwise fill the override into the
		// whole image, so CUE re-evaluates what refers to it.
		whole := false
		for _, f := range overridable {
			whole = whole || (!set(f) && mayRefer(own[f]))
		}
		merged := v
		at := func(f string) cue.Value {
			switch {
			case whole:
				return lookup(merged, f)
			case !set(f):
				return own[f]
			case own[f].Exists():
				return own[f].Unify(override[f])
			}
			return override[f]
		}
		if whole {
			for _, f := range overridable {
				if set(f) {
					merged = merged.FillPath(cue.MakePath(cue.Str(f)), override[f])
				}
			}
		}
		// Decode only what a platform changed, and what may refer to it
		// (CUE re-evaluated those in merged), over the image as decoded:
		// decoding every field of every variant was most of the load time
		// of large specs. A value that encodes is concrete: Validate runs
		// only to tell why one does not.
		changed := func(f string) bool { return set(f) || (whole && mayRefer(own[f])) }
		encoded := map[string]json.RawMessage{}
		ok, failed := true, false
		for _, f := range overridable {
			if !set(f) {
				continue
			}
			dt, err := at(f).MarshalJSON()
			if err == nil {
				encoded[f] = dt
				continue
			}
			if err := at(f).Validate(cue.Concrete(true)); err != nil {
				d.errs.add(err)
				ok = false
			}
			failed = true // a type error the schema check reports
		}
		if !ok || failed {
			return
		}
		for _, f := range overridable {
			if changed(f) && !set(f) {
				dt, err := at(f).MarshalJSON()
				if err != nil {
					return // a type error the schema check reports
				}
				encoded[f] = dt
			}
		}
		r, err := im.raw.with(encoded)
		if err != nil {
			return
		}
		variant := *im
		variant.variants = nil
		// Steps a platform leaves alone are the image's, decoded (and
		// checked) once: a variant reads them and never changes them.
		keepSteps := !changed("steps")
		if keepSteps {
			r.Steps = nil
		}
		d.stage(&variant.Stage, im.Name, r.rawStage, where)
		if keepSteps {
			variant.Steps = im.Steps
		}
		switch {
		case changed("steps") && whole:
			stagePositions(&variant.Stage, merged)
		case changed("steps"):
			stagePositions(&variant.Stage, pv)
		default:
			copyPositions(&variant.Stage, &im.Stage)
		}
		variant.Target = deref(r.Target)
		if set("target") {
			variant.targetLoc = pl.child("target")
			if im.Dockerfile == "" {
				d.errs.at(variant.targetLoc, "target picks a stage of a Dockerfile; this image has no dockerfile")
			}
		}
		if changed("context") || changed("dockerfile") {
			d.variantSource(&variant, im, r, pl, set)
		}
		d.metadata(&variant, r)
		if im.variants == nil {
			im.variants = map[platform.Platform]*Image{}
		}
		im.variants[p] = &variant
	})
}

// variantSource reads the build context and Dockerfile of a platform
// that changes either: one Dockerfile per architecture (Dockerfile and
// arm/Dockerfile) makes one image with one index.
func (d *decoder) variantSource(v, im *Image, r rawImage, pl loc, set func(string) bool) {
	cl := at("images", im.Name).child("context")
	if set("context") {
		cl = pl.child("context")
	}
	var ok bool
	if v.Context, ok = d.context(r.Context, cl); !ok || r.Dockerfile == nil {
		return // native steps: copies read the platform's context
	}
	if im.Dockerfile == "" {
		d.errs.at(pl.child("dockerfile"), "a platform may change the Dockerfile of a Dockerfile image; this image is built from steps")
		return
	}
	dl := at("images", im.Name).child("dockerfile")
	if set("dockerfile") {
		dl = pl.child("dockerfile")
		v.dockerfilePath = dl.path
		v.dockerfilePos = d.errs.posOf(dl.path)
	}
	v.Dockerfile = *r.Dockerfile
	v.DockerfileData, v.DockerIgnore, v.ParsedDockerfile = nil, nil, nil
	d.dockerfile(v, dl)
}

// positions records where each stage and step is in the file, for the
// source maps that point a failing step back at its line.
func positions(s *Spec, user cue.Value) {
	stages := lookup(user, "stages")
	for name, st := range s.Stages {
		stagePositions(st, lookup(stages, name))
	}
	images := lookup(user, "images")
	for name, im := range s.Images {
		iv := lookup(images, name)
		stagePositions(&im.Stage, iv)
		if im.Dockerfile != "" {
			im.dockerfilePos = lookup(iv, "dockerfile").Pos()
		}
		if len(im.Stages) > 0 {
			private := lookup(iv, "stages")
			for sname, st := range im.Stages {
				stagePositions(st, lookup(private, sname))
			}
		}
	}
}

func stagePositions(st *Stage, v cue.Value) {
	st.Pos = v.Pos()
	elems(lookup(v, "steps"), func(i int, ev cue.Value) {
		if i < len(st.Steps) {
			st.Steps[i].Pos = ev.Pos()
		}
	})
}
