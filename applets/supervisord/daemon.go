package supervisord

import (
	"io"

	"super/core/config"
	"super/core/daemon"
)

// runDaemon is where the applet hands over to the daemon (core/daemon):
// prog is the program's name for its messages, cfg the loaded config with
// the command-line values applied, and reload produces a fresh one the
// same way for SIGHUP and `supervisorctl reload`. It returns supervisord's
// exit status.
var runDaemon = func(prog string, cfg *config.Config, reload func() (*config.Config, error), stdout, stderr io.Writer) int {
	return daemon.Run(cfg, daemon.Options{Program: prog, Reload: reload, Stdout: stdout, Stderr: stderr})
}
