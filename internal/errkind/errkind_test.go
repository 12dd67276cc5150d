package errkind

import (
	"errors"
	"fmt"
	"testing"
)

type kinded struct {
	k   Kind
	err error
}

func (e *kinded) Error() string { return fmt.Sprintf("kind %d", e.k) }
func (e *kinded) Kind() Kind    { return e.k }
func (e *kinded) Unwrap() error { return e.err }

// TestOf: the greatest kind anywhere in the chain wins, however deep and
// through joins; a chain with none is None.
func TestOf(t *testing.T) {
	plain := errors.New("plain")
	for _, c := range []struct {
		name string
		err  error
		want Kind
	}{
		{"nil", nil, None},
		{"plain", plain, None},
		{"wrapped", fmt.Errorf("ctx: %w", &kinded{k: Usage}), Usage},
		{"outer smaller", &kinded{k: Build, err: fmt.Errorf("x: %w", &kinded{k: TagsLeft})}, TagsLeft},
		{"outer greater", &kinded{k: Interrupted, err: &kinded{k: Build}}, Interrupted},
		{"joined", errors.Join(plain, &kinded{k: NoDaemon}, &kinded{k: Failed}), NoDaemon},
	} {
		if got := Of(c.err); got != c.want {
			t.Errorf("%s: Of = %d, want %d", c.name, got, c.want)
		}
	}
}
