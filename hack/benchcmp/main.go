// Command benchcmp runs commands side by side, in turn, round after
// round, and prints each one's median wall and CPU time, peak memory,
// and the ratios asked for, for hack/bench-scale.sh. Taking turns spreads a burst
// of load from elsewhere over every command instead of one.
//
//	benchcmp [-runs N] [-warmup N] [-before COMMAND] [-ratio A/B]... NAME=COMMAND...
//
// A COMMAND is split at spaces (no quoting) and runs without a shell,
// its output discarded; one that fails stops the run. -before runs a
// command, not timed, before each run of every command, so that each
// starts from the same state (a daemon's build records removed, say). A ratio A/B is
// the median of A over the median of B, followed by the median of the
// rounds' own A/B ratios, the steadier figure on a busy machine, and the
// ratio of the median CPU times (user + system), which load from
// elsewhere changes least.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"time"
)

type command struct {
	name  string
	args  []string
	walls []time.Duration
	cpus  []time.Duration // user + system
	rss   int64           // peak resident set of any run, KiB
}

type ratios []string

func (r *ratios) String() string     { return strings.Join(*r, ",") }
func (r *ratios) Set(s string) error { *r = append(*r, s); return nil }

func main() {
	runs := flag.Int("runs", 15, "measured rounds")
	warmup := flag.Int("warmup", 2, "rounds run first and not measured")
	before := flag.String("before", "", "a command run, not timed, before each run of every command")
	var rs ratios
	flag.Var(&rs, "ratio", "A/B: print the ratio of command A to command B (repeatable)")
	flag.Parse()
	if err := run(*runs, *warmup, strings.Fields(*before), rs, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "benchcmp:", err)
		os.Exit(1)
	}
}

func run(runs, warmup int, before []string, rs ratios, specs []string) error {
	if len(specs) == 0 || runs < 1 {
		return errors.New("usage: benchcmp [-runs N] [-warmup N] [-before COMMAND] [-ratio A/B]... NAME=COMMAND...")
	}
	var cmds []*command
	byName := map[string]*command{}
	for _, s := range specs {
		name, line, ok := strings.Cut(s, "=")
		if !ok || name == "" || len(strings.Fields(line)) == 0 {
			return fmt.Errorf("%q is not NAME=COMMAND", s)
		}
		c := &command{name: name, args: strings.Fields(line)}
		cmds = append(cmds, c)
		byName[name] = c
	}
	for _, r := range rs {
		a, b, ok := strings.Cut(r, "/")
		if !ok || byName[a] == nil || byName[b] == nil {
			return fmt.Errorf("ratio %q: want A/B of two commands' names", r)
		}
	}
	for round := 0; round < warmup+runs; round++ {
		// Forwards, then backwards: no command always runs right after
		// the same other one.
		order := slices.Clone(cmds)
		if round%2 == 1 {
			slices.Reverse(order)
		}
		for _, c := range order {
			if len(before) > 0 {
				if _, _, _, err := once(before); err != nil {
					return fmt.Errorf("before %s: %w", c.name, err)
				}
			}
			wall, cpu, rss, err := once(c.args)
			if err != nil {
				return fmt.Errorf("%s: %w", c.name, err)
			}
			if round >= warmup {
				c.walls = append(c.walls, wall)
				c.cpus = append(c.cpus, cpu)
				c.rss = max(c.rss, rss)
			}
		}
	}
	fmt.Printf("| command | median | min | max | median CPU | peak RSS |\n|---|---:|---:|---:|---:|---:|\n")
	for _, c := range cmds {
		fmt.Printf("| %s | %s | %s | %s | %s | %.1f MiB |\n", c.name, ms(median(c.walls)), ms(slices.Min(c.walls)), ms(slices.Max(c.walls)),
			ms(median(c.cpus)), float64(c.rss)/1024)
	}
	for _, r := range rs {
		an, bn, _ := strings.Cut(r, "/")
		a, b := byName[an], byName[bn]
		pair := make([]float64, len(a.walls))
		for i := range a.walls {
			pair[i] = float64(a.walls[i]) / float64(b.walls[i])
		}
		slices.Sort(pair)
		fmt.Printf("ratio %s / %s: %.2f (medians), %.2f (median of rounds), %.2f (CPU medians)\n", an, bn,
			float64(median(a.walls))/float64(median(b.walls)), pair[len(pair)/2], float64(median(a.cpus))/float64(median(b.cpus)))
	}
	return nil
}

// once runs args and returns its wall time, CPU time and peak RSS in KiB.
func once(args []string) (wall, cpu time.Duration, rss int64, err error) {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stderr = nil
	start := time.Now()
	out, err := cmd.Output()
	wall = time.Since(start)
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return 0, 0, 0, fmt.Errorf("%v: %s%s", err, out, ee.Stderr)
		}
		return 0, 0, 0, err
	}
	cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = ru.Maxrss // KiB on Linux
	}
	return wall, cpu, rss, nil
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond)) }
