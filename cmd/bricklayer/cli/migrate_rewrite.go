package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/compose-spec/compose-go/v2/dotenv"

	"github.com/bricklayer-build/bricklayer/compose"
	"github.com/bricklayer-build/bricklayer/internal/safefile"
)

// prepared is a compose file read and rewritten, not yet written.
type prepared struct {
	file string
	src  []byte
	res  *compose.Result
}

// rewrite checks and rewrites every file in memory first; only when all
// of them are good does it print or write anything.
func (m *migration) rewrite(files []string, write, check bool) error {
	var todo []prepared
	var errs []error
	for _, f := range files {
		p, err := m.prepare(f)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		todo = append(todo, p)
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	changed := false
	for _, p := range todo {
		m.notes(p.file, p.res.Notes)
		if len(p.res.Changes) == 0 {
			continue
		}
		changed = true
		fmt.Fprint(m.c.stdout, compose.Diff(p.file, p.src, p.res.Out))
	}
	if write {
		// All or nothing: no file is renamed over until every one is
		// written beside it.
		var out []safefile.File
		for _, p := range todo {
			if len(p.res.Changes) > 0 {
				out = append(out, safefile.File{Path: p.file, Data: p.res.Out, Mode: 0o644})
			}
		}
		if err := safefile.WriteAll(out); err != nil {
			return err
		}
	}
	if check && changed {
		return &checkFailed{msg: "bricklayer: compose files refer to alias tags (bricklayer migrate compose --write fixes them)"}
	}
	return nil
}

// prepare reads and rewrites f, and verifies the result when asked.
func (m *migration) prepare(f string) (prepared, error) {
	rules, err := m.rules(f)
	if err != nil {
		return prepared{}, err
	}
	src, err := safefile.Read(f, maxComposeSize)
	if err != nil {
		return prepared{}, err
	}
	res, err := compose.RewriteWith(src, rules, compose.Options{})
	if err != nil {
		return prepared{}, compose.InFile(f, err)
	}
	if m.verify && len(res.Changes) > 0 {
		if err := m.check(f, src, res, rules); err != nil {
			return prepared{}, err
		}
	}
	return prepared{file: f, src: src, res: res}, nil
}

// check runs compose.Verify with the environment compose would see: the
// .env beside f, overridden by the process environment.
func (m *migration) check(f string, src []byte, res *compose.Result, rules []compose.Rule) error {
	env := map[string]string{}
	dotEnv := filepath.Join(filepath.Dir(f), ".env")
	if dt, err := safefile.Read(dotEnv, maxComposeSize); err == nil {
		vars, err := dotenv.UnmarshalBytesWithLookup(dt, os.LookupEnv)
		if err != nil {
			return fmt.Errorf("%s: %w", dotEnv, err)
		}
		env = vars
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	if err := compose.Verify(src, res, rules, env); err != nil {
		// What --verify cannot read is named at its place.
		if pe := (*compose.PosError)(nil); errors.As(err, &pe) {
			return compose.InFile(f, err)
		}
		return fmt.Errorf("%s: --verify: %w", f, err)
	}
	return nil
}

// notes tells what was left alone: interpolations bricklayer cannot
// rewrite always, unpublished canonical tags with -v.
func (m *migration) notes(f string, notes []compose.Note) {
	for _, n := range notes {
		if n.Unhandled || m.verbose {
			fmt.Fprintf(m.c.stderr, "%s:%d:%d: %s: %s left alone: %s\n", f, n.Line, n.Column, n.Service, n.Value, n.Reason)
		}
	}
}

func (m *migration) merge(files []string, write, check bool) error {
	rules, err := m.rules(files[0])
	if err != nil {
		return err
	}
	srcs := map[string][]byte{}
	for _, f := range files {
		src, err := safefile.Read(f, maxComposeSize)
		if err != nil {
			return err
		}
		srcs[f] = src
	}
	res, err := compose.MergeWith(srcs, files, rules)
	if err != nil {
		return err
	}
	if m.verify && len(res.Changes) > 0 {
		r := &compose.Result{Out: res.Out, Changes: res.Changes}
		if err := m.check(files[0], srcs[files[0]], r, rules); err != nil {
			return err
		}
	}
	m.notes(files[0], res.Notes)
	for _, f := range files {
		for _, c := range res.Folds[f] {
			fmt.Fprintf(m.c.stderr, "%s:%d:%d: %s: %s is the multi-platform %s (a Docker Official Image's per-architecture repository folded)\n",
				f, c.Line, c.Column, c.Service, c.From, c.To)
		}
	}
	changed := !bytes.Equal(res.Out, srcs[files[0]])
	switch {
	case check:
		if changed {
			return &checkFailed{msg: fmt.Sprintf("bricklayer: %s would change (bricklayer migrate compose --merge --write writes it)", files[0])}
		}
		return nil
	case write:
		if !changed {
			return nil
		}
		return safefile.Write(files[0], res.Out, 0o644)
	}
	_, err = m.c.stdout.Write(res.Out)
	return err
}
