package llbgen

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerui"
	gwclient "github.com/moby/buildkit/frontend/gateway/client"
	gwpb "github.com/moby/buildkit/frontend/gateway/pb"
	"github.com/moby/buildkit/solver/pb"
	"github.com/moby/patternmatcher/ignorefile"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	fstypes "github.com/tonistiigi/fsutil/types"

	"github.com/bricklayer-build/bricklayer/spec"
)

// ignoredCases are Dockerfiles and .dockerignore files for the
// CopyIgnoredFile check: what it reports is compared with what BuildKit's
// converter reports when it reads the .dockerignore through a client.
var ignoredCases = []struct {
	name, ignore, dockerfile, target string
	args                             map[string]string
}{
	{name: "file", ignore: "key.pem\n", dockerfile: "FROM scratch\nCOPY key.pem README.md /\nADD key.pem /k\n"},
	{name: "not ignored", ignore: "key.pem\n", dockerfile: "FROM scratch\nCOPY README.md /\n"},
	{name: "no patterns", ignore: "# nothing\n", dockerfile: "FROM scratch\nCOPY key.pem /\n"},
	{name: "parent dir", ignore: "secrets\nbuild/\n", dockerfile: "FROM scratch\nCOPY secrets/db/conf build /\n"},
	{name: "dir partly ignored", ignore: "conf/*.key\n", dockerfile: "FROM scratch\nCOPY conf /conf\nCOPY conf/a.key /\n"},
	{name: "wildcards", ignore: "*.pem\nsecret.txt\n", dockerfile: "FROM scratch\nCOPY *.pem /\nCOPY *.txt /\nCOPY ke?.pem /\n"},
	{name: "doublestar", ignore: "**/*.log\n", dockerfile: "FROM scratch\nCOPY a/b/c.log x.log /\n"},
	{name: "exception", ignore: "secrets\n!secrets/public\n", dockerfile: "FROM scratch\nCOPY secrets/key /\n"},
	{name: "root", ignore: "node_modules\n", dockerfile: "FROM scratch\nCOPY . /\nCOPY ./ /a\nCOPY / /b\n"},
	{name: "root all", ignore: "*\n", dockerfile: "FROM scratch\nCOPY . /\nCOPY a /\n"},
	{name: "root doublestar", ignore: "**\n", dockerfile: "FROM scratch\nCOPY . /\n"},
	{name: "clean", ignore: "secrets\n", dockerfile: "FROM scratch\nCOPY ./secrets/../secrets/k /\nCOPY /secrets/k /\nCOPY secrets/ /\n"},
	{name: "from", ignore: "key.pem\n", dockerfile: "FROM scratch AS a\nFROM scratch\nCOPY --from=a key.pem /\nCOPY --from=0 key.pem /\n"},
	{name: "remote", ignore: "*\n", dockerfile: "FROM scratch\nADD https://example.com/key.pem /\nADD https://github.com/moby/buildkit.git#v0.1 /src\nADD git@github.com:moby/buildkit.git /src\n"},
	{name: "heredoc", ignore: "*\n", dockerfile: "FROM scratch\nCOPY <<EOF /a\nx\nEOF\n"},
	{name: "json", ignore: "key.pem\n", dockerfile: "FROM scratch\nCOPY [\"key.pem\", \"/\"]\n"},
	{name: "quoted", ignore: "key.pem\n", dockerfile: "FROM scratch\nCOPY \"key.pem\" /\n"},
	{name: "skip directive", ignore: "key.pem\n", dockerfile: "# check=skip=CopyIgnoredFile\nFROM scratch\nCOPY key.pem /\n"},
	{name: "skip comment", ignore: "key.pem\n", dockerfile: "FROM scratch\n# check=skip=CopyIgnoredFile\nCOPY key.pem /\nCOPY key.pem /a\n"},
	{name: "skip stage comment", ignore: "key.pem\n", dockerfile: "FROM scratch AS a\n# check=skip=CopyIgnoredFile\nFROM scratch\nCOPY --from=a / /\nCOPY key.pem /\n"},
	{name: "skip all", ignore: "key.pem\n", dockerfile: "# check=skip=all\nFROM scratch\nCOPY key.pem /\n"},
	{name: "args", ignore: "secrets\n", dockerfile: "ARG G=secrets\nFROM scratch\nARG G\nARG D=sec\nCOPY $G/a ${D}rets/b /\nENV E=$D\nCOPY ${E}rets/c /\n"},
	{name: "build args", ignore: "secrets\n", args: map[string]string{"D": "secrets", "U": "secrets"},
		dockerfile: "FROM scratch\nARG D=public\nCOPY $D/a /\n"},
	{name: "platform args", ignore: "bin/arm64\n", dockerfile: "FROM scratch\nARG TARGETARCH\nCOPY bin/$TARGETARCH/app /\n"},
	{name: "escape", ignore: "key.pem\n", dockerfile: "# escape=`\nFROM scratch\nCOPY key.pem `\n  /\n"},
	{name: "stages", ignore: "k\n", dockerfile: "FROM scratch AS unused\nCOPY k /\nFROM scratch AS used\nCOPY k /\nFROM scratch AS mnt\nCOPY k /\nFROM used\nCOPY --from=2 k /\nRUN --mount=from=mnt,target=/m true\n"},
	{name: "target", ignore: "k\n", target: "t", dockerfile: "FROM scratch AS t\nCOPY k /\nFROM scratch\nCOPY k /\n"},
}

