package ctl

import "strings"

// helpTexts are 4.2's help_<command> texts, printed by "help <command>"
// and after a usage error.
var helpTexts = map[string]string{
	"tail": "tail [-f] <name> [stdout|stderr] (default stdout)\n" +
		"Ex:\n" +
		"tail -f <name>\t\tContinuous tail of named process stdout\n" +
		"\t\t\tCtrl-C to exit.\n" +
		"tail -100 <name>\tlast 100 *bytes* of process stdout\n" +
		"tail <name> stderr\tlast 1600 *bytes* of process stderr",
	"maintail": "maintail -f \tContinuous tail of supervisor main log file (Ctrl-C to exit)\n" +
		"maintail -100\tlast 100 *bytes* of supervisord main log file\n" +
		"maintail\tlast 1600 *bytes* of supervisor main log file\n",
	"quit": "quit\tExit the supervisor shell.",
	"exit": "exit\tExit the supervisor shell.",
	"status": "status <name>\t\tGet status for a single process\n" +
		"status <gname>:*\tGet status for all processes in a group\n" +
		"status <name> <name>\tGet status for multiple named processes\n" +
		"status\t\t\tGet all process status info",
	"pid": "pid\t\t\tGet the PID of supervisord.\n" +
		"pid <name>\t\tGet the PID of a single child process by name.\n" +
		"pid all\t\t\tGet the PID of every child process, one per line.",
	"start": "start <name>\t\tStart a process\n" +
		"start <gname>:*\t\tStart all processes in a group\n" +
		"start <name> <name>\tStart multiple processes or groups\n" +
		"start all\t\tStart all processes",
	"stop": "stop <name>\t\tStop a process\n" +
		"stop <gname>:*\t\tStop all processes in a group\n" +
		"stop <name> <name>\tStop multiple processes or groups\n" +
		"stop all\t\tStop all processes",
	"signal": "signal <signal name> <name>\t\tSignal a process\n" +
		"signal <signal name> <gname>:*\t\tSignal all processes in a group\n" +
		"signal <signal name> <name> <name>\tSignal multiple processes or groups\n" +
		"signal <signal name> all\t\tSignal all processes",
	"restart": "restart <name>\t\tRestart a process\n" +
		"restart <gname>:*\tRestart all processes in a group\n" +
		"restart <name> <name>\tRestart multiple processes or groups\n" +
		"restart all\t\tRestart all processes\n" +
		"Note: restart does not reread config files. For that, see reread and update.",
	"shutdown": "shutdown \tShut the remote supervisord down.",
	"reload":   "reload \t\tRestart the remote supervisord.",
	"avail":    "avail\t\t\tDisplay all configured processes",
	"reread":   "reread \t\t\tReload the daemon's configuration files without add/remove",
	"add":      "add <name> [...]\tActivates any updates in config for process/group",
	"remove":   "remove <name> [...]\tRemoves process/group from active config",
	"update": "update\t\t\tReload config and add/remove as necessary, and will restart affected programs\n" +
		"update all\t\tReload config and add/remove as necessary, and will restart affected programs\n" +
		"update <gname> [...]\tUpdate specific groups",
	"clear": "clear <name>\t\tClear a process' log files.\n" +
		"clear <name> <name>\tClear multiple process' log files\n" +
		"clear all\t\tClear all process' log files",
	"open": "open <url>\tConnect to a remote supervisord process.\n" +
		"\t\t(for UNIX domain socket, use unix:///socket/path)",
	"version": "version\t\t\tShow the version of the remote supervisord process",
	"fg":      "fg <process>\tConnect to a process in foreground mode\n\t\tCtrl-C to exit",
}

// superHelpTexts are the help of super's own commands: "help top" works,
// while "help" lists 4.2's commands exactly as 4.2 does.
var superHelpTexts = map[string]string{"top": topHelp}

// helpTopic prints one command's help.
func (c *controller) helpTopic(name string) {
	if h, ok := superHelpTexts[name]; ok {
		c.output(h)
		return
	}
	c.output(helpTexts[name])
}

func (c *controller) doHelp(arg string) (bool, error) {
	switch {
	case strings.TrimFunc(arg, isPySpace) == "help":
		c.output(helpHelp)
	case arg == "":
		// The default plugin's documented commands: every one but help.
		var documented []string
		for _, name := range vocab {
			if _, ok := helpTexts[name]; ok {
				documented = append(documented, name)
			}
		}
		header := "default commands (type help <topic>):"
		c.output("")
		c.output(header)
		c.output(strings.Repeat("=", len(header)))
		c.columnize(documented, 79)
		c.output("")
	default:
		if _, ok := helpTexts[arg]; ok {
			c.helpTopic(arg)
		} else if _, ok := superHelpTexts[arg]; ok {
			c.helpTopic(arg)
		} else {
			c.output("*** No help on " + arg)
		}
	}
	return false, nil
}

// columnize prints words in as few rows as fit in width, column-major,
// columns two spaces apart: Python's cmd.Cmd.columnize.
func (c *controller) columnize(words []string, width int) {
	size := len(words)
	if size == 0 {
		c.output("<empty>")
		return
	}
	if size == 1 {
		c.output(words[0])
		return
	}
	var nrows, ncols int
	var colwidths []int
	fits := false
	for nrows = 1; nrows < size; nrows++ {
		ncols = (size + nrows - 1) / nrows
		colwidths = colwidths[:0]
		total := -2
		for col := 0; col < ncols; col++ {
			w := 0
			for row := 0; row < nrows; row++ {
				i := row + nrows*col
				if i >= size {
					break
				}
				w = max(w, pyLen(words[i]))
			}
			colwidths = append(colwidths, w)
			total += w + 2
			if total > width {
				break
			}
		}
		if total <= width {
			fits = true
			break
		}
	}
	if !fits {
		nrows, ncols, colwidths = size, 1, []int{0}
	}
	for row := 0; row < nrows; row++ {
		var texts []string
		for col := 0; col < ncols; col++ {
			i := row + nrows*col
			x := ""
			if i < size {
				x = words[i]
			}
			texts = append(texts, x)
		}
		for len(texts) > 0 && texts[len(texts)-1] == "" {
			texts = texts[:len(texts)-1]
		}
		for col := range texts {
			texts[col] = ljust(texts[col], colwidths[col])
		}
		c.output(strings.Join(texts, "  "))
	}
}
