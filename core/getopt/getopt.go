// Package getopt parses command lines the way Python's getopt.getopt does.
//
// Supervisor 4.2 parses its command lines with Python's getopt, so scripts
// written for it depend on that module's exact behaviour: parsing stops at
// the first argument that is not an option, short options cluster (-nc FILE),
// a short option's value may be attached (-cFILE), a long option's value may
// follow "=" (--configuration=FILE), any unique prefix of a long option names
// it (--config), and "--" ends the options. Error texts are Python's, because
// supervisord prints them verbatim after "Error: ".
package getopt

import (
	"strings"
	"unicode/utf8"
)

// Option is one parsed option, in command-line order.
type Option struct {
	// Name is the option as Python reports it: "-c" for a short option, or
	// "--configuration" (the full name, even when a prefix was typed) for a
	// long one.
	Name string
	// Value is the option's argument, or "" for an option that takes none.
	Value string
}

// Error is a command-line error; its text is Python's GetoptError message.
type Error struct {
	Msg string // e.g. "option -x not recognized"
	Opt string // the offending option, without dashes
}

func (e *Error) Error() string { return e.Msg }

// Getopt parses args (without the program name).
//
// shortopts lists the short option letters; a letter followed by ':' takes an
// argument. longopts lists the long option names without dashes; a name
// ending in '=' takes an argument. Getopt returns the options found and the
// arguments left after them.
func Getopt(args []string, shortopts string, longopts []string) ([]Option, []string, error) {
	var opts []Option
	for len(args) > 0 && strings.HasPrefix(args[0], "-") && args[0] != "-" {
		arg := args[0]
		args = args[1:]
		if arg == "--" {
			break
		}
		var err error
		if strings.HasPrefix(arg, "--") {
			opts, args, err = doLong(opts, arg[2:], longopts, args)
		} else {
			opts, args, err = doShorts(opts, arg[1:], shortopts, args)
		}
		if err != nil {
			return opts, args, err
		}
	}
	return opts, args, nil
}

func doLong(opts []Option, opt string, longopts []string, args []string) ([]Option, []string, error) {
	var optarg string
	hasValue := false
	if i := strings.IndexByte(opt, '='); i >= 0 {
		opt, optarg, hasValue = opt[:i], opt[i+1:], true
	}
	takesArg, name, err := longHasArg(opt, longopts)
	if err != nil {
		return opts, args, err
	}
	if takesArg {
		if !hasValue {
			if len(args) == 0 {
				return opts, args, &Error{"option --" + name + " requires argument", name}
			}
			optarg, args = args[0], args[1:]
		}
	} else if hasValue {
		return opts, args, &Error{"option --" + name + " must not have an argument", name}
	}
	return append(opts, Option{"--" + name, optarg}), args, nil
}

// longHasArg resolves a possibly abbreviated long option to its full name
// and reports whether it takes an argument.
func longHasArg(opt string, longopts []string) (bool, string, error) {
	var match string
	n := 0
	for _, o := range longopts {
		if !strings.HasPrefix(o, opt) {
			continue
		}
		// An exact match wins over longer names sharing the prefix,
		// wherever it is in the list.
		if o == opt {
			return false, opt, nil
		}
		if o == opt+"=" {
			return true, opt, nil
		}
		match = o
		n++
	}
	switch {
	case n == 0:
		return false, "", &Error{"option --" + opt + " not recognized", opt}
	case n > 1:
		return false, "", &Error{"option --" + opt + " not a unique prefix", opt}
	}
	if name, ok := strings.CutSuffix(match, "="); ok {
		return true, name, nil
	}
	return false, match, nil
}

func doShorts(opts []Option, optstring, shortopts string, args []string) ([]Option, []string, error) {
	for optstring != "" {
		_, size := utf8.DecodeRuneInString(optstring)
		opt := optstring[:size]
		optstring = optstring[size:]
		takesArg, err := shortHasArg(opt, shortopts)
		if err != nil {
			return opts, args, err
		}
		optarg := ""
		if takesArg {
			if optstring == "" {
				if len(args) == 0 {
					return opts, args, &Error{"option -" + opt + " requires argument", opt}
				}
				optstring, args = args[0], args[1:]
			}
			optarg, optstring = optstring, ""
		}
		opts = append(opts, Option{"-" + opt, optarg})
	}
	return opts, args, nil
}

func shortHasArg(opt, shortopts string) (bool, error) {
	if opt != ":" {
		if i := strings.Index(shortopts, opt); i >= 0 {
			return strings.HasPrefix(shortopts[i+len(opt):], ":"), nil
		}
	}
	return false, &Error{"option -" + opt + " not recognized", opt}
}
