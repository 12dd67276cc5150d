package ciflow

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/bricklayer-build/bricklayer/buildinfo"
	"github.com/bricklayer-build/bricklayer/internal/safefile"
)

// Bricklayer runs bricklayer commands for the step, in its process.
type Bricklayer interface {
	// Run runs one command line with its output on stdout and env as
	// its environment, prints its error as bricklayer does, and returns
	// its exit code.
	Run(ctx context.Context, args []string, env func(string) string, stdout io.Writer) int
	// Flag tells the flags of a command (see Flags).
	Flag(command, name string) (known, value bool)
}

// Step is one run of the CI step.
type Step struct {
	Env            func(string) string // os.Getenv; tests pass their own
	Stdout, Stderr io.Writer           // the step's log
	Bricklayer     Bricklayer
	// System overrides the CI the step runs in (github, azure, or none
	// for plain lines); empty is what buildinfo.System finds in Env.
	System string
	// Describe finds the size and media type of a pushed index for the
	// metadata output's containerimage.descriptor; nil asks the registry.
	Describe Describe
}

// Failed is a failed step, already reported to the CI; Code is its
// exit code (bricklayer's, when a command of it failed).
type Failed struct {
	Code int
	Msg  string
}

func (e *Failed) Error() string { return e.Msg }

// Exit codes of the step's own failures, as bricklayer's.
const (
	exitFailure = 1
	exitUsage   = 2
)

// maxMetadata bounds the metadata file read back for the outputs.
const maxMetadata = 64 << 20

// run is the state of one step.
type run struct {
	*Step
	r       *reporter
	in      Inputs
	primary string // build or publish
	summary strings.Builder
}

// Run runs the step: log in, vet, plan (into the summary), bootstrap a
// builder and build, or publish, then set the outputs. Every failure is
// reported to the CI and returned as a *Failed.
func (s *Step) Run(ctx context.Context) error {
	sys := s.System
	if sys == "" {
		sys = buildinfo.System(s.Env)
	}
	st := &run{Step: s, r: &reporter{system: sys, env: s.Env, out: s.Stdout, errw: s.Stderr}}
	err := st.steps(ctx)
	if st.in.Summary {
		if serr := st.r.summary(st.summary.String()); err == nil && serr != nil {
			err = serr
		}
	}
	if err == nil {
		return nil
	}
	f := &Failed{Code: exitFailure, Msg: err.Error()}
	var ie *InputError
	if errors.As(err, &ie) {
		f.Code = exitUsage
	}
	errors.As(err, &f)
	st.r.fail(f.Msg)
	return f
}

func (st *run) steps(ctx context.Context) error {
	var err error
	if st.in, err = ReadInputs(st.Env); err != nil {
		return err
	}
	st.primary = st.in.Mode
	if f := unknownFlag(st.primary, st.in.Args, st.Bricklayer.Flag); f != "" {
		return inputErrorf("args: bricklayer %s has no flag %s", st.primary, f)
	}
	if st.in.Mode == "build" && st.in.QEMU == "host" {
		if err := st.hostQEMU(ctx); err != nil {
			return err
		}
	}
	if err := st.login(ctx); err != nil {
		return err
	}
	if err := st.vet(ctx); err != nil {
		return err
	}
	st.r.group("bricklayer plan")
	err = st.bricklayer(ctx, nil, "plan", st.in.Spec)
	st.r.endGroup()
	if err != nil {
		return err
	}
	var plan bytes.Buffer
	if err := st.bricklayer(ctx, &plan, "plan", "--format", "json", st.in.Spec); err != nil {
		return err
	}
	table, err := planTable(st.in.Mode, plan.Bytes())
	if err != nil {
		return err
	}
	st.summary.WriteString(table)

	meta := st.in.MetadataFile
	if meta == "" {
		meta = filepath.Join(tempDir(st.Env), "bricklayer-metadata.json")
	}
	var cmd []string
	if st.in.Mode == "build" {
		addr, err := st.bootstrap(ctx)
		if err != nil {
			return err
		}
		cmd = st.buildArgs(addr, meta)
	} else {
		files, err := metadataFiles(st.in.MetadataFiles)
		if err != nil {
			return err
		}
		cmd = st.publishArgs(files, meta)
	}
	if err := st.bricklayer(ctx, nil, cmd...); err != nil {
		return err
	}
	return st.outputs(ctx, meta)
}

// bricklayer runs one command, with what the args input gives it, the
// step's environment (a type=gha cache takes the runner's token and
// addresses from it, which action.yml hands the step), and its output in
// the log (or in out).
func (st *run) bricklayer(ctx context.Context, out io.Writer, args ...string) error {
	args = append(args, argsFor(commandOf(args), st.primary, st.in.Args, st.Bricklayer.Flag)...)
	if out == nil {
		fmt.Fprintf(st.Stdout, "+ bricklayer %s\n", quoteArgs(args))
		out = st.Stdout
	}
	if code := st.Bricklayer.Run(ctx, args, st.Env, out); code != 0 {
		return &Failed{Code: code, Msg: fmt.Sprintf("bricklayer %s failed (exit %d)", args[0], code)}
	}
	return nil
}

// vet runs vet for its findings as JSON and shows each as an annotation
// at its file and line; a failing vet (a spec error, a finding that is an
// error) still has its findings shown, and prints its errors itself.
func (st *run) vet(ctx context.Context) error {
	args := []string{"vet", "--format", "json", st.in.Spec}
	fmt.Fprintf(st.Stdout, "+ bricklayer %s\n", quoteArgs(append(args, argsFor("vet", st.primary, st.in.Args, st.Bricklayer.Flag)...)))
	var report bytes.Buffer
	err := st.bricklayer(ctx, &report, args...)
	found, rerr := vetFindings(report.Bytes())
	for _, f := range found {
		st.r.annotate(f)
	}
	if err == nil {
		err = rerr
	}
	return err
}

