// Package docs makes super's manual pages and shell completion from the
// tables the applets parse their command lines with (core/clidoc renders
// them): what `super __manpages` writes at build time, what `super
// completion` prints and what `super __complete` answers at each Tab.
package docs

import (
	"os"
	"path/filepath"
	"strings"

	"super/applets/pidproxy"
	"super/applets/supervisorctl"
	"super/applets/supervisord"
	"super/core/clidoc"
	"super/core/config"
)

// Applet is one of super's programs, as main's dispatch table has it.
type Applet struct {
	Name    string
	Aliases []string
	Usage   string
}

// Page is one manual page.
type Page struct {
	Name, Section string
	Roff          string
}

// File is the page's file name: "supervisord.8".
func (p Page) File() string { return p.Name + "." + p.Section }

// Pages are the manual pages of super and its applets; version and date
// ("YYYY-MM-DD") go in each page's footer.
func Pages(applets []Applet, superUsage, version, date string) []Page {
	source := "super " + version
	return []Page{
		superPage(applets, superUsage, source, date),
		supervisordPage(source, date),
		supervisorctlPage(source, date),
		pidproxyPage(source, date),
		echoconfPage(source, date),
	}
}

// WritePages writes the pages into dir as name.section.
func WritePages(dir string, pages []Page) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, p := range pages {
		if err := os.WriteFile(filepath.Join(dir, p.File()), []byte(p.Roff), 0o644); err != nil {
			return err
		}
	}
	return nil
}

const (
	userManual   = "User Commands"
	systemManual = "System Administration"
)

func seeAlso(m *clidoc.Man, refs ...string) {
	m.Section("SEE ALSO")
	var parts []clidoc.Roff
	for _, r := range refs {
		name, sect, _ := strings.Cut(r, "(")
		parts = append(parts, clidoc.Cat(clidoc.B(name), clidoc.Text("("+sect)))
	}
	m.Para(clidoc.Roff(strings.Join(stringsOf(parts), ", ")))
}

func stringsOf(rs []clidoc.Roff) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = string(r)
	}
	return out
}

func superPage(applets []Applet, usage, source, date string) Page {
	m := clidoc.NewMan("super", "1", date, source, userManual, usage)
	m.Section("SYNOPSIS")
	m.Synopsis(clidoc.Cat(clidoc.B("super"), " ", clidoc.I("applet"), " [", clidoc.I("arguments"), "]"))
	m.Synopsis(clidoc.Cat(clidoc.B("super completion"), " ", clidoc.B("bash"), "|", clidoc.B("zsh"), "|", clidoc.B("fish")))
	m.Synopsis(clidoc.Cat(clidoc.B("super"), " ", clidoc.B("--help"), "|", clidoc.B("--version")))
	m.Section("DESCRIPTION")
	m.Para(clidoc.Text("super is Supervisor 4.2, the process control system, as one executable. " +
		"It holds Supervisor's programs; invoked under one of their names (the symbolic links " +
		"installed beside it), it is that program, and takes that program's options. " +
		"Invoked as super, it takes the program's name, or a short alias, as its first argument: " +
		"\"super ctl status\" is \"supervisorctl status\"."))
	m.Para(clidoc.Text("Configuration files, the XML-RPC interface, supervisorctl's output and exit statuses " +
		"and the log lines are those of Supervisor 4.2; what super adds is enabled by keys of its own."))
	m.Section("APPLETS")
	for _, a := range applets {
		tag := clidoc.B(a.Name)
		for _, al := range a.Aliases {
			tag = clidoc.Cat(tag, ", ", clidoc.B(al))
		}
		m.Item(tag, clidoc.Text(a.Usage+"; see "+a.Name+"("+sectionOf(a.Name)+")."))
	}
	m.Section("COMMANDS")
	m.Item(clidoc.Cat(clidoc.B("completion"), " ", clidoc.I("shell")), clidoc.Text("Print the completion script for shell: bash, zsh or fish. "+
		"It completes the applets, their options, supervisorctl's actions, and the names of the "+
		"processes and groups of the supervisord that supervisorctl would talk to, if it runs. "+
		"For the current shell: source <(super completion bash)."))
	m.Section("OPTIONS")
	m.Item(clidoc.Cat(clidoc.B("-h"), ", ", clidoc.B("--help")), clidoc.Text("Print the applets and exit."))
	m.Item(clidoc.Cat(clidoc.B("-v"), ", ", clidoc.B("--version")), clidoc.Text("Print super's version, and the Supervisor version it is compatible with, and exit. "+
		"(supervisord -v prints the Supervisor version alone, as scripts written for Supervisor expect.)"))
	seeAlso(m, "supervisord(8)", "supervisorctl(1)", "pidproxy(1)", "echo_supervisord_conf(1)")
	return Page{"super", "1", m.String()}
}

