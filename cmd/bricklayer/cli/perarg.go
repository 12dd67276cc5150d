package cli

import "context"

// perArg makes run, a command taking one FILE|DIR, take several (as
// pre-commit hooks pass every spec file they matched): it runs once per
// argument (once with none, for the current directory). Every failure but
// the last is printed as it comes; the last decides the exit code.
func (c *CLI) perArg(run func(ctx context.Context, args []string) error) func(ctx context.Context, args []string) error {
	return func(ctx context.Context, args []string) error {
		if len(args) <= 1 {
			return run(ctx, args)
		}
		var last error
		for _, a := range args {
			if err := run(ctx, []string{a}); err != nil {
				if last != nil {
					c.exitCode(last)
				}
				last = err
			}
		}
		return last
	}
}
