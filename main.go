// Command super is Supervisor 4.2 as one static binary.
//
// It is a multicall binary: invoked as supervisord, supervisorctl, pidproxy or
// echo_supervisord_conf (through a symlink) it is that program; invoked as
// super it takes the applet name as its first argument:
//
//	super supervisord -c /etc/supervisord.conf   (alias: super d)
//	super supervisorctl status                   (alias: super ctl)
//	super pidproxy /run/app.pid /usr/bin/app
//	super echo_supervisord_conf
package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"super/applets/echoconf"
	"super/applets/pidproxy"
	"super/applets/supervisorctl"
	"super/applets/supervisord"
	"super/core/version"
)

// appletFunc is the shape of every applet: argv0 as typed (for messages such
// as "For help, use supervisord -h"), the remaining arguments and the standard
// streams; it returns the exit status.
type appletFunc func(argv0 string, args []string, stdin io.Reader, stdout, stderr io.Writer) int

type applet struct {
	name    string
	aliases []string
	usage   string
	run     appletFunc
}

// applets is the dispatch table: argv[0] basenames and `super` subcommands.
var applets = []applet{
	{"supervisord", []string{"d"}, "run the process control daemon", supervisord.Main},
	{"supervisorctl", []string{"ctl"}, "control a running supervisord", supervisorctl.Main},
	{"pidproxy", nil, "front a program that forks, relaying signals to its pidfile's pid", pidproxy.Main},
	{"echo_supervisord_conf", nil, "print a sample configuration file", echoconf.Main},
}

func main() {
	os.Exit(run(os.Args, os.Stdin, os.Stdout, os.Stderr))
}

func run(argv []string, stdin io.Reader, stdout, stderr io.Writer) int {
	base := filepath.Base(argv[0])
	for _, a := range applets {
		if a.name == base {
			return a.run(argv[0], argv[1:], stdin, stdout, stderr)
		}
	}
	return superApp(argv, stdin, stdout, stderr)
}

// superApp handles `super <applet> ...` and `super --help`/`--version`.
// Each applet parses its own arguments getopt-style, exactly like
// Supervisor, so all this picks is the applet. It is written out rather
// than built on a CLI library: a library linked into the one binary is
// paged in and initialised by every supervisorctl run and held by every
// daemon, for a help screen.
func superApp(argv []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(argv) < 2 {
		writeHelp(stdout)
		return 0
	}
	name := argv[1]
	for _, a := range applets {
		if name == a.name || slices.Contains(a.aliases, name) {
			return a.run(a.name, argv[2:], stdin, stdout, stderr)
		}
	}
	switch name {
	case "-h", "--help", "-help":
		writeHelp(stdout)
		return 0
	case "-v", "--version", "-version":
		fmt.Fprintf(stdout, "super version %s (Supervisor %s compatible)\n", version.Super, version.Supervisor)
		return 0
	}
	if strings.HasPrefix(name, "-") {
		flag := strings.TrimLeft(name, "-")
		flag, _, _ = strings.Cut(flag, "=")
		fmt.Fprintf(stdout, "Incorrect Usage: flag provided but not defined: -%s\n\n", flag)
		writeHelp(stdout)
		fmt.Fprintf(stderr, "super: flag provided but not defined: -%s\n", flag)
		return 2
	}
	fmt.Fprintf(stderr, "super: unknown applet %q\n\n", name)
	writeHelp(stdout)
	return 2
}

// writeHelp prints the applets and the global options.
func writeHelp(w io.Writer) {
	var b strings.Builder
	fmt.Fprintf(&b, "NAME:\n   super - Supervisor 4.2, the process control system, as one static binary\n\n"+
		"USAGE:\n   super [global options] command [command options]\n\n"+
		"VERSION:\n   %s (Supervisor %s compatible)\n\nCOMMANDS:\n", version.Super, version.Supervisor)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, a := range applets {
		fmt.Fprintf(tw, "   %s\t%s\n", strings.Join(append([]string{a.name}, a.aliases...), ", "), a.usage)
	}
	tw.Flush()
	b.WriteString("\nGLOBAL OPTIONS:\n   --help, -h     show help\n   --version, -v  print the version\n")
	io.WriteString(w, b.String())
}
