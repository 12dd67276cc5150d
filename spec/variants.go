package spec

import (
	"cuelang.org/go/cue"
)

// overridable lists the image fields a platform override may set; the
// schema's #Override closes the same list.
var overridable = []string{"from", "args", "env", "labels", "workdir", "user", "target", "entrypoint", "cmd", "steps"}

// variants unifies each per-platform override with its image, so that
// platform: "linux/arm/v7": args: X: "arm" adds to the image's args, and
// a conflicting concrete value is an error as anywhere in CUE.
func (d *decoder) variants(im *Image, v cue.Value) {
	ov := lookup(v, "platform")
	if !ov.Exists() {
		return
	}
	targets := map[string]bool{}
	for _, p := range im.Platforms {
		targets[p] = true
	}
	keys := map[string]string{}
	fields(ov, func(key string, pv cue.Value) {
		p, err := NormalizePlatform(key)
		if err != nil {
			d.errs.at(locOf(pv), "%v", err)
			return
		}
		if !targets[p] {
			d.errs.at(locOf(pv), "%s is not one of the image's platforms", p)
			return
		}
		if prev, ok := keys[p]; ok {
			d.errs.at(locOf(pv), "%q overrides the same platform as %q", key, prev)
			return
		}
		keys[p] = key

		merged := v
		for _, f := range overridable {
			if fv := lookup(pv, f); fv.Exists() {
				merged = merged.FillPath(cue.MakePath(cue.Str(f)), fv)
			}
		}
		ok := true
		for _, f := range overridable {
			if has(pv, f) {
				if err := lookup(merged, f).Validate(cue.Concrete(true)); err != nil {
					d.errs.add(err)
					ok = false
				}
			}
		}
		if !ok {
			return
		}
		variant := *im
		variant.variants = nil
		if has(pv, "from") || has(pv, "args") || has(pv, "env") || has(pv, "workdir") || has(pv, "user") || has(pv, "steps") {
			d.stage(&variant.Stage, im.Name, merged)
		}
		if has(pv, "target") {
			variant.Target = str(lookup(merged, "target"))
		}
		d.metadata(&variant, merged)
		if im.variants == nil {
			im.variants = map[string]*Image{}
		}
		im.variants[p] = &variant
	})
}
