package spec

import (
	"slices"
	"strconv"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/linter"
)

// Checks are the spec's settings of BuildKit's Dockerfile checks (what
// docker build --check reports) for one image. They come on top of the
// Dockerfile's own # check= directive, which BuildKit's converter applies
// itself.
type Checks struct {
	// Skip names rules not to report; SkipAll skips them all.
	Skip    []string
	SkipAll bool
	// Error makes the image's findings errors.
	Error bool
}

// Skips tells whether the checks leave rule out.
func (c Checks) Skips(rule string) bool { return c.SkipAll || slices.Contains(c.Skip, rule) }

// rawChecks mirrors the schema's #Checks.
type rawChecks struct {
	Skip  any   `json:"skip"` // "all" or a list of rule names
	Error *bool `json:"error"`
}

// checkRules are the rules of the BuildKit release bricklayer is built
// with, the names checks.skip may use. TestCheckRules compares the list
// with BuildKit's rule set, so an upgrade that adds a rule fails a test.
var checkRules = []linter.LinterRuleI{
	&linter.RuleStageNameCasing,
	&linter.RuleFromAsCasing,
	&linter.RuleNoEmptyContinuation,
	&linter.RuleConsistentInstructionCasing,
	&linter.RuleDuplicateStageName,
	&linter.RuleReservedStageName,
	&linter.RuleJSONArgsRecommended,
	&linter.RuleMaintainerDeprecated,
	&linter.RuleUndefinedArgInFrom,
	&linter.RuleWorkdirRelativePath,
	&linter.RuleUndefinedVar,
	&linter.RuleMultipleInstructionsDisallowed,
	&linter.RuleLegacyKeyValueFormat,
	&linter.RuleInvalidBaseImagePlatform,
	&linter.RuleRedundantTargetPlatform,
	&linter.RuleSecretsUsedInArgOrEnv,
	&linter.RuleInvalidDefaultArgInFrom,
	&linter.RuleFromPlatformFlagConstDisallowed,
	&linter.RuleCopyIgnoredFile,
	&linter.RuleInvalidDefinitionDescription,
	&linter.RuleExposeProtoCasing,
	&linter.RuleExposeInvalidFormat,
}

// CheckRules lists the names of BuildKit's Dockerfile check rules.
func CheckRules() []string {
	names := make([]string, len(checkRules))
	for i, r := range checkRules {
		names[i] = r.RuleName()
	}
	return names
}

// readChecks reads a checks field at where over base, the settings it
// refines: a field it sets replaces base's.
func (d *decoder) readChecks(r *rawChecks, base Checks, where loc) Checks {
	if r == nil {
		return base
	}
	c := base
	if r.Error != nil {
		c.Error = *r.Error
	}
	switch skip := r.Skip.(type) {
	case string: // "all"; the schema allows nothing else
		c.Skip, c.SkipAll = nil, true
	case []any:
		c.Skip, c.SkipAll = nil, false
		known := CheckRules()
		for i, e := range skip {
			name, _ := e.(string)
			if !slices.Contains(known, name) {
				d.errs.at(where.child("skip", strconv.Itoa(i)), "%s", unknownRule(name, known))
				continue
			}
			c.Skip = append(c.Skip, name)
		}
	}
	return c
}

// unknownRule says that name is no rule, and which one it may mean.
func unknownRule(name string, known []string) string {
	msg := "unknown check " + strconv.Quote(name)
	for _, k := range known {
		if d := editDistance(strings.ToLower(name), strings.ToLower(k)); d <= 2 {
			return msg + "; did you mean " + strconv.Quote(k) + "?"
		}
	}
	return msg + " (bricklayer vet --help lists them)"
}

// quietLinter is the linter to give BuildKit's instruction parser when
// only the instructions are wanted: the parser merges a "# check="
// comment above an instruction into the linter it is given, and panics
// on none.
func quietLinter() *linter.Linter { return linter.New(&linter.Config{}) }
