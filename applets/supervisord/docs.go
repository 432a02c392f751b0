package supervisord

import (
	"strings"

	"super/core/clidoc"
)

// What the manual page and the shell completion say of supervisord, made
// from the option table its parser uses and its -h text.

// LogLevels are the values of -e/--loglevel (and loglevel=), most severe
// first.
var LogLevels = []string{"critical", "error", "warn", "info", "debug", "trace", "blather"}

// OptionTable is supervisord's options, each with its help from the -h text.
// -? is left out: an alias of -h that 4.2's help does not mention either.
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
		case "DIRECTORY":
			opt.Complete = clidoc.Dirs
		case "USER":
			opt.Complete = clidoc.Users
		case "LEVEL":
			opt = opt.WithValues(LogLevels...)
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
func Usage(progname string) string { return usage(progname) }

// Summary is what supervisord does, from the first line of its help: "run
// a set of applications as daemons".
func Summary() string {
	first, _, _ := strings.Cut(usageText, "\n")
	_, s, _ := strings.Cut(first, " -- ")
	return strings.TrimSuffix(s, ".")
}

// Complete completes cur after args (the words after supervisord): its
// options and their values; it takes no other arguments.
func Complete(args []string, cur string) clidoc.Reply {
	r, _, _ := clidoc.CompleteOptions(OptionTable(), args, cur)
	return r
}
