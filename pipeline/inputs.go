package pipeline

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	digest "github.com/opencontainers/go-digest"

	"github.com/bricklayer-build/bricklayer/internal/errkind"
)

// Inputs are what shaped a build's plan besides the spec: a runner
// records them in its metadata, and publish plans with them, so the
// publish job needs no copy of the runners' flags.
type Inputs struct {
	// Args are the --arg values.
	Args map[string]string `json:"args,omitempty"`
	// Sets and Contexts are the --set and --context values, in order.
	Sets     []string `json:"sets,omitempty"`
	Contexts []string `json:"contexts,omitempty"`
	// SourceDateEpoch is the epoch given on the command line or by
	// $SOURCE_DATE_EPOCH (a spec's own epoch is the spec's).
	SourceDateEpoch *int64 `json:"sourceDateEpoch,omitempty"`
	// Bases are the base images' references and the digests they
	// resolved to.
	Bases map[string]digest.Digest `json:"bases,omitempty"`
}

// InputsError is runners whose inputs differ, or a publish command line
// that differs from them.
type InputsError struct{ Problems []string }

func (e *InputsError) Error() string {
	return "nothing published: the builds' inputs differ:\n  " + strings.Join(e.Problems, "\n  ")
}

// Kind makes differing inputs a rejected publish, as RejectedError.
func (e *InputsError) Kind() errkind.Kind { return errkind.Failed }

// AgreedInputs are the inputs every source recorded, checked to be the
// same (bases: the same digest for a reference any two name), and then
// checked against given, the publish command line's: a value given there
// must be the runners'. Args, Sets, Contexts or an epoch given when the
// runners recorded none are the command line's.
func AgreedInputs(sources []Source, given Inputs) (Inputs, error) {
	var out Inputs
	var problems []string
	var first string
	for i, src := range sources {
		in := Inputs{}
		if src.Meta != nil && src.Meta.Inputs != nil {
			in = *src.Meta.Inputs
		}
		if i == 0 {
			out = in
			out.Bases = maps.Clone(in.Bases)
			first = src.Name
			continue
		}
		for _, d := range diffInputs(out, in) {
			problems = append(problems, fmt.Sprintf("%s: %s, %s: %s (%s)", first, d.a, src.Name, d.b, d.what))
		}
		for r, d := range in.Bases {
			if have, ok := out.Bases[r]; ok && have != d {
				problems = append(problems, fmt.Sprintf("base image %s: %s resolved it to %s, %s to %s (it moved between the builds; a lock pins it)", r, first, have, src.Name, d))
				continue
			}
			if out.Bases == nil {
				out.Bases = map[string]digest.Digest{}
			}
			out.Bases[r] = d
		}
	}
	for _, d := range diffInputs(out, given) {
		if d.givenEmpty {
			continue
		}
		problems = append(problems, fmt.Sprintf("the builds recorded %s, publish was given %s (%s)", d.a, d.b, d.what))
	}
	if len(problems) > 0 {
		return out, &InputsError{Problems: problems}
	}
	return out, nil
}

type inputDiff struct {
	what, a, b string
	// givenEmpty: b is not set at all, which publish's command line
	// may leave to the runners' record.
	givenEmpty bool
}

// diffInputs lists the inputs a and b differ in, bases aside.
func diffInputs(a, b Inputs) []inputDiff {
	var out []inputDiff
	for _, k := range slices.Sorted(maps.Keys(union(a.Args, b.Args))) {
		va, oka := a.Args[k]
		vb, okb := b.Args[k]
		if va != vb || oka != okb {
			out = append(out, inputDiff{what: "--arg " + k, a: argText(k, va, oka), b: argText(k, vb, okb), givenEmpty: len(b.Args) == 0})
		}
	}
	if !slices.Equal(a.Sets, b.Sets) {
		out = append(out, inputDiff{what: "--set", a: listText("--set", a.Sets), b: listText("--set", b.Sets), givenEmpty: len(b.Sets) == 0})
	}
	if !slices.Equal(a.Contexts, b.Contexts) {
		out = append(out, inputDiff{what: "--context", a: listText("--context", a.Contexts), b: listText("--context", b.Contexts), givenEmpty: len(b.Contexts) == 0})
	}
	if !equalEpoch(a.SourceDateEpoch, b.SourceDateEpoch) {
		out = append(out, inputDiff{what: "--source-date-epoch", a: epochText(a.SourceDateEpoch), b: epochText(b.SourceDateEpoch), givenEmpty: b.SourceDateEpoch == nil})
	}
	return out
}

func union(a, b map[string]string) map[string]string {
	out := maps.Clone(a)
	if out == nil {
		out = map[string]string{}
	}
	maps.Copy(out, b)
	return out
}

func argText(k, v string, ok bool) string {
	if !ok {
		return "no --arg " + k
	}
	return fmt.Sprintf("--arg %s=%s", k, v)
}

func listText(flag string, l []string) string {
	if len(l) == 0 {
		return "no " + flag
	}
	return flag + " " + strings.Join(l, " "+flag+" ")
}

func equalEpoch(a, b *int64) bool {
	return (a == nil) == (b == nil) && (a == nil || *a == *b)
}

func epochText(e *int64) string {
	if e == nil {
		return "no --source-date-epoch"
	}
	return fmt.Sprintf("--source-date-epoch %d", *e)
}

// CheckPins refuses runners that built from other bases than the lock
// pins: their graphs cannot be the plan's, and saying which base moved
// (rather than that the LLB differs) tells the user what to rebuild.
func CheckPins(in Inputs, lockPath string, pins map[string]digest.Digest) error {
	var problems []string
	for _, r := range slices.Sorted(maps.Keys(in.Bases)) {
		if p, ok := pins[r]; ok && p != in.Bases[r] {
			problems = append(problems, fmt.Sprintf("base image %s: the runners built from %s, %s pins %s: build again with this lock", r, in.Bases[r], lockPath, p))
		}
	}
	if len(problems) > 0 {
		return &RejectedError{Problems: problems}
	}
	return nil
}
