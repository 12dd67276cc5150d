package cli

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/pflag"
)

func (c *CLI) completionCommand() *command {
	cmd := newCommand("completion", "bash|zsh|fish", "print a shell completion script", `
Completion prints a script that completes bricklayer's commands and their
flags in the shell named:

  bash:  source <(bricklayer completion bash)
  zsh:   bricklayer completion zsh > "${fpath[1]}/_bricklayer"
  fish:  bricklayer completion fish > ~/.config/fish/completions/bricklayer.fish`)
	cmd.run = func(ctx context.Context, args []string) error {
		if len(args) != 1 {
			return usageErrorf("completion takes one of bash, zsh, fish")
		}
		switch args[0] {
		case "bash":
			c.bashCompletion(c.stdout)
		case "zsh":
			fmt.Fprint(c.stdout, "#compdef bricklayer\n\nautoload -U +X bashcompinit && bashcompinit\n")
			c.bashCompletion(c.stdout)
		case "fish":
			c.fishCompletion(c.stdout)
		default:
			return usageErrorf("completion: unknown shell %q (bash, zsh, fish)", args[0])
		}
		return nil
	}
	return cmd
}

// names are the commands, sorted.
func (c *CLI) names() []string {
	out := make([]string, 0, len(c.makers))
	for n := range c.makers {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func flagNames(fs *pflag.FlagSet) []string {
	var out []string
	fs.VisitAll(func(f *pflag.Flag) { out = append(out, "--"+f.Name) })
	return out
}

// bashCompletion completes commands, then the flags of the command typed,
// then files.
func (c *CLI) bashCompletion(w io.Writer) {
	fmt.Fprintf(w, "_bricklayer() {\n  local cur=${COMP_WORDS[COMP_CWORD]}\n")
	fmt.Fprintf(w, "  if [ \"$COMP_CWORD\" -eq 1 ]; then\n    COMPREPLY=($(compgen -W %q -- \"$cur\"))\n    return\n  fi\n", strings.Join(c.names(), " "))
	fmt.Fprintf(w, "  local flags=\n  case ${COMP_WORDS[1]} in\n")
	cmds := c.commands()
	for _, n := range c.names() {
		fmt.Fprintf(w, "    %s) flags=%q ;;\n", n, strings.Join(append(flagNames(cmds[n].flags), "--help"), " "))
	}
	fmt.Fprintf(w, "  esac\n  if [[ $cur == -* ]]; then\n    COMPREPLY=($(compgen -W \"$flags\" -- \"$cur\"))\n  else\n    COMPREPLY=($(compgen -f -- \"$cur\"))\n  fi\n}\ncomplete -o filenames -F _bricklayer bricklayer\n")
}

func (c *CLI) fishCompletion(w io.Writer) {
	fmt.Fprintln(w, "complete -c bricklayer -f")
	cmds := c.commands()
	for _, n := range c.names() {
		cmd := cmds[n]
		fmt.Fprintf(w, "complete -c bricklayer -n __fish_use_subcommand -a %s -d %s\n", n, fishQuote(cmd.short))
		cmd.flags.VisitAll(func(f *pflag.Flag) {
			fmt.Fprintf(w, "complete -c bricklayer -n '__fish_seen_subcommand_from %s' -l %s -d %s\n", n, f.Name, fishQuote(firstLine(f.Usage)))
		})
	}
}

func fishQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `\'`) + "'" }

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}
