package supervisor

import (
	"time"

	"super/core/process"
)

// The restart delay as the engine's requests and surfaces see it (the
// waits themselves are the process's: core/process/restart.go). Without
// restart_delay no process ever has a restart pending, and every request
// behaves as 4.2's.
//
//	start   during the wait starts the process at once (from BACKOFF too,
//	        which 4.2 refuses as ALREADY_STARTED: there it cannot wait long)
//	stop    during the wait ends it: STOPPED
//	status  "…, restarting in 8 s" after the description while one is pending

// restartPending reports whether p waits for a delayed automatic restart.
func restartPending(p *proc) bool { return !p.RestartAt().IsZero() }

// startable is the start requests' filter (4.2's: not running), plus a
// process in BACKOFF waiting out a restart delay.
func startable(p *proc) bool {
	return !p.State().IsRunning() || p.State() == process.Backoff && restartPending(p)
}

// stoppable is the stop requests' filter (4.2's: running), plus a process
// whose automatic restart waits.
func stoppable(p *proc) bool { return p.State().IsRunning() || restartPending(p) }

// describePending adds a pending restart to a process's description.
func describePending(p *proc, info *ProcessInfo, now time.Time) {
	if at := p.RestartAt(); !at.IsZero() {
		info.Description += ", " + process.RestartIn(at, now)
	}
}