func sectionOf(applet string) string {
	if applet == "supervisord" {
		return "8"
	}
	return "1"
}

// searchPaths are the places supervisord and supervisorctl look for their
// config file, with the ones relative to the executable said so.
func searchPaths() []string {
	const here = "/HERE/bin/supervisord"
	var out []string
	for _, p := range config.SearchPaths(here) {
		if rest, ok := strings.CutPrefix(p, "/HERE/"); ok {
			p = "../" + rest + " (beside the directory holding the executable)"
		}
		out = append(out, p)
	}
	return out
}

func filesSection(m *clidoc.Man, program string) {
	m.Section("FILES")
	m.Para(clidoc.Text("Without -c, " + program + " reads the first of these that exists (relative paths from the current directory):"))
	m.Verbatim(strings.Join(searchPaths(), "\n"))
	m.Para(clidoc.Text("Packaged for Debian: /etc/supervisor/supervisord.conf, which includes /etc/supervisor/conf.d/*.conf."))
}

func supervisordPage(source, date string) Page {
	m := clidoc.NewMan("supervisord", "8", date, source, systemManual, supervisord.Summary())
	m.Section("SYNOPSIS")
	m.Synopsis(clidoc.Cat(clidoc.B("supervisord"), " [", clidoc.I("options"), "]"))
	m.Section("DESCRIPTION")
	m.Para(clidoc.Text("supervisord starts the programs of its configuration file and keeps them running: " +
		"it restarts them as configured, captures and rotates their output, and serves an " +
		"XML-RPC interface and a web interface on a unix socket and/or a TCP port, through " +
		"which supervisorctl(1) controls it. Event listeners are told what happens."))
	m.Para(clidoc.Text("Unless told to stay in the foreground (-n, nodaemon=true) it detaches from the terminal. " +
		"Options given on the command line override the [supervisord] section's keys."))
	m.Section("OPTIONS")
	m.Options(supervisord.OptionTable())
	m.Section("SIGNALS")
	m.Item(clidoc.Cat(clidoc.B("SIGTERM"), ", ", clidoc.B("SIGINT"), ", ", clidoc.B("SIGQUIT")), clidoc.Text("Stop every process, in reverse priority order, and exit."))
	m.Item(clidoc.B("SIGHUP"), clidoc.Text("Stop every process, read the configuration again and start over (what supervisorctl reload asks)."))
	m.Item(clidoc.B("SIGUSR2"), clidoc.Text("Reopen the activity log and the programs' logs (after an outside rotation)."))
	m.Section("ENVIRONMENT")
	m.Item(clidoc.B("NOTIFY_SOCKET"), clidoc.Text("Set by systemd for a Type=notify service: supervisord reports READY=1 once its servers "+
		"listen and its first start pass is done, RELOADING=1 and READY=1 around a restart, STOPPING=1 "+
		"at shutdown, and a status line counting the processes by state. Programs do not inherit it."))
	m.Item(clidoc.B("WATCHDOG_USEC"), clidoc.Text("Set by systemd's WatchdogSec=: supervisord sends WATCHDOG=1 every half of it, each "+
		"time after its main loop has answered, so a hung supervisord is restarted."))
	filesSection(m, "supervisord")
	m.Section("EXIT STATUS")
	m.Para(clidoc.Text("0 after a requested shutdown; 2 for an error in the command line or the configuration " +
		"(the message says where); with a program marked critical=true or exit_when_done=true, the status " +
		"those keys give."))
	seeAlso(m, "supervisorctl(1)", "super(1)", "echo_supervisord_conf(1)", "pidproxy(1)", "systemd.service(5)")
	return Page{"supervisord", "8", m.String()}
}