// TestCheckIgnoredAsBuildKit runs each case through BuildKit's converter
// given a client that serves the .dockerignore (as in docker build), and
// through checkIgnored, for the stages a build converts and for every
// stage: both must report the same.
func TestCheckIgnoredAsBuildKit(t *testing.T) {
	target := ocispecs.Platform{OS: "linux", Architecture: "arm64"}
	build := ocispecs.Platform{OS: "linux", Architecture: "amd64"}
	for _, tc := range ignoredCases {
		for _, all := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/all=%v", tc.name, all), func(t *testing.T) {
				patterns, err := ignorefile.ReadAll(strings.NewReader(tc.ignore))
				if err != nil {
					t.Fatal(err)
				}
				im := &spec.Image{Dockerfile: "Dockerfile", DockerfileData: []byte(tc.dockerfile), ParsedDockerfile: spec.ParseDockerfile([]byte(tc.dockerfile)),
					DockerIgnore: patterns, Target: tc.target}
				opt := dockerfile2llb.ConvertOpt{
					Config: dockerui.Config{
						BuildArgs:       tc.args,
						Target:          tc.target,
						TargetPlatforms: []ocispecs.Platform{target},
						BuildPlatforms:  []ocispecs.Platform{build},
					},
					TargetPlatform: &target,
					MetaResolver:   &offlineResolver{},
					AllStages:      all,
				}

				var ours collected
				checkOnce(im, &opt, all, ours.warn)

				bc, err := dockerui.NewClient(&ignoreGateway{ignore: []byte(tc.ignore)})
				if err != nil {
					t.Fatal(err)
				}
				var theirs collected
				opt.Client, opt.Warn = bc, theirs.warn
				if _, err := dockerfile2llb.Dockerfile2LLB(context.Background(), im.DockerfileData, opt); err != nil {
					t.Fatalf("converter: %v", err)
				}
				if got, want := ours.sorted(), theirs.only("CopyIgnoredFile"); !slices.Equal(got, want) {
					t.Errorf("checkIgnored:\n%s\nBuildKit:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
				}
			})
		}
	}
}

