package repocheck

import (
	"bufio"
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// A finding is a line that reads like another project's notice or says the
// code came from elsewhere. The patterns are written so that their own
// source text does not match them.
type finding struct {
	line int
	what string
	text string
}

// anyOf is a case-insensitive regexp matching any of alts.
func anyOf(alts ...string) *regexp.Regexp {
	return regexp.MustCompile(`(?i)` + strings.Join(alts, "|"))
}

// phrase matches words in order with any white space between them. The
// phrases the guard looks for are kept as word lists, so that no line of
// this file reads as a notice itself.
func phrase(words ...string) string { return `\b` + strings.Join(words, `\s+`) + `\b` }

var (
	// Notices: copyright lines, grants of common licenses, SPDX tags.
	copyrightRE = anyOf(
		`\bcopyright\s+(?:\(c\)|\x{a9}|(?:19|20)[0-9]{2}\b)`, // with a year or a sign
		`\bcopyright\s+(?:the\s+)?[\w.-]+(?:\s+[\w.-]+){0,3}\s+(?:authors|contributors)\b`,
		`\x{a9}\s*(?:19|20)[0-9]{2}\b`,
		phrase("all", "rights", "reserved"),
	)
	licenseRE = anyOf(
		phrase("licensed", "under", "the")+`\s+(?:apache|mit|bsd|gnu|mozilla|eclipse)\b`,
		phrase("permission", "is", "hereby", "granted"),
		phrase("redistribution", "and", "use", "in", "source"),
		`\b`+strings.Join([]string{"spdx", "license", "identifier"}, "-")+`\s*:`,
	)
	// Provenance: adapting or porting is said of code only; copying and
	// deriving are also said of files and tags in a build tool, so those
	// count when the line names a source: a URL, a module path or a version.
	adaptedRE = anyOf(`\b(?:adapted|ported)\s+` + `from\b`)
	copiedRE  = anyOf(`\b(?:copied|derived)\s+` + `from\b.*(?:https?://|\b[a-z0-9-]+(?:\.[a-z0-9-]+)+/[a-z0-9]|\bv[0-9]+\.[0-9]+)`)
)

// scan returns the lines of dt that carry a notice or a provenance note.
// Notices that name bricklayer are the project's own.
func scan(dt []byte) ([]finding, error) {
	var out []finding
	sc := bufio.NewScanner(bytes.NewReader(dt))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		own := strings.Contains(strings.ToLower(line), "bricklayer")
		what := ""
		switch {
		case copyrightRE.MatchString(line) && !own:
			what = "a copyright notice"
		case licenseRE.MatchString(line) && !own:
			what = "a license notice"
		case adaptedRE.MatchString(line), copiedRE.MatchString(line):
			what = "a note that the code comes from elsewhere"
		}
		if what != "" {
			out = append(out, finding{n, what, strings.TrimSpace(line)})
		}
	}
	return out, sc.Err()
}

// repoFiles lists the repository's files, relative to root: git's tracked
// and not ignored untracked files, or without git every file under root
// but .git and .bin. Test inputs count too: they are ours as well.
func repoFiles(t *testing.T, root string) []string {
	var files []string
	cmd := exec.Command("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	cmd.Dir = root
	if out, err := cmd.Output(); err == nil {
		for _, f := range strings.Split(string(out), "\x00") {
			if f != "" {
				files = append(files, filepath.FromSlash(f))
			}
		}
	} else {
		t.Logf("git ls-files: %v; walking the tree", err)
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && (d.Name() == ".git" || d.Name() == ".bin") {
				return filepath.SkipDir
			}
			if !d.IsDir() {
				rel, err := filepath.Rel(root, path)
				if err != nil {
					return err
				}
				files = append(files, rel)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("walking %s: %v", root, err)
		}
	}
	return files
}

// TestOwnWords fails on every line of the repository that carries another
// project's notice, or says that its code came out of another project:
// every line here is the project's own.
func TestOwnWords(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("%s is not the repository root: %v", root, err)
	}
	files := repoFiles(t, root)
	if len(files) < 50 {
		t.Fatalf("only %d files found under %s: %v", len(files), root, files)
	}
	for _, f := range files {
		fi, err := os.Lstat(filepath.Join(root, f))
		if err != nil || !fi.Mode().IsRegular() {
			continue // deleted but not yet committed, or a link
		}
		dt, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.IndexByte(dt[:min(len(dt), 8000)], 0) >= 0 {
			continue // binary
		}
		found, err := scan(dt)
		if err != nil {
			t.Errorf("%s: %v", filepath.ToSlash(f), err)
		}
		for _, h := range found {
			t.Errorf("%s:%d: %s: %s", filepath.ToSlash(f), h.line, h.what, h.text)
		}
	}
}