func supervisorctlPage(source, date string) Page {
	m := clidoc.NewMan("supervisorctl", "1", date, source, userManual, supervisorctl.Summary())
	m.Section("SYNOPSIS")
	m.Synopsis(clidoc.Cat(clidoc.B("supervisorctl"), " [", clidoc.I("options"), "] [", clidoc.I("action"), " [", clidoc.I("arguments"), "]]"))
	m.Section("DESCRIPTION")
	m.Para(clidoc.Text("supervisorctl talks to a running supervisord(8) over its unix socket or TCP port. " +
		"Given an action it runs it and exits; without one, or with -i, it starts an interactive " +
		"shell that reads actions, with history and completion of actions and process names."))
	m.Para(clidoc.Text("Values on the command line override the [supervisorctl] section of the configuration file."))
	m.Section("OPTIONS")
	m.Options(supervisorctl.OptionTable())
	m.Section("ACTIONS")
	m.Para(clidoc.Text("A name is a process (\"web\" or \"group:web\"), a whole group (\"group:*\") or, where it says so, \"all\"."))
	m.Commands(supervisorctl.Commands())
	m.Para(clidoc.Text("These are super's own, which Supervisor 4.2 has not (\"help\" does not list them; \"help top\" explains one):"))
	m.Commands(supervisorctl.OwnCommands())
	filesSection(m, "supervisorctl")
	m.Section("EXIT STATUS")
	m.Para(clidoc.Text("The LSB statuses Supervisor 4.2 uses. For status: 0 when every process shown is running, " +
		"3 when one is not, 4 when a name is unknown or supervisord cannot be reached. For the other " +
		"actions: 0 on success, 1 on an error, 2 for invalid arguments, 7 when a process could not be " +
		"started or stopped as asked or supervisord's socket does not exist, 4 when the connection was " +
		"refused. An error in the command line exits 2."))
	seeAlso(m, "supervisord(8)", "super(1)")
	return Page{"supervisorctl", "1", m.String()}
}

func pidproxyPage(source, date string) Page {
	m := clidoc.NewMan("pidproxy", "1", date, source, userManual, pidproxy.Summary())
	m.Section("SYNOPSIS")
	m.Synopsis(clidoc.Cat(clidoc.B("pidproxy"), " ", clidoc.I("pidfile"), " ", clidoc.I("command"), " [", clidoc.I("argument"), "...]"))
	m.Section("DESCRIPTION")
	m.Para(clidoc.Text(pidproxy.Description()))
	m.Para(clidoc.Text("It is for programs that fork into the background: supervisord runs pidproxy in their place, " +
		"and stopping or signalling pidproxy reaches the program. For example:"))
	m.Verbatim("[program:mysql]\ncommand=/usr/bin/pidproxy /var/run/mysqld.pid /usr/bin/mysqld_safe")
	m.Section("SIGNALS")
	names, exits := pidproxy.RelayedSignals()
	var relayed, ending []clidoc.Roff
	for i, n := range names {
		relayed = append(relayed, clidoc.B(n))
		if exits[i] {
			ending = append(ending, clidoc.B(n))
		}
	}
	m.Para(clidoc.Cat(clidoc.Text("Relayed to the pid in pidfile: "), clidoc.Roff(strings.Join(stringsOf(relayed), ", ")),
		clidoc.Text(". After "), clidoc.Roff(strings.Join(stringsOf(ending), ", ")), clidoc.Text(" pidproxy exits.")))
	m.Section("EXIT STATUS")
	m.Para(clidoc.Text("0 when the command exits; 1 with the usage text when arguments are missing; 127 when the command cannot be run."))
	seeAlso(m, "supervisord(8)", "super(1)")
	return Page{"pidproxy", "1", m.String()}
}

func echoconfPage(source, date string) Page {
	m := clidoc.NewMan("echo_supervisord_conf", "1", date, source, userManual, "print a sample supervisord configuration file")
	m.Section("SYNOPSIS")
	m.Synopsis(clidoc.B("echo_supervisord_conf"))
	m.Section("DESCRIPTION")
	m.Para(clidoc.Text("echo_supervisord_conf prints Supervisor's sample configuration file to standard output, " +
		"to be redirected into a file and edited. It takes no options."))
	m.Verbatim("echo_supervisord_conf > /etc/supervisord.conf")
	m.Para(clidoc.Text("The sample has these sections; those commented out (;) show the keys a section takes:"))
	m.Verbatim(strings.Join(sampleSections(), "\n"))
	seeAlso(m, "supervisord(8)", "supervisorctl(1)", "super(1)")
	return Page{"echo_supervisord_conf", "1", m.String()}
}

// sampleSections are the section headers of the sample config, commented
// or not: "[unix_http_server]", ";[program:theprogramname]".
func sampleSections() []string {
	var out []string
	seen := map[string]bool{}
	for _, h := range strings.Split(config.Sample, "\n") {
		if strings.HasPrefix(strings.TrimPrefix(h, ";"), "[") && strings.Contains(h, "]") {
			h = h[:strings.Index(h, "]")+1]
			if !seen[h] {
				seen[h] = true
				out = append(out, h)
			}
		}
	}
	return out
}
