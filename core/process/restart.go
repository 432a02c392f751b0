package process

import (
	"math"
	"strconv"
	"time"

	"super/core/config"
)

// The restart delay (restart_delay, restart_delay_max). Without
// restart_delay nothing here changes 4.2's behaviour: an exit with
// autorestart restarts at once, and the n-th BACKOFF retry waits n
// seconds. With it, every automatic restart waits:
//
//	exit with autorestart   RUNNING → EXITED, then EXITED → STARTING once the wait is over
//	failed start            STARTING → BACKOFF, then BACKOFF → STARTING once the wait is over
//
// The wait is restart_delay, doubled for each automatic restart in a row
// (the streak), at most restart_delay_max. A run that stayed RUNNING for
// restart_delay_max or longer ends the streak: its exit waits
// restart_delay again. So does every start asked for (Start: a user's
// start or restart, a scheduled run). A stop request during the wait ends
// it (EXITED → STOPPED, or BACKOFF → STOPPED as in 4.2), and a start
// request starts the program at once.
//
// Each wait is logged once when it begins, after the line saying why:
//
//	INFO waiting 8 s before restarting web

// Start is a start asked for (supervisorctl start, a schedule's tick), as
// opposed to an automatic restart: Spawn, with the restart delay starting
// over.
func (p *Process) Start() int {
	p.streak = 0
	return p.Spawn()
}

// StartAhead is Start in two halves, for starts asked for many at a time
// (start all): the child is prepared and its fork begun with st, and the
// caller may prepare the next one meanwhile. p does not change until
// finish, which does what Start does (STARTING, then the spawn's outcome)
// with the child already forked, so the log and the events read as if
// the starts were one after the other. Nothing may use p in between, and
// no child of the daemon may be reaped with wait4(-1) until finish has
// returned (see Launcher.Start). StartAhead returns nil, starting
// nothing, when p has a child (Start then logs why).
func (p *Process) StartAhead(st Starter) (finish func() int) {
	if p.pid != 0 {
		return nil
	}
	wait := st.Start(p)
	return func() int {
		p.streak = 0
		p.beginSpawn()
		return p.spawned(wait())
	}
}

// backoffWait is how long a process entering BACKOFF waits before its
// next try: 4.2's 1, 2, 3… seconds, or the restart delay when one is set.
func (p *Process) backoffWait() time.Duration {
	if p.Config.RestartDelay == 0 {
		return time.Duration(p.backoff) * time.Second
	}
	if p.backoff > p.Config.Startretries {
		return 0 // no try follows: the process gives up
	}
	return p.nextWait()
}

// delayRestart starts the wait before the autorestart of a process that
// just went EXITED (from Finish, now being the exit's time); a run that
// lasted restart_delay_max ends the streak first.
func (p *Process) delayRestart(now time.Time) {
	if p.Config.RestartDelay == 0 || !p.shouldAutoStart() {
		return
	}
	if !p.runSince.IsZero() && now.Sub(p.runSince) >= p.Config.RestartDelayMax {
		p.streak = 0
	}
	p.delay = now.Add(p.nextWait())
}

// nextWait is the wait of the next automatic restart, counted in the
// streak.
func (p *Process) nextWait() time.Duration {
	d, limit := p.Config.RestartDelay, p.Config.RestartDelayMax
	for i := 0; i < p.streak && d < limit; i++ {
		d *= 2
	}
	p.wait = min(d, limit)
	if p.streak < math.MaxInt32 {
		p.streak++
	}
	return p.wait
}

// announceRestart logs the wait of a delayed restart that has just begun.
func (p *Process) announceRestart() {
	if !p.RestartAt().IsZero() {
		p.opts.Log.Info("waiting %s s before restarting %s", config.FormatSeconds(p.wait), p.Name())
	}
}

// restartWaiting reports whether an EXITED process's autorestart still
// waits for its delay (the clock is read only then).
func (p *Process) restartWaiting() bool {
	return p.state == Exited && !p.delay.IsZero() && p.opts.Now().Before(p.delay)
}

// RestartAt is when a delayed automatic restart is due: in EXITED before
// the autorestart, in BACKOFF before the next try. It is zero when none is
// pending, and always without restart_delay (4.2's BACKOFF waits are not
// shown, as 4.2 does not show them).
func (p *Process) RestartAt() time.Time {
	if p.Config.RestartDelay == 0 {
		return time.Time{}
	}
	switch p.state {
	case Backoff:
		if p.backoff <= p.Config.Startretries {
			return p.delay
		}
	case Exited:
		if p.shouldAutoStart() {
			return p.delay
		}
	}
	return time.Time{}
}

// CancelRestart is a stop request while an EXITED process waits to be
// restarted: the wait ends and the process is STOPPED. It reports whether
// there was such a wait (a BACKOFF process is stopped by Stop, as in 4.2).
func (p *Process) CancelRestart() bool {
	if p.state != Exited || p.RestartAt().IsZero() {
		return false
	}
	p.delay = time.Time{}
	p.adminStop = true
	p.to(Stopped, true)
	p.opts.Log.Info("stopped: %s (restart cancelled)", p.Name())
	return true
}

// RestartIn describes a pending restart for status: "restarting in 8 s"
// (whole seconds, rounded up; "restarting now" once due).
func RestartIn(at, now time.Time) string {
	left := at.Sub(now)
	if left <= 0 {
		return "restarting now"
	}
	return "restarting in " + strconv.FormatInt(int64((left+time.Second-1)/time.Second), 10) + " s"
}