// TestCheckIgnoredReports pins what some cases report, so that the
// comparison above does not pass on two empty lists.
func TestCheckIgnoredReports(t *testing.T) {
	want := map[string][]string{
		"file":           {`2:1 CopyIgnoredFile Attempting to Copy file "key.pem" that is excluded by .dockerignore`, `3:1 CopyIgnoredFile Attempting to Add file "key.pem" that is excluded by .dockerignore`},
		"not ignored":    nil,
		"exception":      nil,
		"from":           nil,
		"root":           nil,
		"root all":       {`2:1 CopyIgnoredFile Attempting to Copy file "." that is excluded by .dockerignore`, `3:1 CopyIgnoredFile Attempting to Copy file "a" that is excluded by .dockerignore`},
		"wildcards":      {`2:1 CopyIgnoredFile Attempting to Copy file "*.pem" that is excluded by .dockerignore`, `4:1 CopyIgnoredFile Attempting to Copy file "ke?.pem" that is excluded by .dockerignore`},
		"args":           {`5:1 CopyIgnoredFile Attempting to Copy file "secrets/a" that is excluded by .dockerignore`, `5:1 CopyIgnoredFile Attempting to Copy file "secrets/b" that is excluded by .dockerignore`, `7:1 CopyIgnoredFile Attempting to Copy file "secrets/c" that is excluded by .dockerignore`},
		"platform args":  {`3:1 CopyIgnoredFile Attempting to Copy file "bin/arm64/app" that is excluded by .dockerignore`},
		"skip directive": nil,
		"skip comment":   {`4:1 CopyIgnoredFile Attempting to Copy file "key.pem" that is excluded by .dockerignore`},
		"stages":         {`4:1 CopyIgnoredFile Attempting to Copy file "k" that is excluded by .dockerignore`, `6:1 CopyIgnoredFile Attempting to Copy file "k" that is excluded by .dockerignore`},
	}
	target := ocispecs.Platform{OS: "linux", Architecture: "arm64"}
	for _, tc := range ignoredCases {
		w, ok := want[tc.name]
		if !ok {
			continue
		}
		patterns, _ := ignorefile.ReadAll(strings.NewReader(tc.ignore))
		// The spec's parse alone: the check reads no Dockerfile text.
		im := &spec.Image{ParsedDockerfile: spec.ParseDockerfile([]byte(tc.dockerfile)), DockerIgnore: patterns}
		opt := dockerfile2llb.ConvertOpt{Config: dockerui.Config{BuildArgs: tc.args}, TargetPlatform: &target}
		var c collected
		checkOnce(im, &opt, false, c.warn)
		if got := c.sorted(); !slices.Equal(got, w) {
			t.Errorf("%s:\n%s\nwant:\n%s", tc.name, strings.Join(got, "\n"), strings.Join(w, "\n"))
		}
	}
}

// collected are findings as "LINE:COL RULE MESSAGE".
type collected struct {
	mu    sync.Mutex
	lines []string
}

func (c *collected) warn(rule, _, _, msg string, loc []parser.Range) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lines = append(c.lines, fmt.Sprintf("%d:%d %s %s", loc[0].Start.Line, loc[0].Start.Character+1, rule, msg))
}

func (c *collected) sorted() []string { return slices.Sorted(slices.Values(c.lines)) }

func (c *collected) only(rule string) []string {
	var out []string
	for _, l := range c.sorted() {
		if strings.Contains(l, " "+rule+" ") {
			out = append(out, l)
		}
	}
	return out
}

// ignoreGateway is as much of a frontend gateway as BuildKit's dockerui
// client needs to read the context's .dockerignore: the solve of the
// context's local source yields a reference that holds only that file.
type ignoreGateway struct {
	gwclient.Client // nil: any other call panics
	ignore          []byte
}

func (g *ignoreGateway) BuildOpts() gwclient.BuildOpts {
	return gwclient.BuildOpts{Opts: map[string]string{}, LLBCaps: pb.Caps.CapSet(pb.Caps.All()),
		Caps: gwpb.Caps.CapSet(gwpb.Caps.All())}
}

func (g *ignoreGateway) Solve(context.Context, gwclient.SolveRequest) (*gwclient.Result, error) {
	res := gwclient.NewResult()
	res.SetRef(&ignoreRef{ignore: g.ignore})
	return res, nil
}

// Inputs: the frontend is given no inputs (named contexts).
func (g *ignoreGateway) Inputs(context.Context) (map[string]llb.State, error) { return nil, nil }

type ignoreRef struct {
	gwclient.Reference
	ignore []byte
}

func (r *ignoreRef) StatFile(context.Context, gwclient.StatRequest) (*fstypes.Stat, error) {
	return nil, errors.ErrUnsupported // a failed stat is left to the read
}

