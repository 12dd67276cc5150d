package builderfile

import (
	"fmt"
	"path/filepath"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/token"

	"github.com/bricklayer-build/bricklayer/builders"
	"github.com/bricklayer-build/bricklayer/internal/safefile"
	"github.com/bricklayer-build/bricklayer/platform"
	"github.com/bricklayer-build/bricklayer/schemas"
)

// rawBuilder is the builder file as decoded.
type rawBuilder struct {
	AllowEmulation bool `json:"allowEmulation"`
	Nodes          []struct {
		Name      string        `json:"name"`
		Addr      string        `json:"addr"`
		Platforms []string      `json:"platforms"`
		TLS       *builders.TLS `json:"tls"`
		Insecure  bool          `json:"insecure"`
	} `json:"nodes"`
}

// maxFile bounds what Load reads.
const maxFile = 1 << 20

// Load reads a builder file (bricklayer.builder.cue): it describes
// infrastructure, so it is kept out of the checked-in spec. Its mistakes
// are CUE errors at their FILE:LINE:COL and path, like the spec's.
func Load(file string) (*builders.Builder, error) {
	src, err := safefile.Read(file, maxFile)
	if err != nil {
		return nil, fmt.Errorf("reading builder: %w", err)
	}
	ctx := cuecontext.New()
	user := ctx.CompileBytes(src, cue.Filename(file))
	if err := user.Err(); err != nil {
		return nil, err
	}
	schema := ctx.CompileString(schemas.Builder, cue.Filename(schemas.BuilderFileName)).LookupPath(cue.ParsePath("#Builder"))
	// The user's value first, so paths read nodes[0].addr.
	v := user.Unify(schema)
	if err := v.Validate(cue.Concrete(true)); err != nil {
		return nil, err
	}
	var raw rawBuilder
	if err := v.Decode(&raw); err != nil {
		return nil, err
	}
	b := &builders.Builder{AllowEmulation: raw.AllowEmulation}
	var errs cueerrors.Error
	nodes := v.LookupPath(cue.ParsePath("nodes"))
	for i, rn := range raw.Nodes {
		nv := nodes.LookupPath(cue.MakePath(cue.Index(i)))
		n := builders.Node{Name: rn.Name, Addr: rn.Addr, TLS: rn.TLS, Insecure: rn.Insecure}
		if n.TLS != nil {
			// Paths are relative to the builder file, not to where
			// bricklayer runs.
			for _, p := range []*string{&n.TLS.CA, &n.TLS.Cert, &n.TLS.Key} {
				if *p != "" && !filepath.IsAbs(*p) {
					*p = filepath.Join(filepath.Dir(file), *p)
				}
			}
		}
		if n.Name == "" {
			n.Name = fmt.Sprintf("node%d", i+1)
		}
		if err := builders.CheckAddr(n.Addr); err != nil {
			errs = cueerrors.Append(errs, fileError(nv.LookupPath(cue.ParsePath("addr")), err))
		} else if err := n.CheckTLS(); err != nil {
			errs = cueerrors.Append(errs, fileError(nv.LookupPath(cue.ParsePath("addr")), fmt.Errorf("%v; or set insecure: true", err)))
		}
		if err := checkTLSContents(n, nv); err != nil {
			errs = cueerrors.Append(errs, err)
		}
		for j, p := range rn.Platforms {
			pl, err := platform.Parse(p)
			if err != nil {
				at := nv.LookupPath(cue.MakePath(cue.Str("platforms"), cue.Index(j)))
				errs = cueerrors.Append(errs, fileError(at, err))
				continue
			}
			n.Platforms = append(n.Platforms, pl)
		}
		b.Nodes = append(b.Nodes, n)
	}
	if errs != nil {
		return nil, errs
	}
	return b, nil
}

// fileErr is a mistake found in Go about a value of the builder file,
// printed like CUE's own errors: FILE:LINE:COL: PATH: msg.
type fileErr struct {
	v   cue.Value
	msg string
}

func fileError(v cue.Value, err error) cueerrors.Error { return &fileErr{v: v, msg: err.Error()} }

func (e *fileErr) Position() token.Pos         { return e.v.Pos() }
func (e *fileErr) InputPositions() []token.Pos { return nil }
func (e *fileErr) Error() string               { return e.msg }
func (e *fileErr) Msg() (string, []any)        { return "%s", []any{e.msg} }
func (e *fileErr) Path() []string {
	var out []string
	for _, s := range e.v.Path().Selectors() {
		out = append(out, s.String())
	}
	return out
}
