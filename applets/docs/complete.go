package docs

import (
	"path/filepath"

	"super/applets/supervisorctl"
	"super/applets/supervisord"
	"super/core/clidoc"
)

// Helper is the program the completion scripts run to complete a word:
// the multicall binary, by its own name (the applets' names would run the
// applets).
const Helper = "super"

// Commands are the names the completion scripts complete: super and its
// applets.
func Commands(applets []Applet) []string {
	out := []string{"super"}
	for _, a := range applets {
		out = append(out, a.Name)
	}
	return out
}

// Complete answers one completion request: words are the command line up
// to the cursor, the command as typed first and the word being completed
// (maybe "") last.
func Complete(applets []Applet, words []string) clidoc.Reply {
	if len(words) < 2 {
		return clidoc.Reply{}
	}
	cmd := words[0]
	return complete(applets, filepath.Base(cmd), cmd, words[1:len(words)-1], words[len(words)-1])
}

// complete completes cur after args for the command name (argv0 as typed,
// for the config file search).
func complete(applets []Applet, name, argv0 string, args []string, cur string) clidoc.Reply {
	switch name {
	case "super":
		if len(args) == 0 {
			return clidoc.Matching(cur, superWords(applets))
		}
		if args[0] == "completion" {
			if len(args) == 1 {
				return clidoc.Matching(cur, clidoc.Shells)
			}
			return clidoc.Reply{}
		}
		for _, a := range applets {
			if args[0] == a.Name || contains(a.Aliases, args[0]) {
				// super dispatches with the applet's name as argv0.
				return complete(applets, a.Name, a.Name, args[1:], cur)
			}
		}
		return clidoc.Reply{}
	case "supervisord":
		return supervisord.Complete(args, cur)
	case "supervisorctl":
		return supervisorctl.Complete(argv0, args, cur)
	case "pidproxy":
		// pidproxy <pidfile> <command> [<cmdarg1> ...]
		if len(args) == 1 {
			return clidoc.Reply{Kind: clidoc.Commands}
		}
		return clidoc.Reply{Kind: clidoc.Files}
	}
	return clidoc.Reply{} // echo_supervisord_conf takes nothing
}

// superWords are what may follow "super": the applets, their aliases, the
// completion command and the options.
func superWords(applets []Applet) []string {
	var out []string
	for _, a := range applets {
		out = append(out, a.Name)
		out = append(out, a.Aliases...)
	}
	return append(out, "completion", "--help", "--version")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Script is the completion script for shell.
func Script(shell string, applets []Applet) (string, error) {
	return clidoc.Script(shell, Helper, Commands(applets))
}
