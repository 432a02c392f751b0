package ctl

import (
	"context"
	"io"
	"sort"
	"strings"
	"time"

	"super/core/clidoc"
)

// helpHelp is what "help help" prints (doHelp).
const helpHelp = "help\t\tPrint a list of available actions\nhelp <action>\tPrint help for <action>"

// Commands are supervisorctl's actions (4.2's) with the help "help
// <action>" prints, in the shell's order, for the manual page.
func Commands() []clidoc.Command {
	var out []clidoc.Command
	for _, name := range vocab {
		h, ok := helpTexts[name]
		if name == "help" {
			h, ok = helpHelp, true
		}
		if ok {
			out = append(out, clidoc.Command{Name: name, Help: h})
		}
	}
	return out
}

// OwnCommands are super's own actions, which 4.2 has not (so the shell's
// help and completion leave them out), with their help, by name.
func OwnCommands() []clidoc.Command {
	var names []string
	for name := range actions {
		if name != "EOF" && !contains(vocab, name) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	out := make([]clidoc.Command, 0, len(names))
	for _, name := range names {
		h, ok := superHelpTexts[name]
		if !ok {
			h = helpTexts[name]
		}
		out = append(out, clidoc.Command{Name: name, Help: h})
	}
	return out
}

// Complete is the interactive shell's completion (4.2's
// Controller.complete) for a shell's command line: the candidates for
// text, the word being typed at the end of line (the action and its
// arguments so far, text included). Process and group names come from
// the daemon at opts.ServerURL if it answers within timeout; when it does
// not, there are none, and nothing is printed.
func Complete(opts Options, line, text string, timeout time.Duration) []string {
	c := newController(opts, strings.NewReader(""), io.Discard, io.Discard)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	c.ctx = ctx
	var out []string
	for _, w := range c.complete(text, line) {
		out = append(out, strings.TrimSuffix(w, " "))
	}
	return out
}
