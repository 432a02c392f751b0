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

	"github.com/urfave/cli/v2"

	"super/applets/docs"
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

// superUsage is what `super --help` and super(1) say super is.
const superUsage = "Supervisor 4.2, the process control system, as one static binary"

// docApplets is the dispatch table as the manual pages and the completion
// see it.
func docApplets() []docs.Applet {
	out := make([]docs.Applet, len(applets))
	for i, a := range applets {
		out[i] = docs.Applet{Name: a.name, Aliases: a.aliases, Usage: a.usage}
	}
	return out
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

// superApp handles `super <applet> ...`. urfave/cli only picks the applet and
// serves `super --help`/`--version`; each applet parses its own arguments
// getopt-style, exactly like Supervisor (SkipFlagParsing).
func superApp(argv []string, stdin io.Reader, stdout, stderr io.Writer) int {
	status := 0
	app := &cli.App{
		Name:            "super",
		Usage:           superUsage,
		Version:         fmt.Sprintf("%s (Supervisor %s compatible)", version.Super, version.Supervisor),
		Reader:          stdin,
		Writer:          stdout,
		ErrWriter:       stderr,
		HideHelpCommand: true,
		ExitErrHandler:  func(*cli.Context, error) {},
	}
	for _, a := range applets {
		a := a
		app.Commands = append(app.Commands, &cli.Command{
			Name:            a.name,
			Aliases:         a.aliases,
			Usage:           a.usage,
			SkipFlagParsing: true,
			HideHelp:        true,
			Action: func(c *cli.Context) error {
				status = a.run(a.name, c.Args().Slice(), stdin, stdout, stderr)
				return nil
			},
		})
	}
	app.Commands = append(app.Commands, &cli.Command{
		Name:            "completion",
		Usage:           "print the shell completion script: super completion bash|zsh|fish",
		SkipFlagParsing: true,
		HideHelp:        true,
		Action: func(c *cli.Context) error {
			status = completionScript(c.Args().Slice(), stdout, stderr)
			return nil
		},
	}, &cli.Command{
		// What the completion scripts run at each Tab: the words of the
		// command line, the one being completed last.
		Name:            "__complete",
		Hidden:          true,
		SkipFlagParsing: true,
		HideHelp:        true,
		Action: func(c *cli.Context) error {
			docs.Complete(docApplets(), c.Args().Slice()).Write(stdout)
			return nil
		},
	}, &cli.Command{
		// The build writes the manual pages with this: __manpages DIR DATE.
		Name:            "__manpages",
		Hidden:          true,
		SkipFlagParsing: true,
		HideHelp:        true,
		Action: func(c *cli.Context) error {
			status = writeManpages(c.Args().Slice(), stderr)
			return nil
		},
	})
	app.Action = func(c *cli.Context) error {
		if c.NArg() > 0 {
			fmt.Fprintf(stderr, "super: unknown applet %q\n\n", c.Args().First())
			cli.ShowAppHelp(c)
			status = 2
			return nil
		}
		return cli.ShowAppHelp(c)
	}
	if err := app.Run(argv); err != nil {
		fmt.Fprintf(stderr, "super: %v\n", err)
		return 2
	}
	return status
}

func completionScript(args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 {
		fmt.Fprintln(stderr, "usage: super completion bash|zsh|fish")
		return 2
	}
	script, err := docs.Script(args[0], docApplets())
	if err != nil {
		fmt.Fprintf(stderr, "super: %v\n", err)
		return 2
	}
	io.WriteString(stdout, script)
	return 0
}

func writeManpages(args []string, stderr io.Writer) int {
	if len(args) != 2 {
		fmt.Fprintln(stderr, "usage: super __manpages DIR YYYY-MM-DD")
		return 2
	}
	pages := docs.Pages(docApplets(), superUsage, version.Super, args[1])
	if err := docs.WritePages(args[0], pages); err != nil {
		fmt.Fprintf(stderr, "super: %v\n", err)
		return 1
	}
	return 0
}