func (r *ignoreRef) ReadFile(_ context.Context, req gwclient.ReadRequest) ([]byte, error) {
	if req.Filename != ".dockerignore" {
		return nil, fmt.Errorf("%s: %w", req.Filename, errors.ErrUnsupported)
	}
	return r.ignore, nil
}

// TestCheckIgnoredPlatforms: the platforms of an image, lowered side by
// side, share its parsed Dockerfile and patterns (go test -race).
func TestCheckIgnoredPlatforms(t *testing.T) {
	s := load(t, `images: {
	app: {repository: "x/app", dockerfile: "Dockerfile", platforms: ["linux/amd64", "linux/arm64", "linux/arm/v7"]}
	dev: {repository: "x/dev", dockerfile: "Dockerfile", target: "build"}
}`, map[string]string{
		".dockerignore": "secrets\nbin/arm64\n",
		"Dockerfile":    "FROM scratch AS build\nCOPY secrets/k /\nFROM scratch\nARG TARGETARCH\nCOPY bin/$TARGETARCH/app /\n",
	})
	want := []string{
		"CopyIgnoredFile@2:1 app=linux/amd64, linux/arm64, linux/arm/v7 dev=linux/amd64",
		"CopyIgnoredFile@5:1 app=linux/arm64",
	}
	if got := briefs(check(t, s)); !slices.Equal(got, want) {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestCheckIgnoredUnknownVars: a source using a variable that offline
// cannot be told (an image's ENV, an ARG with no value) is left out,
// where BuildKit, knowing the base image, may report it.
func TestCheckIgnoredUnknownVars(t *testing.T) {
	patterns, _ := ignorefile.ReadAll(strings.NewReader("k\nsecrets\n"))
	im := &spec.Image{DockerIgnore: patterns, ParsedDockerfile: spec.ParseDockerfile([]byte(
		"FROM alpine\nCOPY $HOME/k /\nARG X\nCOPY $X/k ${X:-secrets}/a /\nENV Y=$X\nCOPY $Y/k /\nCOPY k /\n"))}
	var c collected
	checkOnce(im, &dockerfile2llb.ConvertOpt{}, true, c.warn)
	want := []string{`7:1 CopyIgnoredFile Attempting to Copy file "k" that is excluded by .dockerignore`}
	if got := c.sorted(); !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

// BenchmarkCheckIgnored measures vet's checks of the spec of
// BenchmarkCheck with a .dockerignore in every context (so the
// CopyIgnoredFile check runs), and the CopyIgnoredFile check alone.
// The difference of Check's µs/image from BenchmarkCheck/images=100's is
// what the check costs vet.
func BenchmarkCheckIgnored(b *testing.B) {
	const n = 100
	src, files := dockerfileSpec(n)
	for name := range files {
		files[strings.TrimSuffix(name, "Dockerfile")+".dockerignore"] = "*.pem\nsecrets\nnode_modules\n**/*.log\n.git\n"
	}
	s := load(b, src, files)
	b.Run("Check", func(b *testing.B) {
		for b.Loop() {
			if _, err := Check(context.Background(), s); err != nil {
				b.Fatal(spec.Diagnostics(err))
			}
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/n, "µs/image")
	})
	b.Run("checkIgnored", func(b *testing.B) {
		p := ocispecs.Platform{OS: "linux", Architecture: "arm64"}
		opt := &dockerfile2llb.ConvertOpt{TargetPlatform: &p}
		for b.Loop() {
			// As a lowering: parsed once per image, checked per platform.
			for _, name := range s.ImageNames {
				d := parseIgnored(s.Images[name])
				for range s.Images[name].Platforms {
					d.check(opt, true, func(string, string, string, string, []parser.Range) {})
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/n, "µs/image")
	})
}

// checkOnce checks im as a lowering does, without the cache.
func checkOnce(im *spec.Image, opt *dockerfile2llb.ConvertOpt, allStages bool, warn linter.LintWarnFunc) {
	if d := parseIgnored(im); d != nil {
		d.check(opt, allStages, warn)
	}
}
