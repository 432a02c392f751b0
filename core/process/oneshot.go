package process

import "time"

// One-shot programs (oneshot=true) run to completion. A run is STARTING
// from its spawn to its exit, however long it takes (startsecs does not
// apply; it is never RUNNING):
//
//	exit with a code in exitcodes   STARTING → EXITED: success, never restarted
//	any other exit, or no spawn     STARTING → BACKOFF: a failed run, tried
//	                                again as startretries and restart_delay say,
//	                                then FATAL ("gave up: … too many failed runs")
//
// A start by request runs it again from EXITED or FATAL. Whatever waits
// for it (depends_on) waits for EXITED, the success.

// finishOneshot is Finish for a one-shot run that ended on its own.
func (p *Process) finishOneshot(es int, msg string, expected bool) {
	log := p.opts.Log
	p.exitstatus = es
	if expected {
		p.delay = time.Time{}
		p.backoff = 0
		p.to(Exited, true)
		log.Info("exited: %s (%s; expected)", p.Name(), msg)
		return
	}
	p.spawnerr = "Exited unexpectedly (" + msg + ")"
	p.to(Backoff, true)
	log.Warn("exited: %s (%s; not expected)", p.Name(), msg)
}
