package ciflow

import (
	"strings"
)

// Flags tells what a bricklayer command takes: whether command has the
// flag name (a long name, or a one-letter shorthand), and whether the
// flag takes a value.
type Flags func(command, name string) (known, value bool)

// argsFor picks out of the args input what command takes: its flags
// (with their values), as the primary command (build or publish, which
// takes them all) reads them. Arguments that are no flag go to the
// primary command only.
func argsFor(command, primary string, args []string, flags Flags) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			if command == primary {
				out = append(out, args[i:]...)
			}
			break
		}
		name, inline, isFlag := flagName(a)
		if !isFlag {
			if command == primary {
				out = append(out, a)
			}
			continue
		}
		group := []string{a}
		if _, value := flags(primary, name); value && !inline && i+1 < len(args) {
			i++
			group = append(group, args[i])
		}
		if known, _ := flags(command, name); known {
			out = append(out, group...)
		}
	}
	return out
}

// unknownFlag returns the first flag of args that primary does not
// take, or "".
func unknownFlag(primary string, args []string, flags Flags) string {
	for i := 0; i < len(args); i++ {
		if args[i] == "--" {
			break
		}
		name, inline, isFlag := flagName(args[i])
		if !isFlag {
			continue
		}
		known, value := flags(primary, name)
		if !known {
			return args[i]
		}
		if value && !inline {
			i++
		}
	}
	return ""
}

// flagName reads a flag's name from --name, --name=value or -n; inline
// says the value came with it.
func flagName(a string) (name string, inline, isFlag bool) {
	switch {
	case strings.HasPrefix(a, "--") && len(a) > 2:
		name, _, inline = strings.Cut(a[2:], "=")
		return name, inline, true
	case strings.HasPrefix(a, "-") && len(a) > 1:
		// -v, or -vVALUE: pflag reads the rest as the value.
		return a[1:2], len(a) > 2, true
	}
	return "", false, false
}
