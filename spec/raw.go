package spec

import (
	"encoding/json"
	"fmt"

	"cuelang.org/go/cue"
)

// The raw types mirror the schema, so one decode fills them: walking the
// value field by field costs an evaluation context per call, several times
// the time CUE takes to evaluate the spec. Pointers tell an absent field
// from an empty one.

type rawSpec struct {
	Cache *struct {
		To   []string `json:"to"`
		From []string `json:"from"`
	} `json:"cache"`
	Epoch       any                 `json:"epoch"`
	Annotations map[string]string   `json:"annotations"`
	Checks      *rawChecks          `json:"checks"`
	Platforms   *[]string           `json:"platforms"`
	Policy      *rawPolicy          `json:"policy"`
	Aliases     *[]rawAlias         `json:"aliases"`
	Stages      map[string]rawStage `json:"stages"`
	// Images stay JSON until decoded one by one: an image with
	// per-platform overrides keeps its JSON to make its variants from.
	Images map[string]json.RawMessage `json:"images"`
	// imageErrs are why images could not be decoded: usually a type
	// error the schema check reports, else (a value left incomplete,
	// such as _, that the schema accepts) the only report of it.
	imageErrs []error
}

type rawStage struct {
	From          *string           `json:"from"`
	BuildPlatform *bool             `json:"buildPlatform"`
	Args          map[string]string `json:"args"`
	Env           map[string]string `json:"env"`
	Workdir       *string           `json:"workdir"`
	User          *string           `json:"user"`
	Steps         *[]rawStep        `json:"steps"`
}

// rawImage is a stage with more: encoding/json promotes the fields of the
// embedded rawStage.
type rawImage struct {
	rawStage

	Repository  any                 `json:"repository"`
	Platforms   *[]string           `json:"platforms"`
	Context     *string             `json:"context"`
	Tags        []string            `json:"tags"`
	Dockerfile  *string             `json:"dockerfile"`
	Target      *string             `json:"target"`
	Stages      map[string]rawStage `json:"stages"`
	Labels      map[string]string   `json:"labels"`
	Annotations map[string]string   `json:"annotations"`
	Entrypoint  any                 `json:"entrypoint"`
	Cmd         any                 `json:"cmd"`
	Expose      []any               `json:"expose"`
	Volumes     []string            `json:"volumes"`
	Platform    map[string]any      `json:"platform"`
	Policy      *rawPolicy          `json:"policy"`
	Aliases     *[]rawAlias         `json:"aliases"`
	Cache       *bool               `json:"cache"`
	Checks      *rawChecks          `json:"checks"`
}

type rawPolicy struct {
	Branch      bool   `json:"branch"`
	Semver      bool   `json:"semver"`
	CalVer      bool   `json:"calver"`
	SHA         bool   `json:"sha"`
	PullRequest bool   `json:"pullRequest"`
	Moving      string `json:"moving"`
}

type rawAlias struct {
	Prefix string `json:"prefix"`
	Suffix string `json:"suffix"`
	Until  string `json:"until"`
	Strict bool   `json:"strict"`
}

type rawStep struct {
	Run     any                 `json:"run"`
	Cache   []rawCache          `json:"cache"`
	Secrets []rawSecret         `json:"secrets"`
	Network *string             `json:"network"`
	Copy    any                 `json:"copy"`
	Dest    *string             `json:"dest"`
	From    *string             `json:"from"`
	Chown   *string             `json:"chown"`
	Chmod   *string             `json:"chmod"`
	Env     *map[string]string  `json:"env"`
	Workdir *string             `json:"workdir"`
	User    *string             `json:"user"`
	Arg     *map[string]*string `json:"arg"`
}

type rawCache struct {
	Target  *string `json:"target"` // nil: missing, which the schema reports
	ID      string  `json:"id"`
	Sharing string  `json:"sharing"`
}

type rawSecret struct {
	ID       string `json:"id"`
	Target   string `json:"target"`
	Env      string `json:"env"`
	Required bool   `json:"required"`
}

// decodeRaw decodes the spec in one pass. When that fails (a value of
// the wrong type, already reported by the schema check), it decodes what
// it can one image and one stage at a time, so the other images are
// still checked.
func decodeRaw(v cue.Value) rawSpec {
	var r rawSpec
	if err := decode(v, &r); err == nil {
		return r
	}
	r = rawSpec{Stages: map[string]rawStage{}, Images: map[string]json.RawMessage{}}
	var ps []string
	if pv := lookup(v, "platforms"); pv.Exists() && decode(pv, &ps) == nil {
		r.Platforms = &ps
	}
	fields(lookup(v, "stages"), func(name string, sv cue.Value) {
		var st rawStage
		if decode(sv, &st) == nil {
			r.Stages[name] = st
		}
	})
	fields(lookup(v, "images"), func(name string, iv cue.Value) {
		if dt, err := iv.MarshalJSON(); err == nil {
			r.Images[name] = dt
		} else {
			r.imageErrs = append(r.imageErrs, err)
		}
	})
	return r
}

// decode fills x from the concrete value v. CUE's own JSON encoding and
// encoding/json take half the time of cue.Value.Decode.
func decode(v cue.Value, x any) error {
	dt, err := v.MarshalJSON()
	if err != nil {
		return err
	}
	return json.Unmarshal(dt, x)
}

// with is r with the fields of encoded (JSON, by field name, among
// overridable) replaced. The fields are decoded afresh: r's maps and
// lists, which its image keeps, are not written to.
func (r *rawImage) with(encoded map[string]json.RawMessage) (rawImage, error) {
	out := *r
	if len(encoded) == 0 {
		return out, nil
	}
	dt, err := json.Marshal(encoded)
	if err != nil {
		return out, err
	}
	var o rawImage
	if err := json.Unmarshal(dt, &o); err != nil {
		return out, err
	}
	for f := range encoded {
		switch f {
		case "from":
			out.From = o.From
		case "args":
			out.Args = o.Args
		case "env":
			out.Env = o.Env
		case "labels":
			out.Labels = o.Labels
		case "workdir":
			out.Workdir = o.Workdir
		case "user":
			out.User = o.User
		case "dockerfile":
			out.Dockerfile = o.Dockerfile
		case "context":
			out.Context = o.Context
		case "target":
			out.Target = o.Target
		case "entrypoint":
			out.Entrypoint = o.Entrypoint
		case "cmd":
			out.Cmd = o.Cmd
		case "steps":
			out.Steps = o.Steps
		default:
			return out, fmt.Errorf("internal error: %q is no field a platform overrides", f)
		}
	}
	return out, nil
}
