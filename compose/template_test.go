package compose

import (
	"testing"

	"github.com/compose-spec/compose-go/v2/template"
)

// TestClosingBrace holds closingBrace to compose-go's substitution: with
// V unset, ${V:-ARG}REST comes to ARG then REST, so the brace compose
// takes as the end is the one missing from its result. Every string of
// up to 8 braces and letters after ${V:- is tried.
func TestClosingBrace(t *testing.T) {
	unset := func(string) (string, bool) { return "", false }
	var strs []string
	var grow func(s string)
	grow = func(s string) {
		strs = append(strs, s)
		if len(s) < 8 {
			for _, c := range []string{"{", "}", "a"} {
				grow(s + c)
			}
		}
	}
	grow("")
	found := 0
	for _, rest := range strs {
		s := "${V:-" + rest
		end := closingBrace(s)
		if end < 0 {
			continue // tokenize refuses it: nothing is rewritten
		}
		found++
		got, err := template.SubstituteWithOptions(s, unset, template.WithoutLogging)
		if want := s[5:end] + s[end+1:]; err != nil || got != want {
			t.Errorf("%q: closingBrace says %d, so %q; compose-go gives %q, %v", s, end, want, got, err)
		}
	}
	if found < 1000 {
		t.Errorf("only %d strings have an end", found)
	}
	for s, want := range map[string]int{"${A}": 3, "${A:-${B}}": 9, "${A:-{}x}": -1, "${A:-{}x}}": 9, "${}": -1, "${A": -1} {
		if got := closingBrace(s); got != want {
			t.Errorf("closingBrace(%q) = %d, want %d", s, got, want)
		}
	}
}
