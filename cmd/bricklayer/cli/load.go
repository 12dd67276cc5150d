package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/bricklayer-build/bricklayer/buildinfo"
	"github.com/bricklayer-build/bricklayer/spec"
)

// contextFlag adds --context KEY=VALUE to a command that loads a spec.
func contextFlag(fs *pflag.FlagSet) *[]string {
	return fs.StringArray("context", nil, "override the build context: KEY=VALUE with KEY one of branch, tag, sha, describe, dirty, defaultBranch, pullRequest, ci, date, highestRelease, or var.NAME for build.vars.NAME (repeatable)")
}

// setFlag adds --set IMAGE.FIELD=VALUE to a command that loads a spec.
func setFlag(fs *pflag.FlagSet) *[]string {
	return fs.StringArray("set", nil, "override a field of images, as bake --set: IMAGE.FIELD=VALUE, or IMAGE.FIELD+=VALUE to append to tags or platforms; IMAGE may be a pattern (*); FIELD one of "+strings.Join(spec.SetFields(), ", ")+" (args, labels, env, annotations: FIELD.KEY) (repeatable)")
}

// buildContext detects the build context of the spec's repository (git,
// then CI variables; with full false only the date) and applies the
// --context overrides.
func buildContext(ctx context.Context, file string, overrides []string, full bool) (*buildinfo.Info, error) {
	info := &buildinfo.Info{Date: time.Now().UTC().Format(time.DateOnly)}
	if full {
		var err error
		if info, err = buildinfo.Detect(ctx, filepath.Dir(file), os.Getenv, time.Now()); err != nil {
			return nil, fmt.Errorf("reading the build context: %w", err)
		}
	}
	for _, kv := range overrides {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, usageErrorf("--context %q: want KEY=VALUE", kv)
		}
		if err := info.Set(k, v); err != nil {
			return nil, usageErrorf("--context %q: %v", kv, err)
		}
	}
	return info, nil
}

// load loads the spec named by arg for the build context (with the
// --context overrides) and the --set options sets, and prints its
// warnings.
func (c *CLI) load(ctx context.Context, arg string, overrides []string, sets ...string) (*spec.Spec, error) {
	var ovs []spec.Override
	for i, set := range sets {
		o, err := spec.ParseOverride(i, set)
		if err != nil {
			return nil, err
		}
		ovs = append(ovs, o)
	}
	file, err := spec.Find(arg)
	if err != nil {
		return nil, err
	}
	s, err := spec.Load(file, spec.WithOverrides(ovs...), spec.WithBuildFunc(func(full bool) (*buildinfo.Info, error) {
		return buildContext(ctx, file, overrides, full)
	}))
	if err != nil {
		return nil, err
	}
	for _, w := range s.Warnings {
		fmt.Fprintln(c.stderr, w)
	}
	return s, nil
}
