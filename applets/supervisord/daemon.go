package supervisord

import (
	"fmt"
	"io"

	"super/core/config"
)

// runDaemon is where the applet hands over to the daemon (core/supervisor):
// cfg is the loaded config with the command-line values applied, and reload
// produces a fresh one the same way for SIGHUP and `supervisorctl reload`.
// It returns supervisord's exit status.
var runDaemon = func(cfg *config.Config, reload func() (*config.Config, error), stdout, stderr io.Writer) int {
	fmt.Fprintf(stderr, "Error: the process control engine is not available in this build; %s is valid\n", cfg.File)
	return 1
}
