package supervisor

import "super/core/process"

// One-shot programs (oneshot=true; the runs themselves are the process's:
// core/process/oneshot.go) as the rest of the engine sees them:
//
//	depends_on   a dependent's automatic start waits for the one-shot's
//	             success (EXITED); a FATAL one-shot holds it for good, and
//	             the gate logs so
//	critical     only FATAL (runs failed startretries+1 times) ends the
//	             daemon, with the last run's status; EXITED is its success
//	start        returns once the run is spawned, as for startsecs=0: how
//	             it ends shows in status (4.2's start would wait startsecs)
//	/readyz      EXITED is where a one-shot should be; STARTING (running),
//	             BACKOFF and FATAL are not

// oneshotDone reports whether a one-shot's last run succeeded.
func oneshotDone(p *proc) bool { return p.State() == process.Exited }

// runStarted reports whether p is a one-shot or a scheduled program whose
// run is under way: for a start request, that is started (an early exit
// is no failed start for either).
func runStarted(p *proc) bool {
	return (p.Config.Oneshot || p.Config.Schedule != "") && p.State() == process.Starting
}