// words joins a sample kept as words: this file is read by TestOwnWords
// too, and holds no notice of its own, nor any other project's.
func words(w ...string) string { return strings.Join(w, " ") }

// TestScan checks the patterns on made-up samples: every flagged one is a
// finding, no clean one is.
func TestScan(t *testing.T) {
	flagged := []string{
		words("//", "Copyright", "2031", "Example", "Authors."),
		words("#", "Copyright", "(c)", "2014-2023", "Sample", "Project", "contributors"),
		words("/*", "Copyright", "\u00a9", "2019", "Example", "Inc.", "*/"),
		words("//", "\u00a9", "2021", "Someone", "Else"),
		words("  ", "Copyright", "The", "Sample", "Authors."),
		words("//", "All", "rights", "reserved."),
		words("//\tLicensed", "under", "the", "Apache", "License,", "Version", "2.0"),
		words("//", "Licensed", "under", "the", "MIT", "License."),
		words("//", strings.Join([]string{"SPDX", "License", "Identifier:"}, "-"), "Apache-2.0"),
		"# " + strings.Join([]string{"SPDX", "License", "Identifier:"}, "-") + "BSD-3-Clause",
		words("//", "Permission", "is", "hereby", "granted,", "free", "of", "charge"),
		words("//", "Redistribution", "and", "use", "in", "source", "and", "binary", "forms"),
		words("//", "Parts", "of", "this", "file", "are", "adapted", "from", "sample", "v1.2.3's", "loader"),
		words("//", "This", "parser", "was", "ported", "from", "the", "Python", "implementation."),
		words("//", "copied", "from", "https://example.com/project/x.go"),
		words("//", "Derived", "from", "example.org/x/tools/internal/foo."),
		words("//", "The", "table", "is", "copied", "from", "upstream", "v1.4.2", "of", "the", "library."),
	}
	clean := []string{
		words("//", "Copyright", "2025", "The", "bricklayer", "Authors."),
		words("bricklayer", "is", "licensed", "under", "the", "Apache", "License,", "Version", "2.0."),
		"// The files are copied into the stage, out of the build context.",
		"// A tag made out of the branch name, e.g. main or pr-12.",
		"// Layers the previous stage made keep their owner.",
		"// positions are taken from it, so errors point into the user's file",
		words("The", "copyright", "of", "each", "base", "image", "stays", "with", "its", "authors."),
		"See the license of each dependency in its module.",
		"// The license field of an image's labels (org.opencontainers.image.licenses).",
		"// ports from 1 to 65535 are valid in a registry host",
		"// The adapter from progress events to lines.",
		words("A", "copyright", "line", "in", "a", "base", "image's", "files", "is", "the", "image's", "business."),
		words("//", "The", "files", "are", "copied", "from", "the", "build", "context", "into", "the", "stage."),
		words("//", "A", "tag", "derived", "from", "the", "branch", "name,", "e.g.", "main", "or", "pr-12."),
	}
	for _, c := range []struct {
		lines   []string
		flagged bool
	}{{flagged, true}, {clean, false}} {
		hits, err := scan([]byte(strings.Join(c.lines, "\n")))
		if err != nil {
			t.Fatal(err)
		}
		found := map[int]bool{}
		for _, h := range hits {
			found[h.line] = true
		}
		for n, line := range c.lines {
			if found[n+1] != c.flagged {
				t.Errorf("%q: flagged %v, want %v", line, found[n+1], c.flagged)
			}
		}
	}
}
