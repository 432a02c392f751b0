// Package supervisord is the supervisord applet: it parses supervisord's
// command line exactly as Supervisor 4.2 does, loads the config file,
// applies the command-line values over it and hands the result to the
// daemon in core/.
package supervisord

import (
	"errors"
	"fmt"
	"io"
	"os"

	"super/core/config"
	"super/core/daemon"
	"super/core/getopt"
	"super/core/pyrepr"
	"super/core/version"
)

// option is one of supervisord's command-line options.
type option struct {
	short, long string // without dashes; "" when there is no such form
	arg         string // the value's name in the help ("FILENAME"); "" when it takes none
	key         string // [supervisord] key it overrides; "" for the specials
}

// options lists supervisord's options in 4.2's order (the order matters only
// for getopt's prefix matching, which it does not change). The manual page
// and the shell completion are made from it too (docs.go).
var options = []option{
	{"h", "help", "", ""},
	{"?", "", "", ""},
	{"c", "configuration", "FILENAME", ""},
	{"v", "version", "", ""},
	{"n", "nodaemon", "", "nodaemon"},
	{"u", "user", "USER", "user"},
	{"m", "umask", "UMASK", "umask"},
	{"d", "directory", "DIRECTORY", "directory"},
	{"l", "logfile", "FILENAME", "logfile"},
	{"y", "logfile_maxbytes", "BYTES", "logfile_maxbytes"},
	{"z", "logfile_backups", "NUM", "logfile_backups"},
	{"e", "loglevel", "LEVEL", "loglevel"},
	{"j", "pidfile", "FILENAME", "pidfile"},
	{"i", "identifier", "STR", "identifier"},
	{"q", "childlogdir", "DIRECTORY", "childlogdir"},
	{"a", "minfds", "NUM", "minfds"},
	{"", "minprocs", "NUM", "minprocs"},
	{"k", "nocleanup", "", "nocleanup"},
	{"t", "strip_ansi", "", "strip_ansi"},
	{"", "profile_options", "OPTIONS", ""},
	{"s", "silent", "", "silent"},
}

var shortopts, longopts = func() (string, []string) {
	var s string
	var l []string
	for _, o := range options {
		if o.short != "" {
			s += o.short
			if o.arg != "" {
				s += ":"
			}
		}
		if o.long != "" {
			if o.arg != "" {
				l = append(l, o.long+"=")
			} else {
				l = append(l, o.long)
			}
		}
	}
	return s, l
}()

func lookup(name string) option {
	for _, o := range options {
		if name == "-"+o.short || name == "--"+o.long {
			return o
		}
	}
	panic("getopt returned an option not in the table: " + name)
}

// Options is supervisord's parsed command line.
type Options struct {
	ConfigFile     string // -c
	HasConfigFile  bool   // -c was given (else search the default places)
	Overrides      config.Overrides
	ProfileOptions string // --profile_options, accepted but not supported
	Profile        bool   // --profile_options was given
}

// exit ends the applet early with a status: help and version output, or a
// usage error.
type exit struct {
	status int
	msg    string // for usage errors: the text after "Error: "
}

func (e *exit) Error() string { return e.msg }

func usageError(format string, a ...any) error {
	return &exit{status: 2, msg: fmt.Sprintf(format, a...)}
}

// Parse parses supervisord's arguments (without the program name) the way
// 4.2 does, in order: -h and -v act as soon as they are reached, and the
// first bad value or repeated option is the error.
func Parse(progname string, args []string, stdout io.Writer) (*Options, error) {
	opts, rest, err := getopt.Getopt(args, shortopts, longopts)
	if err != nil {
		return nil, usageError("%s", err)
	}
	if len(rest) > 0 {
		return nil, usageError("positional arguments are not supported: %s", pyrepr.ArgList(rest))
	}
	o := &Options{}
	seen := map[string]bool{}
	for _, opt := range opts {
		def := lookup(opt.Name)
		// 4.2 rejects an option whose setting was already given, even
		// through its other spelling (-n --nodaemon).
		attr := def.key
		if def.short == "c" || def.long == "profile_options" {
			attr = def.long
		}
		switch {
		case def.short == "h" || def.short == "?":
			io.WriteString(stdout, usage(progname))
			return nil, &exit{status: 0}
		case def.short == "v":
			fmt.Fprintln(stdout, version.Supervisor)
			return nil, &exit{status: 0}
		}
		// The value is checked before the repetition, as in 4.2.
		switch {
		case def.short == "c":
			o.ConfigFile, o.HasConfigFile = opt.Value, true
		case def.long == "profile_options":
			o.Profile, o.ProfileOptions = true, opt.Value
		default:
			if err := o.Overrides.Set(def.key, opt.Value); err != nil {
				return nil, usageError("invalid value for %s %s: %s", opt.Name, pyrepr.Arg(opt.Value), err)
			}
		}
		if seen[attr] {
			return nil, usageError("conflicting command line option %s", pyrepr.Arg(opt.Name))
		}
		seen[attr] = true
	}
	return o, nil
}

// Main runs supervisord and returns its exit status.
func Main(argv0 string, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	// Messages name the program as 4.2's do: run through PATH, by its path.
	argv0 = config.InvokedPath(argv0)
	// A daemonizing supervisord runs its command line again, detached (see
	// core/daemon): the warnings below were given by the foreground one.
	warnings := stderr
	if daemon.IsDetachedChild() {
		warnings = io.Discard
	}
	fail := func(msg string) int {
		fmt.Fprintf(stderr, "Error: %s\nFor help, use %s -h\n", msg, argv0)
		return 2
	}
	opts, err := Parse(argv0, args, stdout)
	if err != nil {
		var e *exit
		if errors.As(err, &e) && e.status == 0 {
			return 0
		}
		return fail(err.Error())
	}

	path := opts.ConfigFile
	if !opts.HasConfigFile {
		if os.Getuid() == 0 {
			fmt.Fprintf(warnings, "%s: UserWarning: %s\n", argv0, config.RootSearchWarning)
		}
		paths := config.SearchPaths(argv0)
		if path = config.FindConfigFile(paths); path == "" {
			return fail(config.NotFoundMessage(paths))
		}
	}
	// 4.2's own wording for a file that is missing or cannot be read; the
	// loader's errors cover what is inside the file.
	if _, err := os.Stat(path); err != nil {
		return fail("could not find config file " + path)
	}
	if f, err := os.Open(path); err != nil {
		return fail("could not read config file " + path)
	} else {
		_, err := f.Read(make([]byte, 1))
		f.Close()
		if err != nil && err != io.EOF {
			return fail("could not read config file " + path)
		}
	}

	load := func() (*config.Config, error) {
		cfg, err := config.Load(path)
		if err != nil {
			return nil, err
		}
		if err := opts.Overrides.Apply(cfg); err != nil {
			return nil, err
		}
		return cfg, nil
	}
	cfg, err := load()
	if err != nil {
		return fail(err.Error())
	}
	if opts.Profile {
		fmt.Fprintf(warnings, "%s: --profile_options %s: profiling is not supported by super; running without it\n",
			argv0, pyrepr.Arg(opts.ProfileOptions))
	}
	return runDaemon(argv0, cfg, load, stdout, stderr)
}
