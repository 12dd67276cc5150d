package cli

import "testing"

// TestCommandNames checks that each command is filed under its own name:
// a run builds the command it looks up, and help lists the names.
func TestCommandNames(t *testing.T) {
	c := New(nil)
	if len(c.makers) == 0 {
		t.Fatal("no commands")
	}
	for n, cmd := range c.commands() {
		if cmd.name != n {
			t.Errorf("command %q is filed under %q", cmd.name, n)
		}
	}
}
