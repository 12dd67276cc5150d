// Package errkind names the kinds of failure bricklayer tells apart: an
// error says which it is (a Kind method), and the CLI maps kinds to exit
// codes in one place, so a new error type needs no new case there.
package errkind

// Kind is a kind of failure. When an error's chain holds several, the
// greater wins: tags left moved outrank a signal, which outranks a bad
// command line, and so on down to a plain failure.
type Kind int

const (
	// None is an error that says nothing of its kind.
	None Kind = iota
	// Failed is a command that failed on its input (an invalid spec,
	// metadata that does not hold up, a file that cannot be written).
	Failed
	// Build is a build, push or tag move that failed with no tag left
	// moved.
	Build
	// NoDaemon is a BuildKit daemon or Docker that did not answer.
	NoDaemon
	// Check is a check that found work to do (fmt --check).
	Check
	// Usage is a bad command line.
	Usage
	// Interrupted is a run stopped by a signal.
	Interrupted
	// TagsLeft is a tag move whose roll-back could not put every tag
	// back.
	TagsLeft
)

// Of is the greatest kind in err's chain (errors.Unwrap, either form),
// or None.
func Of(err error) Kind {
	k := None
	for stack := []error{err}; len(stack) > 0; {
		e := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if e == nil {
			continue
		}
		if ke, ok := e.(interface{ Kind() Kind }); ok && ke.Kind() > k {
			k = ke.Kind()
		}
		switch u := e.(type) {
		case interface{ Unwrap() error }:
			stack = append(stack, u.Unwrap())
		case interface{ Unwrap() []error }:
			stack = append(stack, u.Unwrap()...)
		}
	}
	return k
}
