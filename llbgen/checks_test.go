package llbgen

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/client/llb/sourceresolver"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	digest "github.com/opencontainers/go-digest"

	"github.com/bricklayer-build/bricklayer/platform"
	"github.com/bricklayer-build/bricklayer/spec"
)

// issue26 is the Dockerfile of issue 26: BuildKit's checks find four
// things in it, and none in RUN's $UNDEFINED (the shell expands it).
const issue26 = "from busybox as Base\nENV SECRET_PASSWORD=x\nRUN echo $UNDEFINED\nFROM base\nMAINTAINER me\n"

// brief is a finding as rule@line, with the images and their platforms.
func brief(f Finding) string {
	s := fmt.Sprintf("%s@%d:%d", f.Rule, f.Line, f.Column)
	for _, name := range f.Images {
		s += " " + name + "=" + platform.Join(f.Platforms[name])
	}
	if f.Error {
		s += " error"
	}
	return s
}

func briefs(fs []Finding) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = brief(f)
	}
	return out
}

func check(t *testing.T, s *spec.Spec) []Finding {
	t.Helper()
	found, err := Check(context.Background(), s)
	if err != nil {
		t.Fatalf("Check: %v", spec.Diagnostics(err))
	}
	return found
}

func TestCheckIssue26(t *testing.T) {
	s := load(t, `images: app: {repository: "x/app", dockerfile: "Dockerfile", platforms: ["linux/amd64", "linux/arm64"]}`,
		map[string]string{"Dockerfile": issue26})
	found := check(t, s)
	want := []string{
		"ConsistentInstructionCasing@1:1 app=linux/amd64, linux/arm64",
		"StageNameCasing@1:1 app=linux/amd64, linux/arm64",
		"SecretsUsedInArgOrEnv@2:1 app=linux/amd64, linux/arm64",
		"MaintainerDeprecated@5:1 app=linux/amd64, linux/arm64",
	}
	if got := briefs(found); !slices.Equal(got, want) {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, f := range found {
		if f.File != s.Images["app"].Context+"/Dockerfile" || !strings.HasPrefix(f.URL, "https://docs.docker.com/") || f.Message == "" {
			t.Errorf("finding %+v: want the Dockerfile's path, BuildKit's URL and a message", f)
		}
	}
}

// TestCheckShared: one Dockerfile behind two images, one of which builds
// another target on one platform.
func TestCheckShared(t *testing.T) {
	s := load(t, `
images: {
	a: {repository: "x/a", dockerfile: "Dockerfile", target: *"prod" | string, platforms: ["linux/amd64", "linux/arm64"]
		platform: "linux/arm64": target: "dev"}
	b: {repository: "x/b", dockerfile: "Dockerfile", target: "prod"}
}`, map[string]string{"Dockerfile": "FROM scratch AS dev\nENV API_TOKEN=x\nFROM scratch AS prod\nMAINTAINER me\n"})
	want := []string{
		"SecretsUsedInArgOrEnv@2:1 a=linux/arm64",
		"MaintainerDeprecated@4:1 a=linux/amd64, linux/arm64 b=linux/amd64",
	}
	if got := briefs(check(t, s)); !slices.Equal(got, want) {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestCheckEveryStage: without a target vet checks the stages the image
// does not build, as docker build --check does; plan checks what it
// lowers.
func TestCheckEveryStage(t *testing.T) {
	df := "FROM scratch AS test\nENV API_TOKEN=x\nFROM scratch\nCOPY a /\n"
	s := load(t, `images: {
	all: {repository: "x/all", dockerfile: "Dockerfile"}
	test: {repository: "x/test", dockerfile: "Dockerfile", target: "test"}
}`, map[string]string{"Dockerfile": df, "a": ""})
	want := []string{"SecretsUsedInArgOrEnv@2:1 all=linux/amd64 test=linux/amd64"}
	if got := briefs(check(t, s)); !slices.Equal(got, want) {
		t.Errorf("Check: %v, want %v", got, want)
	}
	if g := lower(t, s, "all", "linux/amd64", Options{}); len(g.target.Findings) != 0 {
		t.Errorf("Lower found %v in a stage it does not build", briefs(g.target.Findings))
	}

	// A stage that is not built fails to convert: the build does not
	// fail, vet reports it and checks the rest.
	df = "FROM scratch AS test\nENV API_KEY=x\nCOPY --chmod=abc a /\nFROM scratch\nENV API_TOKEN=x\n"
	s = load(t, `images: app: {repository: "x/app", dockerfile: "Dockerfile"}`, map[string]string{"Dockerfile": df, "a": ""})
	lower(t, s, "app", "linux/amd64", Options{})
	found := check(t, s)
	want = []string{"SecretsUsedInArgOrEnv@2:1 app=linux/amd64", "@3:1 app=linux/amd64", "SecretsUsedInArgOrEnv@5:1 app=linux/amd64"}
	if got := briefs(found); !slices.Equal(got, want) || !strings.HasPrefix(found[1].Message, "a stage the image does not build fails: ") {
		t.Errorf("Check: %v (%q), want %v", got, found[1].Message, want)
	}
}

// TestCheckUndefinedVarOffline: offline, a variable a base image may
// define is not reported; one no base image can define is; with the
// base image resolved, its variables are known.
func TestCheckUndefinedVarOffline(t *testing.T) {
	df := "FROM golang:1.23 AS build\nENV PATH=$GOPATH/bin:$PATH\n" +
		"FROM scratch AS empty\nENV X=$NOPE\n" +
		"FROM empty\nENV Y=$X$NADA\n"
	s := load(t, `images: app: {repository: "x/app", dockerfile: "Dockerfile"}`, map[string]string{"Dockerfile": df})
	want := []string{"UndefinedVar@4:1 app=linux/amd64", "UndefinedVar@6:1 app=linux/amd64"}
	if got := briefs(check(t, s)); !slices.Equal(got, want) {
		t.Errorf("offline: %v, want %v", got, want)
	}

	for env, want := range map[string][]string{
		"GOPATH=/go": nil,
		"HOME=/root": {"UndefinedVar@2:1 app=linux/amd64"},
	} {
		s := load(t, `images: app: {repository: "x/app", dockerfile: "Dockerfile", target: "build"}`, map[string]string{"Dockerfile": df})
		g := lower(t, s, "app", "linux/amd64", Options{Resolver: envResolver{env}})
		if got := briefs(g.target.Findings); !slices.Equal(got, want) {
			t.Errorf("base image with %s: %v, want %v", env, got, want)
		}
	}
}

// envResolver answers every base image with a config holding env.
type envResolver struct{ env string }

func (r envResolver) ResolveImageConfig(_ context.Context, ref string, opt sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	var cfg dockerspec.DockerOCIImage
	p := opt.ImageOpt.Platform
	cfg.OS, cfg.Architecture = p.OS, p.Architecture
	cfg.Config.Env = []string{r.env}
	cfg.RootFS.Type = "layers"
	cfg.RootFS.DiffIDs = []digest.Digest{digest.FromString(ref)}
	dt, err := json.Marshal(cfg)
	return ref, digest.FromString(ref), dt, err
}

// TestChecksError: # check=error=true (or the spec's checks.error) makes
// findings errors: plan fails as BuildKit's build does, vet lists them;
// the spec's skips count, and a mistake of the Dockerfile stays one.
func TestChecksError(t *testing.T) {
	files := func(df string) map[string]string { return map[string]string{"Dockerfile": df} }
	errDF := "# check=error=true\nFROM scratch AS Base\nMAINTAINER me\n"
	for _, tc := range []struct {
		name, spec, df string
		lowerErr       string // "" when Lower succeeds
		mistake        bool   // Check fails too
		findings       []string
	}{{
		name:     "directive",
		spec:     `images: app: {repository: "x/app", dockerfile: "Dockerfile"}`,
		df:       errDF,
		lowerErr: "Dockerfile: checks failed (# check=error=true makes that an error): StageNameCasing at line 2, MaintainerDeprecated at line 3;",
		findings: []string{"StageNameCasing@2:1 app=linux/amd64 error", "MaintainerDeprecated@3:1 app=linux/amd64 error"},
	}, {
		name: "directive, every finding skipped by the spec",
		spec: `images: app: {repository: "x/app", dockerfile: "Dockerfile", checks: skip: ["StageNameCasing", "MaintainerDeprecated"]}`,
		df:   errDF,
	}, {
		name:     "directive and a mistake",
		spec:     `images: app: {repository: "x/app", dockerfile: "Dockerfile"}`,
		df:       errDF + "COPY --from=nowhere:x:y / /\n",
		lowerErr: "Dockerfile:4: ",
		mistake:  true,
	}, {
		name:     "directive, a stage not built fails",
		spec:     `images: app: {repository: "x/app", dockerfile: "Dockerfile"}`,
		df:       "# check=error=true\nFROM scratch AS test\nCOPY --chmod=abc a /\nFROM scratch\n",
		findings: []string{"@3:1 app=linux/amd64"},
	}, {
		name:     "spec",
		spec:     `checks: error: true, images: app: {repository: "x/app", dockerfile: "Dockerfile"}`,
		df:       "FROM scratch\nMAINTAINER me\n",
		lowerErr: "checks failed (checks.error makes that an error): MaintainerDeprecated at line 2;",
		findings: []string{"MaintainerDeprecated@2:1 app=linux/amd64 error"},
	}, {
		name:     "spec, the image's own setting wins",
		spec:     `checks: error: true, images: app: {repository: "x/app", dockerfile: "Dockerfile", checks: error: false}`,
		df:       "FROM scratch\nMAINTAINER me\n",
		findings: []string{"MaintainerDeprecated@2:1 app=linux/amd64"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			s := load(t, tc.spec, files(tc.df))
			p, _ := platform.Parse("linux/amd64")
			_, err := New(s, Options{}).Lower(context.Background(), "app", p)
			switch {
			case tc.lowerErr == "" && err != nil:
				t.Errorf("Lower: %v", err)
			case tc.lowerErr != "" && (err == nil || !strings.Contains(err.Error(), tc.lowerErr)):
				t.Errorf("Lower: %v, want %q", err, tc.lowerErr)
			}
			found, err := Check(context.Background(), s)
			if tc.mistake {
				if err == nil || !strings.Contains(err.Error(), tc.lowerErr) {
					t.Errorf("Check: %v, want %q", err, tc.lowerErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			if got := briefs(found); !slices.Equal(got, tc.findings) {
				t.Errorf("findings %v, want %v", got, tc.findings)
			}
		})
	}
}
