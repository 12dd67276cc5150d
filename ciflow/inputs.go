package ciflow

import (
	"fmt"
	"strings"

	"github.com/google/shlex"
)

// Inputs are the step's inputs, read from INPUT_* variables as the
// Action and the template set them (INPUT_LOGIN_PASSWORD for
// login-password).
type Inputs struct {
	Spec          string
	Mode          string // build or publish
	Push          bool
	Platforms     []string
	Images        []string
	MetadataFile  string
	MetadataFiles []string // patterns
	// Logins are the registries to log in to: login-registry's first,
	// then those of the logins input.
	Logins      []Login
	BuilderAddr string
	Insecure    []string
	QEMU        string // auto, host or false
	Provenance  string // bricklayer build checks the value; "" is its default
	// Sign is build --push's and publish's --sign: a cosign key (a file
	// or env://VAR), or keyless; "" signs nothing.
	Sign string
	// SBOM is build --sbom's value (true, generator=IMAGE); "" is none.
	SBOM string
	// Args are more arguments for every command the step runs, split as
	// a shell would (quotes keep a value with blanks whole).
	Args []string
	// Summary is off with the summary input or DOCKER_BUILD_SUMMARY set
	// to false, as Docker's actions honour it.
	Summary bool
}

// Login is one registry's credentials; an empty Registry is Docker Hub.
type Login struct {
	Registry, Username, Password string
}

// InputError is an input the step cannot take.
type InputError struct{ Msg string }

func (e *InputError) Error() string { return e.Msg }

func inputErrorf(format string, args ...any) error {
	return &InputError{Msg: fmt.Sprintf(format, args...)}
}

// ReadInputs reads the step's inputs from env, with the defaults of
// action.yml for those that are unset or empty.
func ReadInputs(env func(string) string) (Inputs, error) {
	in := Inputs{
		Spec:          or(env("INPUT_SPEC"), "."),
		Mode:          or(env("INPUT_MODE"), "build"),
		Platforms:     list(env("INPUT_PLATFORMS")),
		Images:        list(env("INPUT_IMAGES")),
		MetadataFile:  env("INPUT_METADATA_FILE"),
		MetadataFiles: list(env("INPUT_METADATA_FILES")),
		BuilderAddr:   env("INPUT_BUILDER_ADDR"),
		Insecure:      list(env("INPUT_INSECURE_REGISTRY")),
		QEMU:          or(env("INPUT_QEMU"), "auto"),
		Provenance:    env("INPUT_PROVENANCE"),
		Sign:          env("INPUT_SIGN"),
		SBOM:          env("INPUT_SBOM"),
	}
	if in.Mode != "build" && in.Mode != "publish" {
		return in, inputErrorf("mode is build or publish, not %s", in.Mode)
	}
	var err error
	if in.Push, err = boolean("push", env("INPUT_PUSH"), false); err != nil {
		return in, err
	}
	if in.Summary, err = boolean("summary", env("INPUT_SUMMARY"), true); err != nil {
		return in, err
	}
	if docker, err := boolean("DOCKER_BUILD_SUMMARY", env("DOCKER_BUILD_SUMMARY"), true); err != nil {
		return in, err
	} else if !docker {
		in.Summary = false
	}
	switch in.QEMU {
	case "auto", "true", "host", "false":
	default:
		return in, inputErrorf("qemu must be auto, host or false, not %s", in.QEMU)
	}
	user, password := env("INPUT_LOGIN_USERNAME"), env("INPUT_LOGIN_PASSWORD")
	if (user == "") != (password == "") {
		return in, inputErrorf("login needs both login-username and login-password")
	}
	if user != "" {
		in.Logins = append(in.Logins, Login{Registry: env("INPUT_LOGIN_REGISTRY"), Username: user, Password: password})
	}
	more, err := logins(env("INPUT_LOGINS"))
	if err != nil {
		return in, err
	}
	in.Logins = append(in.Logins, more...)
	seen := map[string]bool{}
	for _, l := range in.Logins {
		r := registryKey(l.Registry)
		if seen[r] {
			return in, inputErrorf("logins: %s has two logins", or(l.Registry, "docker.io"))
		}
		seen[r] = true
	}
	if in.Mode == "publish" && len(in.MetadataFiles) == 0 {
		return in, inputErrorf("publish mode needs metadata-files")
	}
	if in.Args, err = shlex.Split(env("INPUT_ARGS")); err != nil {
		return in, inputErrorf("args: %v", err)
	}
	return in, nil
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// boolean reads a boolean input the way YAML writers spell one; empty
// is def.
func boolean(name, v string, def bool) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "":
		return def, nil
	case "true", "yes", "1", "on":
		return true, nil
	case "false", "no", "0", "off":
		return false, nil
	}
	return false, inputErrorf("%s: not a boolean: %s", name, v)
}

// list splits a list input given one item a line, or separated by
// commas or blanks.
func list(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool {
		return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r'
	})
}

// logins reads the logins input: a login a line, REGISTRY USERNAME
// PASSWORD, the password being the rest of the line as it is (a secret
// with blanks stays whole); blank lines and lines starting with # are
// skipped. An error names the line, never what it holds: it may hold a
// password.
func logins(v string) ([]Login, error) {
	var out []Login
	for i, line := range strings.Split(v, "\n") {
		line = strings.TrimRight(line, "\r")
		t := strings.TrimLeft(line, " \t")
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		reg, rest, _ := strings.Cut(t, " ")
		rest = strings.TrimLeft(rest, " ")
		user, password, _ := strings.Cut(rest, " ")
		password = strings.TrimLeft(password, " ")
		if reg == "" || user == "" || password == "" || strings.Contains(reg, "\t") || strings.Contains(user, "\t") {
			return nil, inputErrorf("logins: line %d: want REGISTRY USERNAME PASSWORD, separated by spaces", i+1)
		}
		out = append(out, Login{Registry: reg, Username: user, Password: password})
	}
	return out, nil
}

// registryKey tells registries apart for logins: Docker Hub has several
// names.
func registryKey(r string) string {
	r = strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(r, "https://"), "http://"), "/")
	switch r {
	case "", "docker.io", "index.docker.io", "registry-1.docker.io", "index.docker.io/v1":
		return "docker.io"
	}
	return r
}
