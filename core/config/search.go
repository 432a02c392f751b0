package config

import (
	"os"
	"os/exec"
	"strings"
)

// Config file search, as Supervisor 4.2 does it when -c is not given.

// SearchPaths returns the places supervisord and supervisorctl look for a
// config file, in 4.2's order: relative to the executable's parent
// directory (so an installation prefix can carry its own etc/), then the
// working directory, then the system locations.
//
// argv0 is the program name as invoked. Like Python's sys.argv[0], a name
// containing a slash is used as typed; a bare name is resolved to the
// executable actually running.
func SearchPaths(argv0 string) []string {
	here := dirname(dirname(executablePath(argv0)))
	return []string{
		pyJoin(here, "etc/supervisord.conf"),
		pyJoin(here, "supervisord.conf"),
		"supervisord.conf",
		"etc/supervisord.conf",
		"/etc/supervisord.conf",
		"/etc/supervisor/supervisord.conf",
	}
}

// FindConfigFile returns the first of paths that exists (a dangling symlink
// does not), or "" when none does.
func FindConfigFile(paths []string) string {
	for _, p := range paths {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// NotFoundMessage is 4.2's error text when no config file is found.
func NotFoundMessage(paths []string) string {
	return "No config file found at default paths (" + strings.Join(paths, ", ") +
		"); use the -c option to specify a config file at a different path"
}

// RootSearchWarning is what 4.2 warns when root relies on the search.
const RootSearchWarning = "Supervisord is running as root and it is searching " +
	"for its configuration file in default locations (including its current " +
	"working directory); you probably want to specify a \"-c\" argument " +
	"specifying an absolute path to a configuration file for improved security."

// executablePath is the path the program was started from. Python sees the
// script's path in sys.argv[0] even when it was found through PATH; a Go
// program sees what the caller typed, so a bare name is looked up again.
// The PATH hit is used only when it is this very executable (through a
// symlink it keeps the symlink's directory, as 4.2 would); otherwise the
// running binary's own path.
func executablePath(argv0 string) string {
	if strings.Contains(argv0, "/") {
		return argv0
	}
	self, err := os.Executable()
	if err != nil {
		return argv0
	}
	if found, err := exec.LookPath(argv0); err == nil && strings.Contains(found, "/") {
		a, errA := os.Stat(found)
		b, errB := os.Stat(self)
		if errA == nil && errB == nil && os.SameFile(a, b) {
			return found
		}
	}
	return self
}

// InvokedPath is the name Python gives a script in sys.argv[0], which
// 4.2 uses in its messages ("For help, use /usr/bin/supervisord -h"): a
// bare name run through PATH is the path the shell found, as the kernel
// hands a script's path to its interpreter; a name with a slash is as
// typed. A bare name that PATH does not resolve to this executable (a
// test calling an applet directly) stays as it is.
func InvokedPath(argv0 string) string {
	if strings.Contains(argv0, "/") {
		return argv0
	}
	if p := executablePath(argv0); strings.Contains(p, "/") {
		if found, err := exec.LookPath(argv0); err == nil && found == p {
			return p
		}
	}
	return argv0
}

// dirname is Python's os.path.dirname: everything before the last slash,
// trailing slashes dropped unless that is all there is ("" when no slash).
func dirname(p string) string {
	head := p[:strings.LastIndexByte(p, '/')+1]
	if strings.Trim(head, "/") != "" {
		head = strings.TrimRight(head, "/")
	}
	return head
}

// pyJoin is os.path.join for two parts.
func pyJoin(a, b string) string {
	switch {
	case strings.HasPrefix(b, "/") || a == "":
		return b
	case strings.HasSuffix(a, "/"):
		return a + b
	}
	return a + "/" + b
}
