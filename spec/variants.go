package spec

import (
	"cuelang.org/go/cue"
)

// overridable lists the image fields a platform override may set; the
// schema's #Override closes the same list.
var overridable = []string{"from", "args", "env", "labels", "workdir", "user", "target", "entrypoint", "cmd", "steps"}

// variants unifies each per-platform override with its image, so that
// platform: "linux/arm/v7": args: X: "arm" adds to the image's args, a
// conflicting concrete value is an error as anywhere in CUE, and values
// of the image that refer to an overridden field see the override.
func (d *decoder) variants(s *Spec, user cue.Value) {
	images := lookup(user, "images")
	for _, name := range s.ImageNames {
		im := s.Images[name]
		if im.overridden {
			d.imageVariants(im, lookup(images, name))
		}
	}
}

func (d *decoder) imageVariants(im *Image, v cue.Value) {
	where := at("images", im.Name)
	targets := map[string]bool{}
	for _, p := range im.Platforms {
		targets[p] = true
	}
	keys := map[string]string{}
	fields(lookup(v, "platform"), func(key string, pv cue.Value) {
		pl := where.child("platform", key)
		p, err := NormalizePlatform(key)
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

		merged := v
		set := map[string]bool{}
		for _, f := range overridable {
			if fv := lookup(pv, f); fv.Exists() {
				merged = merged.FillPath(cue.MakePath(cue.Str(f)), fv)
				set[f] = true
			}
		}
		ok := true
		for f := range set {
			if err := lookup(merged, f).Validate(cue.Concrete(true)); err != nil {
				d.errs.add(err)
				ok = false
			}
		}
		var r rawImage
		if !ok || merged.Decode(&r) != nil {
			return
		}
		variant := *im
		variant.variants = nil
		if set["from"] || set["args"] || set["env"] || set["workdir"] || set["user"] || set["steps"] {
			d.stage(&variant.Stage, im.Name, r.stage(), where)
			stagePositions(&variant.Stage, merged)
		}
		if set["target"] {
			variant.Target = deref(r.Target)
		}
		d.metadata(&variant, r)
		if im.variants == nil {
			im.variants = map[string]*Image{}
		}
		im.variants[p] = &variant
	})
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
