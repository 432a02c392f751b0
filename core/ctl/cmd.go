package ctl

import (
	"errors"
	"strings"
	"unicode"
)

// action runs one command with its argument string (the rest of the line,
// trimmed). It returns stop=true to leave the shell, and an error for what
// 4.2 lets propagate out of the command (reported by onecmd).
type action func(c *controller, arg string) (stop bool, err error)

// actions is the default plugin's vocabulary plus the controller's own
// help and EOF.
var actions map[string]action

func init() {
	actions = map[string]action{
		"add":      (*controller).doAdd,
		"avail":    (*controller).doAvail,
		"clear":    (*controller).doClear,
		"exit":     (*controller).doQuit,
		"fg":       (*controller).doFg,
		"help":     (*controller).doHelp,
		"maintail": (*controller).doMaintail,
		"open":     (*controller).doOpen,
		"pid":      (*controller).doPid,
		"quit":     (*controller).doQuit,
		"reload":   (*controller).doReload,
		"remove":   (*controller).doRemove,
		"reread":   (*controller).doReread,
		"restart":  (*controller).doRestart,
		"shutdown": (*controller).doShutdown,
		"signal":   (*controller).doSignal,
		"start":    (*controller).doStart,
		"status":   (*controller).doStatus,
		"stop":     (*controller).doStop,
		"tail":     (*controller).doTail,
		"top":      (*controller).doTop, // super's own (top.go); not in 4.2's vocab or help list
		"update":   (*controller).doUpdate,
		"version":  (*controller).doVersion,
		"EOF":      (*controller).doEOF,
	}
}

// vocab is what the shell completes as a command name (4.2's vocab).
var vocab = []string{"add", "avail", "clear", "exit", "fg", "help", "maintail", "open", "pid",
	"quit", "reload", "remove", "reread", "restart", "shutdown", "signal", "start", "status",
	"stop", "tail", "update", "version"}

// parseline splits a line as Python's cmd.Cmd.parseline: "?" means help,
// the command is the leading run of identifier characters.
func parseline(line string) (cmd, arg, full string, ok bool) {
	line = strings.TrimFunc(line, unicode.IsSpace)
	if line == "" {
		return "", "", line, false
	}
	if line[0] == '?' {
		line = "help " + line[1:]
	} else if line[0] == '!' {
		// no shell escape in supervisorctl
		return "", "", line, true
	}
	i := 0
	for i < len(line) && isIdentChar(line[i]) {
		i++
	}
	return line[:i], strings.TrimFunc(line[i:], unicode.IsSpace), line, true
}

func isIdentChar(b byte) bool {
	return b == '_' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
}

// onecmd runs one line as 4.2's Controller.onecmd: unknown commands,
// re-authentication after a 401 and the report of unexpected errors.
func (c *controller) onecmd(line string) (stop bool) {
	cmd, arg, line, ok := parseline(line)
	if !ok {
		return false // empty line: do nothing, do not repeat
	}
	c.haveComplete = false
	do := actions[cmd]
	if cmd == "" || do == nil {
		c.output("*** Unknown syntax: " + line)
		c.exit = exitGeneric
		return false
	}
	stop, err := do(c, arg)
	if err == nil {
		return stop
	}
	if st, ok := httpStatus(err); ok && st == 401 {
		if c.interactive {
			c.output("Server requires authentication")
			user, uerr := c.lines.Prompt("Username:")
			if uerr != nil {
				c.report(errEOF)
				return false
			}
			pass, perr := c.lines.Password("Password:")
			if perr != nil {
				c.report(errEOF)
				return false
			}
			c.output("")
			c.opts.Username, c.opts.Password = user, pass
			return c.onecmd(line)
		}
		c.output("Server requires authentication")
		c.exit = exitGeneric
		// 4.2 runs the command a second time here and reports what that
		// raises; against a server that keeps refusing, that is the same
		// error again.
		if _, err = do(c, arg); err == nil {
			return false
		}
	}
	c.report(err)
	return false
}

// report prints an error a command let through and marks the exit status.
func (c *controller) report(err error) {
	c.output(c.pyError(err))
	c.exit = exitGeneric
}

var errEOF = errors.New("EOF when reading a line")