// commandOf names the command of a command line, for its flags:
// "builder" for builder bootstrap.
func commandOf(args []string) string { return args[0] }

// bootstrap starts the builder (or readies the one at builder-addr) and
// gives its address to the job's later steps.
func (st *run) bootstrap(ctx context.Context) (string, error) {
	addr := st.in.BuilderAddr
	args := []string{"builder", "bootstrap"}
	if addr != "" && !strings.HasPrefix(addr, "docker-container://") {
		// builder-addr names a daemon the job runs: where none answers,
		// bootstrap would start a buildkitd of its own there, under the
		// runner's default state directory. The step fails instead.
		st.r.group("bricklayer builder inspect")
		err := st.bricklayer(ctx, nil, "builder", "inspect", "--addr", addr)
		st.r.endGroup()
		if err != nil {
			return "", err
		}
	}
	if addr != "" {
		args = append(args, "--addr", addr)
	} else {
		addr = "docker-container://bricklayer"
		args = append(args, "--driver", "docker-container")
	}
	emulation := "--emulation=on"
	if st.in.QEMU == "false" {
		emulation = "--emulation=off"
	}
	args = append(args, "--spec", st.in.Spec, emulation)
	for _, r := range st.in.Insecure {
		args = append(args, "--insecure-registry", r)
	}
	st.r.group("bricklayer builder bootstrap")
	err := st.bricklayer(ctx, nil, args...)
	st.r.endGroup()
	if err != nil {
		return "", err
	}
	return addr, st.r.setEnv("BUILDKIT_HOST", addr)
}

func (st *run) buildArgs(addr, meta string) []string {
	args := append([]string{"build", st.in.Spec}, st.in.Images...)
	args = append(args, "--addr", addr, "--progress", "plain", "--metadata-file", meta)
	if st.in.Push {
		args = append(args, "--push")
	}
	if st.in.Provenance != "" {
		args = append(args, "--provenance", st.in.Provenance)
	}
	if st.in.SBOM != "" {
		args = append(args, "--sbom", st.in.SBOM)
	}
	// A matrix runner's platforms make no index: publish signs it.
	if st.in.Sign != "" && st.in.Push && len(st.in.Platforms) == 0 {
		args = append(args, "--sign", st.in.Sign)
	}
	if len(st.in.Platforms) > 0 {
		args = append(args, "--platform", strings.Join(st.in.Platforms, ","))
	}
	for _, r := range st.in.Insecure {
		args = append(args, "--insecure-registry", r)
	}
	return args
}

func (st *run) publishArgs(files []string, meta string) []string {
	args := append([]string{"publish", st.in.Spec}, files...)
	args = append(args, "--metadata-file", meta)
	if st.in.Sign != "" {
		args = append(args, "--sign", st.in.Sign)
	}
	for _, i := range st.in.Images {
		args = append(args, "--image", i)
	}
	for _, r := range st.in.Insecure {
		args = append(args, "--insecure-registry", r)
	}
	return args
}

// metadataFiles expands the metadata-files patterns; each must match.
func metadataFiles(patterns []string) ([]string, error) {
	var files []string
	for _, p := range patterns {
		m, err := filepath.Glob(p)
		if err != nil {
			return nil, inputErrorf("metadata-files: %s: %v", p, err)
		}
		if len(m) == 0 {
			return nil, fmt.Errorf("metadata-files: nothing matches %s", p)
		}
		files = append(files, m...)
	}
	return files, nil
}

// outputs sets the step's outputs from the metadata file (the metadata
// output with buildx's keys added) and adds what was made to the
// summary.
func (st *run) outputs(ctx context.Context, meta string) error {
	data, err := safefile.Read(meta, maxMetadata)
	if err != nil {
		return fmt.Errorf("reading the metadata file: %w", err)
	}
	var m metadataDoc
	if err := json.Unmarshal(data, &m); err != nil {
		return fmt.Errorf("reading the metadata file %s: %w", meta, err)
	}
	describe := st.Describe
	if describe == nil {
		describe = registryDescribe(insecureRegistries(st.in))
	}
	data, err = withBuildxKeys(ctx, data, describe, st.r.warn)
	if err != nil {
		return fmt.Errorf("reading the metadata file %s: %w", meta, err)
	}
	value := strings.TrimSuffix(string(data), "\n")
	if st.r.system == "azure" {
		// An Azure variable is one line.
		var b bytes.Buffer
		if err := json.Compact(&b, data); err != nil {
			return fmt.Errorf("reading the metadata file %s: %w", meta, err)
		}
		value = b.String()
	}
	digests, err := json.Marshal(m.digests())
	if err != nil {
		return fmt.Errorf("digests output: %w", err)
	}
	for _, o := range []struct{ name, az, value string }{
		{"metadata", "metadata", value},
		{"metadata-file", "metadataFile", meta},
		{"digests", "digests", string(digests)},
		{"digest", "digest", m.digest()},
	} {
		if err := st.r.output(o.name, o.az, o.value); err != nil {
			return err
		}
	}
	st.summary.WriteString(m.resultTable())
	return nil
}

// quoteArgs writes a command line as a shell would read it back.
func quoteArgs(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		if a != "" && strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=+,./:@%") == "" {
			q[i] = a
			continue
		}
		q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}
