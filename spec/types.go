package spec

import (
	"crypto/sha256"
	"encoding/hex"
	"time"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/token"

	"github.com/bricklayer-build/bricklayer/buildinfo"
	"github.com/bricklayer-build/bricklayer/buildopt"
	"github.com/bricklayer-build/bricklayer/platform"
)

// FileName is the name of the spec file looked up in a directory.
const FileName = "bricklayer.cue"

// Spec is a decoded, checked bricklayer.cue.
type Spec struct {
	// File is the spec's path as given (relative paths stay relative, so
	// errors and source maps name the file the way the user does).
	File string
	// Dir is the directory holding File.
	Dir string
	// Source is the text of File, for source maps.
	Source []byte

	// Stages are the top-level stages shared by every image.
	Stages map[string]*Stage
	// Images by name; ImageNames is their sorted list.
	Images     map[string]*Image
	ImageNames []string
	// Build is the build context the tags were computed for.
	Build *buildinfo.Info
	// BuildRead is false when git and the CI were not asked (the spec
	// refers to no build, policy or epoch): Build then holds the date
	// and --context's values only, and says nothing of the branch.
	BuildRead bool
	// CacheTo and CacheFrom are the spec's build cache exports and
	// imports (cache: to: ["type=registry,ref=..."]).
	CacheTo, CacheFrom []buildopt.Cache
	// Epoch is the spec's SOURCE_DATE_EPOCH for reproducible images: a
	// time, or nil. epoch: "git" is the commit's time.
	Epoch *time.Time
	// Warnings are mistakes that do not stop a build yet, such as an
	// alias past its end date.
	Warnings []Diagnostic

	// value is the file's value after --set, and schema #Spec: Export
	// unifies them. user is the file's own value (before --set), whose
	// field order Export keeps.
	value, schema, user cue.Value
}

// Stage is a filesystem built by Steps on top of From.
type Stage struct {
	Name string
	// From is an image reference, "scratch", or the name of a stage or
	// image of the spec (see Spec.Resolve).
	From          string
	BuildPlatform bool
	Args          map[string]string
	Env           map[string]string
	Workdir       string
	User          string
	Steps         []Step

	Pos     token.Pos // of the stage itself
	loc     loc
	fromLoc loc
}

// Path is the stage's path in the spec, e.g. images.ui.stages.build.
func (s *Stage) Path() string { return s.loc.String() }

// StepKind says which one of the step forms a Step is.
type StepKind string

// The step kinds.
const (
	StepRun     StepKind = "run"
	StepCopy    StepKind = "copy"
	StepEnv     StepKind = "env"
	StepWorkdir StepKind = "workdir"
	StepUser    StepKind = "user"
	StepArg     StepKind = "arg"
)

// Step is one item of a stage's steps.
type Step struct {
	Kind StepKind

	// run
	Run     []string // the exec list; for a shell command, the command alone
	Shell   bool     // Run[0] is a shell command for /bin/sh -c
	Cache   []CacheMount
	Secrets []SecretMount
	Network string

	// copy
	Copy  []string
	Dest  string
	From  string // a stage, an image of the spec, or an image reference
	Chown string
	Chmod string

	// env, workdir, user
	Env     map[string]string
	Workdir string
	User    string

	// arg: declared names with their default (nil: no default).
	Args map[string]*string

	Pos     token.Pos
	loc     loc
	fromLoc loc
}

// Path is the step's path in the spec, e.g. images.ui.steps[2].
func (s *Step) Path() string { return s.loc.String() }

// CacheMount is a persistent cache directory of a run step.
type CacheMount struct {
	Target  string
	ID      string
	Sharing string // shared, private or locked
}

// SecretMount makes a build secret visible to a run step.
type SecretMount struct {
	ID       string
	Target   string // file path; empty with Env set
	Env      string
	Required bool
}

