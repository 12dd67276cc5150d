package ciflow

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"
)

// reporter speaks to the CI running the step: log groups, annotations,
// masks, outputs, variables for later steps, and the job summary. Each CI
// has its own commands (GitHub: workflow commands and the files it
// names in GITHUB_*; Azure: ##vso logging commands); without a CI, plain
// lines.
type reporter struct {
	system string // github, azure, or another (plain lines)
	env    func(string) string
	out    io.Writer // the step's log: commands are read from stdout
	errw   io.Writer
}

func (r *reporter) group(title string) {
	switch r.system {
	case "github":
		fmt.Fprintf(r.out, "::group::%s\n", ghData(title))
	case "azure":
		fmt.Fprintf(r.out, "##[group]%s\n", oneLine(title))
	default:
		fmt.Fprintf(r.out, "==> %s\n", title)
	}
}

func (r *reporter) endGroup() {
	switch r.system {
	case "github":
		fmt.Fprintln(r.out, "::endgroup::")
	case "azure":
		fmt.Fprintln(r.out, "##[endgroup]")
	}
}

// fail reports the step's failure as an error annotation.
func (r *reporter) fail(msg string) { r.issue("error", nil, msg) }

// warn reports something the step could not do that does not fail it.
func (r *reporter) warn(msg string) { r.issue("warning", nil, msg) }

// place is where an annotation points: a line of a file, and the rule
// that found it.
type place struct {
	file      string
	line, col int
	rule      string
}

// issue is one annotation of level (error or warning: both CIs name
// them so) about the step, or, with at, about a line of a file: in a pull
// request's diff on GitHub, in the run's issues on Azure, else a line on
// stderr.
func (r *reporter) issue(level string, at *place, msg string) {
	switch {
	case r.system == "github" && at == nil:
		fmt.Fprintf(r.out, "::%s title=bricklayer::%s\n", level, ghData(msg))
	case r.system == "github":
		fmt.Fprintf(r.out, "::%s file=%s,line=%d,col=%d,title=%s::%s\n",
			level, ghProp(at.file), at.line, at.col, ghProp(at.rule), ghData(msg))
	case r.system == "azure" && at == nil:
		fmt.Fprintf(r.out, "##vso[task.logissue type=%s]%s\n", level, azData(msg))
	case r.system == "azure":
		fmt.Fprintf(r.out, "##vso[task.logissue type=%s;sourcepath=%s;linenumber=%d;columnnumber=%d;code=%s]%s\n",
			level, azProp(at.file), at.line, at.col, azProp(at.rule), azData(msg))
	case at != nil:
		fmt.Fprintf(r.errw, "%s:%d:%d: %s: %s\n", at.file, at.line, at.col, level, msg)
	case level == "error":
		fmt.Fprintf(r.errw, "bricklayer ci: %s\n", msg)
	default:
		fmt.Fprintf(r.errw, "bricklayer ci: %s: %s\n", level, msg)
	}
}

// mask keeps a secret out of GitHub's log from here on (a secret that
// comes from a secret of the repository is masked already, one from
// elsewhere is not). Azure masks secret variables, which a password
// parameter comes from; its setsecret would print the value in the log
// of an agent that does not take the command.
func (r *reporter) mask(secret string) {
	if secret != "" && r.system == "github" {
		fmt.Fprintf(r.out, "::add-mask::%s\n", ghData(secret))
	}
}

// output sets an output of the step. GitHub takes any text, between
// delimiters; Azure an output variable of one line, whose name (azName)
// has no '-'.
func (r *reporter) output(name, azName, value string) error {
	switch r.system {
	case "github":
		return appendDelimited(r.env("GITHUB_OUTPUT"), name, value)
	case "azure":
		fmt.Fprintf(r.out, "##vso[task.setvariable variable=%s;isoutput=true]%s\n", azName, azData(value))
	default:
		fmt.Fprintf(r.out, "%s=%s\n", name, value)
	}
	return nil
}

// setEnv sets a variable for the job's later steps.
func (r *reporter) setEnv(name, value string) error {
	switch r.system {
	case "github":
		if p := r.env("GITHUB_ENV"); p != "" && !strings.ContainsAny(value, "\r\n") {
			return appendFile(p, name+"="+value+"\n")
		}
		return appendDelimited(r.env("GITHUB_ENV"), name, value)
	case "azure":
		fmt.Fprintf(r.out, "##vso[task.setvariable variable=%s]%s\n", name, azData(value))
	}
	return nil
}

// summary adds markdown to the job's summary. Azure takes a file, which
// must outlive the step: it goes to the agent's temporary directory.
func (r *reporter) summary(md string) error {
	if md == "" {
		return nil
	}
	switch r.system {
	case "github":
		p := r.env("GITHUB_STEP_SUMMARY")
		if p == "" {
			return nil
		}
		return appendFile(p, md)
	case "azure":
		f, err := os.CreateTemp(tempDir(r.env), "bricklayer-summary-*.md")
		if err != nil {
			return fmt.Errorf("writing the summary: %w", err)
		}
		_, err = f.WriteString(md)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("writing the summary: %w", err)
		}
		fmt.Fprintf(r.out, "##vso[task.uploadsummary]%s\n", f.Name())
	}
	return nil
}

// appendDelimited appends NAME<<DELIMITER, the value and the delimiter
// to one of GitHub's files (GITHUB_OUTPUT, GITHUB_ENV): the form that
// takes any value. The delimiter is random, so that a value cannot end
// it early and set other names.
func appendDelimited(path, name, value string) error {
	if path == "" {
		return nil
	}
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return fmt.Errorf("setting %s: %w", name, err)
	}
	delim := "bricklayer_" + hex.EncodeToString(b[:])
	if strings.Contains(value, delim) || strings.ContainsAny(name, "\n=<") {
		return fmt.Errorf("setting %s: the name or value cannot be written safely", name)
	}
	return appendFile(path, name+"<<"+delim+"\n"+value+"\n"+delim+"\n")
}

// appendFile appends text to a file the runner gave the step.
func appendFile(path, text string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("appending to %s: %w", path, err)
	}
	_, err = f.WriteString(text)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("appending to %s: %w", path, err)
	}
	return nil
}

// ghData escapes a workflow command's message: the runner reads %0A as
// a newline, so a message cannot start a command of its own.
func ghData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// azData escapes a logging command's value the way the Azure agent
// unescapes it, for the same reason.
func azData(s string) string {
	return strings.NewReplacer("%", "%AZP25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// oneLine keeps a log line one line.
func oneLine(s string) string {
	return strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
}

// tempDir is the runner's temporary directory (GitHub, Azure), else the
// system's.
func tempDir(env func(string) string) string {
	for _, k := range []string{"RUNNER_TEMP", "AGENT_TEMPDIRECTORY", "TMPDIR"} {
		if v := env(k); v != "" {
			return v
		}
	}
	return "/tmp"
}
