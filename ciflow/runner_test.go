package ciflow

import (
	"context"
	"errors"
	"io"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/bricklayer-build/bricklayer/buildopt"
)

// fakeBricklayer stands for bricklayer in the step: it records each
// command line with the environment it was given, and writes what the
// step reads back (plan's JSON, build's metadata file).
type fakeBricklayer struct {
	calls []fakeCall
}

type fakeCall struct {
	args []string
	env  func(string) string
}

func (f *fakeBricklayer) Run(_ context.Context, args []string, env func(string) string, stdout io.Writer) int {
	f.calls = append(f.calls, fakeCall{args: args, env: env})
	switch {
	case args[0] == "plan" && slices.Contains(args, "json"):
		io.WriteString(stdout, `{"images": [{"name": "app", "repository": "r.example/app", "tags": ["1"], "platforms": [{"platform": "linux/amd64"}]}]}`)
	case args[0] == "build":
		i := slices.Index(args, "--metadata-file")
		if err := os.WriteFile(args[i+1], []byte(`{"images": {"app": {"digest": "sha256:0"}}}`), 0o644); err != nil {
			return 1
		}
	}
	return 0
}

func (f *fakeBricklayer) Flag(command, name string) (known, value bool) {
	return flagsOf(command, name)
}

// TestRunnerCache: the runtime variables action.yml hands the step reach
// the build it runs, whose type=gha cache then carries them; they travel
// in the environment, never on a command line, which the log shows.
func TestRunnerCache(t *testing.T) {
	env := map[string]string{
		"INPUT_ARGS":            "--cache-to type=gha,scope=app,mode=max",
		"INPUT_BUILDER_ADDR":    "tcp://buildkit.example:1234",
		"INPUT_METADATA_FILE":   t.TempDir() + "/meta.json",
		"ACTIONS_RUNTIME_TOKEN": "runtime-token",
		"ACTIONS_CACHE_URL":     "https://cache.example/",
		"ACTIONS_RESULTS_URL":   "https://results.example/",
	}
	fake := &fakeBricklayer{}
	step := &Step{Env: func(k string) string { return env[k] }, Stdout: io.Discard, Stderr: io.Discard, Bricklayer: fake, System: "none"}
	if err := step.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	var build *fakeCall
	for i, c := range fake.calls {
		if strings.Contains(strings.Join(c.args, " "), "runtime-token") {
			t.Errorf("the token is on a command line: %q", c.args)
		}
		if c.args[0] == "build" {
			build = &fake.calls[i]
		}
	}
	if build == nil {
		t.Fatal("no build ran")
	}
	i := slices.Index(build.args, "--cache-to")
	if i < 0 {
		t.Fatalf("build %q has no --cache-to", build.args)
	}
	// What bricklayer build makes of its --cache-to in that environment.
	c, err := buildopt.ParseCache(build.args[i+1])
	if err != nil {
		t.Fatal(err)
	}
	got := c.FromRunner(build.env).Attrs
	for attr, want := range map[string]string{
		"token": "runtime-token", "url": "https://cache.example/", "url_v2": "https://results.example/", "scope": "app", "mode": "max",
	} {
		if got[attr] != want {
			t.Errorf("cache attribute %s = %q, want %q", attr, got[attr], want)
		}
	}
}

// downDaemon is a bricklayer whose builder inspect finds no daemon at
// the address (exit 4, as bricklayer's).
type downDaemon struct{ fakeBricklayer }

func (d *downDaemon) Run(ctx context.Context, args []string, env func(string) string, stdout io.Writer) int {
	if len(args) > 1 && args[0] == "builder" && args[1] == "inspect" {
		d.calls = append(d.calls, fakeCall{args: args, env: env})
		return 4
	}
	return d.fakeBricklayer.Run(ctx, args, env, stdout)
}

// TestBuilderAddrAnswers: with builder-addr, the step first reaches the
// daemon there; where none answers it fails with inspect's exit code and
// bootstraps nothing (bootstrap would start a buildkitd at the address).
// A docker-container:// address is bootstrapped as the step's own.
func TestBuilderAddrAnswers(t *testing.T) {
	for _, c := range []struct {
		addr    string
		inspect bool
	}{
		{"unix:///run/user/buildkitd.sock", true},
		{"tcp://buildkit.example:1234", true},
		{"docker-container://bricklayer", false},
		{"", false},
	} {
		env := map[string]string{"INPUT_BUILDER_ADDR": c.addr, "INPUT_METADATA_FILE": t.TempDir() + "/meta.json"}
		fake := &downDaemon{}
		step := &Step{Env: func(k string) string { return env[k] }, Stdout: io.Discard, Stderr: io.Discard, Bricklayer: fake, System: "none"}
		err := step.Run(context.Background())
		var lines []string
		for _, call := range fake.calls {
			lines = append(lines, strings.Join(call.args, " "))
		}
		log := strings.Join(lines, "\n")
		if !c.inspect {
			if err != nil || strings.Contains(log, "builder inspect") || !strings.Contains(log, "builder bootstrap") {
				t.Errorf("%q: Run = %v, commands:\n%s", c.addr, err, log)
			}
			continue
		}
		var f *Failed
		if !errors.As(err, &f) || f.Code != 4 {
			t.Errorf("%q: Run = %v, want exit 4", c.addr, err)
		}
		if !strings.Contains(log, "builder inspect --addr "+c.addr) || strings.Contains(log, "builder bootstrap") || strings.Contains(log, "build ") {
			t.Errorf("%q: commands:\n%s", c.addr, log)
		}
	}
}

// TestSignInput: the sign input reaches build --push of every platform
// and publish as --sign, a key or keyless alike; a matrix runner's build
// (some platforms) signs nothing: publish does.
func TestSignInput(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(dir+"/amd64.json", []byte(`{}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"INPUT_PUSH": "true", "INPUT_SIGN": "keyless"}, "build . --addr docker-container://bricklayer --progress plain --metadata-file M --push --sign keyless"},
		{map[string]string{"INPUT_PUSH": "true", "INPUT_SIGN": "env://KEY"}, "build . --addr docker-container://bricklayer --progress plain --metadata-file M --push --sign env://KEY"},
		{map[string]string{"INPUT_PUSH": "true", "INPUT_SIGN": "keyless", "INPUT_PLATFORMS": "linux/amd64"}, "build . --addr docker-container://bricklayer --progress plain --metadata-file M --push --platform linux/amd64"},
		{map[string]string{"INPUT_MODE": "publish", "INPUT_SIGN": "keyless,rekor=https://rekor.example", "INPUT_METADATA_FILES": dir + "/amd64.json"}, "publish . " + dir + "/amd64.json --metadata-file M --sign keyless,rekor=https://rekor.example"},
	} {
		c.env["INPUT_METADATA_FILE"] = dir + "/meta.json"
		c.want = strings.ReplaceAll(c.want, " M ", " "+dir+"/meta.json ")
		fake := &fakeBricklayer{}
		step := &Step{Env: func(k string) string { return c.env[k] }, Stdout: io.Discard, Stderr: io.Discard, Bricklayer: fake, System: "none"}
		step.Run(context.Background()) // the fake writes no metadata for publish
		found := false
		for _, call := range fake.calls {
			if call.args[0] == "build" || call.args[0] == "publish" {
				found = true
				if got := strings.Join(call.args, " "); got != c.want {
					t.Errorf("%v:\n got %s\nwant %s", c.env, got, c.want)
				}
			}
		}
		if !found {
			t.Errorf("%v: no build or publish ran", c.env)
		}
	}
}
