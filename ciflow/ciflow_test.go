package ciflow

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// flagsOf is a Flags for a build that takes --context, --cache-to and
// --push, and a vet that takes --context.
func flagsOf(command, name string) (known, value bool) {
	switch {
	case name == "context":
		return true, true
	case command == "build" && name == "cache-to":
		return true, true
	case command == "build" && (name == "push" || name == "v"):
		return true, false
	}
	return false, false
}

func TestArgsFor(t *testing.T) {
	args := []string{"--context", "tag=", "--push", "--cache-to", "type=local,dest=a b", "--context=branch=main", "-v", "app"}
	if got, want := argsFor("vet", "build", args, flagsOf), []string{"--context", "tag=", "--context=branch=main"}; !reflect.DeepEqual(got, want) {
		t.Errorf("vet gets %q, want %q", got, want)
	}
	if got := argsFor("build", "build", args, flagsOf); !reflect.DeepEqual(got, args) {
		t.Errorf("build gets %q, want all of %q", got, args)
	}
	if f := unknownFlag("build", []string{"--cache-to", "--bogus", "--bogus"}, flagsOf); f != "--bogus" {
		t.Errorf("unknownFlag = %q, want the one after the value", f)
	}
}

func TestReadInputs(t *testing.T) {
	env := map[string]string{
		"INPUT_ARGS":      `--context "var.T=a b" --arg K='x y'`,
		"INPUT_PLATFORMS": "linux/amd64,\nlinux/arm64 ",
		"INPUT_PUSH":      "True",
	}
	in, err := ReadInputs(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"--context", "var.T=a b", "--arg", "K=x y"}; !reflect.DeepEqual(in.Args, want) {
		t.Errorf("args %q, want %q", in.Args, want)
	}
	if want := []string{"linux/amd64", "linux/arm64"}; !reflect.DeepEqual(in.Platforms, want) {
		t.Errorf("platforms %q, want %q", in.Platforms, want)
	}
	if !in.Push || !in.Summary || in.Mode != "build" || in.Spec != "." {
		t.Errorf("push %v summary %v mode %q spec %q", in.Push, in.Summary, in.Mode, in.Spec)
	}
	env["DOCKER_BUILD_SUMMARY"] = "false"
	if in, _ := ReadInputs(func(k string) string { return env[k] }); in.Summary {
		t.Error("DOCKER_BUILD_SUMMARY=false leaves the summary on")
	}
	for _, bad := range []map[string]string{
		{"INPUT_PUSH": "maybe"}, {"INPUT_MODE": "deploy"}, {"INPUT_QEMU": "bogus"},
		{"INPUT_LOGIN_USERNAME": "u"}, {"INPUT_MODE": "publish"}, {"INPUT_ARGS": `"open`},
	} {
		if _, err := ReadInputs(func(k string) string { return bad[k] }); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
}

// TestOutputDelimiter: a value holding lines that look like outputs
// stays one value.
func TestOutputDelimiter(t *testing.T) {
	out := filepath.Join(t.TempDir(), "output")
	r := &reporter{system: "github", env: func(k string) string { return map[string]string{"GITHUB_OUTPUT": out}[k] }}
	v := "line\nEOF\ndigests=evil\nghadelimiter_1"
	if err := r.output("metadata", "metadata", v); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	head, rest, _ := strings.Cut(string(data), "\n")
	name, delim, ok := strings.Cut(head, "<<")
	if !ok || name != "metadata" || len(delim) < 32 {
		t.Fatalf("first line %q", head)
	}
	if want := v + "\n" + delim + "\n"; rest != want {
		t.Errorf("value written as %q, want %q", rest, want)
	}
}

// TestLogins: login-registry's login, then a login a line of logins, the
// password the rest of its line; a line it cannot read is named without
// what it holds, and a registry given twice (Docker Hub under any of its
// names) is refused.
func TestLogins(t *testing.T) {
	env := map[string]string{
		"INPUT_LOGIN_REGISTRY": "ghcr.io", "INPUT_LOGIN_USERNAME": "octo", "INPUT_LOGIN_PASSWORD": "gh-token",
		"INPUT_LOGINS": "# Docker Hub and Quay\r\n  docker.io   acme  dckr pat with blanks  \n\nquay.io robot+ci q-secret\n",
	}
	in, err := ReadInputs(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	want := []Login{
		{"ghcr.io", "octo", "gh-token"},
		{"docker.io", "acme", "dckr pat with blanks  "},
		{"quay.io", "robot+ci", "q-secret"},
	}
	if !reflect.DeepEqual(in.Logins, want) {
		t.Errorf("logins %q, want %q", in.Logins, want)
	}
	for logins, msg := range map[string]string{
		"ghcr.io only-a-user":                 "logins: line 1: want REGISTRY USERNAME PASSWORD",
		"quay.io u p\nsecret-pasted-alone":    "logins: line 2: want REGISTRY USERNAME PASSWORD",
		"ghcr.io other p":                     "logins: ghcr.io has two logins",
		"docker.io a p\nindex.docker.io b p":  "logins: index.docker.io has two logins",
		"quay.io\tuser\tpassword-after-a-tab": "logins: line 1: want REGISTRY USERNAME PASSWORD",
	} {
		env["INPUT_LOGINS"] = logins
		_, err := ReadInputs(func(k string) string { return env[k] })
		var ie *InputError
		if !errors.As(err, &ie) || !strings.HasPrefix(err.Error(), msg) {
			t.Errorf("%q: error %v, want %q", logins, err, msg)
			continue
		}
		if strings.Contains(err.Error(), "secret") || strings.Contains(err.Error(), "password-after") {
			t.Errorf("%q: the error shows the line: %v", logins, err)
		}
	}
}
