// Package supervisorctl is the supervisorctl applet. This file parses its
// command line exactly as Supervisor 4.2 does and reads the [supervisorctl]
// settings; the actions themselves (status, start, the shell, ...) are run
// by the function in commands.go.
package supervisorctl

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"super/core/config"
	"super/core/getopt"
	"super/core/pyrepr"
)

// usageText is supervisorctl's help, as 4.2 prints it for -h ("%s" is the
// program name as invoked).
const usageText = `supervisorctl -- control applications run by supervisord from the cmd line.

Usage: %s [options] [action [arguments]]

Options:
-c/--configuration FILENAME -- configuration file path (searches if not given)
-h/--help -- print usage message and exit
-i/--interactive -- start an interactive shell after executing commands
-s/--serverurl URL -- URL on which supervisord server is listening
     (default "http://localhost:9001").
-u/--username USERNAME -- username to use for authentication with server
-p/--password PASSWORD -- password to use for authentication with server
-r/--history-file -- keep a readline history (if readline is available)

action [arguments] -- see below

Actions are commands like "tail" or "stop".  If -i is specified or no action is
specified on the command line, a "shell" interpreting actions typed
interactively is started.  Use the action "help" to find out about available
actions.

`

// option is one of supervisorctl's command-line options.
type option struct {
	short, long string // without dashes; "" when there is no such form
	arg         string // the value's name in the help ("URL"); "" when it takes none
}

// options are 4.2's, in its order. Note the long form of -r is
// --history_file, whatever the help text says. The manual page and the
// shell completion are made from this table too (docs.go).
var options = []option{
	{"h", "help", ""},
	{"?", "", ""},
	{"c", "configuration", "FILENAME"},
	{"i", "interactive", ""},
	{"s", "serverurl", "URL"},
	{"u", "username", "USERNAME"},
	{"p", "password", "PASSWORD"},
	{"r", "history_file", "FILENAME"},
}

// shortopts and longopts are the table in getopt's terms:
// "h?c:is:u:p:r:" and "help", "configuration=", ...
var shortopts, longopts = func() (string, []string) {
	var s string
	var l []string
	for _, o := range options {
		suffix := ""
		if o.arg != "" {
			suffix = "="
		}
		if o.short != "" {
			s += o.short + strings.ReplaceAll(suffix, "=", ":")
		}
		if o.long != "" {
			l = append(l, o.long+suffix)
		}
	}
	return s, l
}()

// Options is supervisorctl's parsed command line merged with the config
// file: command-line values win, then [supervisorctl], then 4.2's defaults.
type Options struct {
	// ConfigFile is the file read: -c, or the one found by the default
	// search; "" when no file was found (supervisorctl runs without one).
	ConfigFile string
	// Config is what LoadClient read from ConfigFile ([supervisorctl] and
	// [ctlplugin:x] only); nil without a file.
	Config *config.Config

	ServerURL   string // -s, serverurl=, default "http://localhost:9001"
	Username    string // -u, username=; "" = none
	Password    string // -p, password=; "" = none
	Prompt      string // prompt=, default "supervisor"
	HistoryFile string // -r, history_file=; "" = no history
	// Interactive is -i, or set because no action was given: then
	// supervisorctl starts its shell.
	Interactive bool

	// Command is the action and its arguments: the rest of the command
	// line after the options, untouched. 4.2 runs strings.Join(Command, " ")
	// as one shell line.
	Command []string
}

// usageErr is a command-line or config error: 4.2 prints
// "Error: <msg>" and "For help, use <prog> -h" and exits 2.
type usageErr struct{ msg string }

func (e *usageErr) Error() string { return e.msg }

// errHelp means -h was given and the help has been printed.
var errHelp = errors.New("help printed")

