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
//	        (and "…, next run at 2026-01-02 15:04:05" for a schedule, schedule.go)

// restartPending reports whether p waits for a delayed automatic restart.
func restartPending(p *proc) bool { return !p.RestartAt().IsZero() }

// startable is the start requests' filter (4.2's: not running), plus a
// process in BACKOFF waiting out a restart delay.
func startable(p *proc) bool {
	return !p.State().IsRunning() || p.State() == process.Backoff && restartPending(p)
}

// stoppable is the stop requests' filter (4.2's: running), plus a process
// whose automatic restart waits or whose schedule will start it.
func stoppable(p *proc) bool { return p.State().IsRunning() || restartPending(p) || scheduleActive(p) }

// describePending adds a pending restart or a scheduled process's next
// run to its description.
func describePending(p *proc, info *ProcessInfo, now time.Time) {
	if at := p.RestartAt(); !at.IsZero() {
		info.Description += ", " + process.RestartIn(at, now)
	}
	if p.sched != nil && !p.sched.next.IsZero() {
		info.Description += ", " + NextRunText(p.sched.next)
	}
}
