package process

import "time"

// Scheduled programs (schedule=): the supervisor's schedule starts them
// (Start, at each tick that finds them not running); the process itself
// only changes two decisions:
//
//	automatic starts  none: autostart is ignored, and an exit is never
//	                  followed by an autorestart
//	an early exit     not a failed start: startsecs only says when the
//	                  run counts as RUNNING, and every exit goes EXITED,
//	                  expected or not as exitcodes say (a job that takes
//	                  a second is no crash)
//
// A spawn error is still a failed start (BACKOFF, then FATAL), and
// oneshot=true makes each run a one-shot's (oneshot.go).

// Unschedule is a stop request for a scheduled process between runs: an
// EXITED one goes STOPPED, so that status shows it was stopped (STOPPED
// and FATAL stay as they are). The supervisor stops its schedule.
func (p *Process) Unschedule() {
	if p.state == Exited && p.Config.Schedule != "" {
		p.delay = time.Time{}
		p.adminStop = true
		p.to(Stopped, true)
	}
}