// Image is a published image: a Stage built for every platform, or a
// Dockerfile build.
type Image struct {
	Stage

	// Repository is the normalized repository name (docker.io/acme/ui),
	// the first of Repositories: every repository the image is pushed
	// to, under the same tags.
	Repository   string
	Repositories []string
	// Platforms are the image's platforms, in the spec's order.
	Platforms []platform.Platform
	// Context is the build context directory (relative to the working
	// directory, like Spec.File).
	Context string
	// Tags are the image's tags: its own and those its policy yields for
	// the build context. AliasTags are their aliases (rpi-1.2.3), in the
	// same repository. Every one of them names the same index.
	Tags      []string
	AliasTags []string
	tagLocs   []loc
	aliasLocs []loc
	// Policy and Aliases are the image's own, else the top-level ones.
	Policy  Policy
	Aliases []Alias
	// Cache is false when the image opts out of imported and exported
	// build cache.
	Cache      bool
	Dockerfile string // path of the Dockerfile in Context; empty for steps
	Target     string
	targetLoc  loc
	// dockerfilePos is where dockerfile is written, for DockerfileError;
	// dockerfilePath its path when a platform overrides it (nil: the
	// image's dockerfile field).
	dockerfilePos  token.Pos
	dockerfilePath []string
	// Checks are the spec's settings of the Dockerfile checks, and
	// CheckErrorDirective is set by the Dockerfile's # check=error=true.
	Checks              Checks
	CheckErrorDirective bool
	// DockerfileData is the Dockerfile's text and DockerIgnore the
	// patterns of the context's .dockerignore, read at load time so that
	// lowering reads no files. ParsedDockerfile is the text parsed, once
	// per load; nil without a Dockerfile or when it could not be read.
	// Images that name one file share them: read, never change them.
	DockerfileData   []byte
	DockerIgnore     []string
	ParsedDockerfile *ParsedDockerfile
	// Stages private to this image.
	Stages map[string]*Stage

	Labels map[string]string
	// Annotations go on the image's index and on each platform's
	// manifest: the top-level ones, the image's own over them, and the
	// defaults (see annotations.go).
	Annotations map[string]string
	Entrypoint  []string
	Cmd         []string
	Expose      []string // "80/tcp"
	Volumes     []string

	variants map[platform.Platform]*Image
	// raw is the image as decoded, kept when it has per-platform
	// overrides: each variant is it with the overridden fields replaced.
	raw *rawImage
}

// ForPlatform returns the image as seen by one of its platforms: the image
// unified with its per-platform override, or the image itself.
func (im *Image) ForPlatform(p platform.Platform) *Image {
	if v, ok := im.variants[p]; ok {
		return v
	}
	return im
}

// AllTags are the canonical tags, then their aliases.
func (im *Image) AllTags() []string {
	return append(append([]string(nil), im.Tags...), im.AliasTags...)
}

// Policy says which tags the build context yields.
type Policy struct {
	Branch, Semver, CalVer, SHA, PullRequest bool
	// Moving is a tag of every release that is not a pre-release.
	Moving string
}

// Alias publishes every tag also as Prefix+tag+Suffix: the way out of
// per-architecture tags such as rpi-1.2.3.
type Alias struct {
	Prefix, Suffix string
	// Until is the last day (YYYY-MM-DD) the alias is published without a
	// warning; empty for no end.
	Until  string
	Strict bool
}

// maxTagLen is the longest tag the OCI distribution spec allows.
const maxTagLen = 128

// Apply is the alias name of tag: Prefix+tag+Suffix, or, when that is
// longer than a tag may be (a long branch tag, itself cut to 128), the
// tag cut to fit with '-' and 8 hex digits of its SHA-256 before
// Suffix. The digest keeps aliases of tags that differ only past the cut
// apart, and is the same on every build of the tag.
func (a Alias) Apply(tag string) string {
	name := a.Prefix + tag + a.Suffix
	keep := maxTagLen - len(a.Prefix) - len(a.Suffix) - len("-12345678")
	if len(name) <= maxTagLen || keep < 1 || keep >= len(tag) {
		return name // fits, or prefix and suffix alone are too long: checkTag says so
	}
	sum := sha256.Sum256([]byte(tag))
	return a.Prefix + tag[:keep] + "-" + hex.EncodeToString(sum[:4]) + a.Suffix
}
