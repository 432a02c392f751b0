package supervisorctl

import (
	"io"
	"strings"
	"time"

	"super/core/clidoc"
	"super/core/ctl"
)

// What the manual page and the shell completion say of supervisorctl,
// made from the option table its parser uses, its -h text and the
// actions of its shell.

// OptionTable is supervisorctl's options, each with its help from the -h
// text. -? is left out: an alias of -h that 4.2's help does not mention
// either.
func OptionTable() []clidoc.Option {
	var opts []clidoc.Option
	for _, o := range options {
		if o.short == "?" {
			continue
		}
		opt := clidoc.Option{Short: o.short, Long: o.long, Arg: o.arg}
		switch o.arg {
		case "FILENAME":
			opt.Complete = clidoc.Files
		case "URL":
			opt = opt.WithValues("unix://", "http://")
		}
		opts = append(opts, opt)
	}
	out, err := clidoc.WithHelp(opts, usageText)
	if err != nil {
		panic(err) // the table and the text are both here; the tests see it first
	}
	return out
}

// Usage is the -h text as printed for progname.
func Usage(progname string) string { return strings.ReplaceAll(usageText, "%s", progname) }

// Summary is what supervisorctl does, from the first line of its help.
func Summary() string {
	first, _, _ := strings.Cut(usageText, "\n")
	_, s, _ := strings.Cut(first, " -- ")
	return strings.TrimSuffix(s, ".")
}

// Commands are the actions (4.2's), with their help.
func Commands() []clidoc.Command { return ctl.Commands() }

// OwnCommands are super's own actions, with their help.
func OwnCommands() []clidoc.Command { return ctl.OwnCommands() }

// completeTimeout bounds the wait for the daemon's process names: a
// completion that hangs is worse than one that offers nothing.
const completeTimeout = time.Second

// signalNames are what the signal action's first argument is offered;
// any name or number ParseSignal takes is accepted.
var signalNames = []string{"HUP", "INT", "QUIT", "KILL", "USR1", "USR2", "TERM", "STOP", "CONT", "WINCH"}

// Complete completes cur after args (the words after supervisorctl): its
// options and their values, then the action, then the action's arguments
// as the interactive shell completes them — process and group names from
// the daemon the options and config file point to, if it runs.
func Complete(progname string, args []string, cur string) clidoc.Reply {
	r, positional, done := clidoc.CompleteOptions(OptionTable(), args, cur)
	if done {
		return r
	}
	if len(positional) == 1 && positional[0] == "signal" {
		return clidoc.Matching(strings.ToUpper(cur), signalNames)
	}
	if len(positional) >= 2 && positional[0] == "tail" && !strings.HasPrefix(cur, "-") {
		if words := tailStreams(positional[1:], cur); words != nil {
			return clidoc.Matching(cur, words)
		}
	}
	if len(positional) == 0 || completesNames(positional[0]) {
		opts, err := parseForCompletion(progname, args[:len(args)-len(positional)])
		if err != nil {
			opts = &Options{ServerURL: "http://localhost:9001"}
		}
		words := append([]string(nil), positional...)
		if len(words) > 0 && (words[0] == "stats" || words[0] == "rotate") {
			words[0] = "status" // the same names
		}
		line := strings.Join(append(words, cur), " ")
		r := clidoc.Reply{Kind: clidoc.Words, Words: ctl.Complete(ctl.Options{
			ServerURL: opts.ServerURL, Username: opts.Username, Password: opts.Password,
		}, line, cur, completeTimeout)}
		if len(positional) == 0 || positional[0] == "help" && len(positional) == 1 {
			// The interactive shell offers 4.2's actions; here super's own
			// come too.
			for _, c := range OwnCommands() {
				if strings.HasPrefix(c.Name, cur) {
					r.Words = append(r.Words, c.Name)
				}
			}
		}
		return r
	}
	return clidoc.Reply{}
}

// completesNames reports whether the shell completes an action's arguments
// (as names, or actions for help); the others take none or a URL.
func completesNames(action string) bool {
	switch action {
	case "add", "remove", "update", "clear", "fg", "pid", "restart", "rotate", "signal", "start", "status", "stats",
		"stop", "tail", "help":
		return true
	}
	return false
}

// tailStreams offers stdout and stderr after tail's process name.
func tailStreams(args []string, cur string) []string {
	var names []string
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			names = append(names, a)
		}
	}
	if len(names) == 1 {
		return []string{"stdout", "stderr"}
	}
	return nil
}

// parseForCompletion reads the options given before the action, and the
// config file they name or the search finds, as supervisorctl would.
func parseForCompletion(progname string, optionWords []string) (*Options, error) {
	return Parse(progname, optionWords, io.Discard)
}