// Parse parses supervisorctl's arguments (without the program name),
// reads the config file and merges both, as 4.2's ClientOptions.realize.
// -h prints the help to stdout and returns errHelp.
func Parse(progname string, args []string, stdout io.Writer) (*Options, error) {
	opts, rest, err := getopt.Getopt(args, shortopts, longopts)
	if err != nil {
		return nil, &usageErr{err.Error()}
	}
	var (
		o          = &Options{Command: rest}
		given      = map[string]bool{}
		configFile string
		s, u, p, r *string
	)
	for _, opt := range opts {
		name := strings.TrimLeft(opt.Name, "-")
		var attr string
		switch name {
		case "h", "help", "?":
			io.WriteString(stdout, strings.ReplaceAll(usageText, "%s", progname))
			return nil, errHelp
		case "c", "configuration":
			attr, configFile = "configfile", opt.Value
		case "i", "interactive":
			attr, o.Interactive = "interactive", true
		case "s", "serverurl":
			if err := checkURL(opt.Value); err != nil {
				return nil, &usageErr{fmt.Sprintf("invalid value for %s %s: %s", opt.Name, pyrepr.Arg(opt.Value), err)}
			}
			attr, s = "serverurl", &opt.Value
		case "u", "username":
			attr, u = "username", &opt.Value
		case "p", "password":
			attr, p = "password", &opt.Value
		case "r", "history_file":
			attr, r = "history", &opt.Value
		}
		if given[attr] {
			return nil, &usageErr{"conflicting command line option " + pyrepr.Arg(opt.Name)}
		}
		given[attr] = true
	}

	o.ServerURL, o.Prompt = "http://localhost:9001", "supervisor"
	if !given["configfile"] {
		// Unlike supervisord, supervisorctl works without a config file.
		configFile = config.FindConfigFile(config.SearchPaths(progname))
	}
	// 4.2 reads no file at all for -c "".
	if configFile != "" {
		cfg, err := config.LoadClient(configFile)
		if err != nil {
			return nil, &usageErr{err.Error()}
		}
		o.ConfigFile, o.Config = configFile, cfg
		c := cfg.Supervisorctl
		o.ServerURL, o.Username, o.Password, o.Prompt, o.HistoryFile =
			c.ServerURL, c.Username, c.Password, c.Prompt, c.HistoryFile
	}
	for _, ov := range []struct{ dst, src *string }{
		{&o.ServerURL, s}, {&o.Username, u}, {&o.Password, p},
		// 4.2 parses -r but then never uses it; super honours it.
		{&o.HistoryFile, r},
	} {
		if ov.src != nil {
			*ov.dst = *ov.src
		}
	}
	if len(o.Command) == 0 {
		o.Interactive = true
	}
	return o, nil
}

// Main runs supervisorctl and returns its exit status.
func Main(argv0 string, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	// Messages name the program as 4.2's do: run through PATH, by its path.
	argv0 = config.InvokedPath(argv0)
	opts, err := Parse(argv0, args, stdout)
	if err != nil {
		if err == errHelp {
			return 0
		}
		fmt.Fprintf(stderr, "Error: %s\nFor help, use %s -h\n", err, argv0)
		return 2
	}
	return run(opts, stdin, stdout, stderr)
}

// checkURL is 4.2's url datatype: what Python's urlparse splits into a
// scheme and a non-empty location or path.
func checkURL(v string) error {
	bad := fmt.Errorf("value %s is not a URL", pyrepr.Arg(v))
	u := strings.TrimLeft(v, "\x00\x01\x02\x03\x04\x05\x06\x07\x08\t\n\x0b\x0c\r\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f ")
	u = strings.NewReplacer("\t", "", "\r", "", "\n", "").Replace(u)
	i := strings.IndexByte(u, ':')
	if i <= 0 || !isASCIILetter(u[0]) {
		return bad
	}
	for _, c := range []byte(u[:i]) {
		if !isASCIILetter(c) && !(c >= '0' && c <= '9') && c != '+' && c != '-' && c != '.' {
			return bad
		}
	}
	rest := u[i+1:]
	netloc := ""
	if strings.HasPrefix(rest, "//") {
		rest = rest[2:]
		end := strings.IndexAny(rest, "/?#")
		if end < 0 {
			end = len(rest)
		}
		netloc, rest = rest[:end], rest[end:]
	}
	if j := strings.IndexAny(rest, "?#"); j >= 0 {
		rest = rest[:j]
	}
	if netloc == "" && rest == "" {
		return bad
	}
	return nil
}

func isASCIILetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
