package supervisor

import (
	"syscall"
	"time"

	"super/core/process"
)

// How the reaper finds exited children without looking at all of them
// after every exit.
//
// wait4(-1) looks at every child of the daemon, each time it is called, and
// the reap loop calls it until it finds none: with 5,000 children that was
// half of the daemon's CPU time in a shutdown, which stops one group per
// pass and so reaps once per program. Most exits the loop reaps are ones
// it asked for: the children of STOPPING processes. When there are few of
// them, the reaper first waits for each by pid (the kernel looks at that
// child only); if one of them was the exit, the look at every child comes
// at most every fullScanGap, so a burst of expected exits costs one full
// look per gap, not one per exit. An exit nobody expected (a crash, an
// orphan as PID 1) is found by the next full look: at once when no
// expected child had exited, else within fullScanGap.

const (
	// fullScanGap is the shortest time between two looks at every child
	// when expected exits keep coming.
	fullScanGap = 10 * time.Millisecond
	// maxExpected is how many STOPPING processes are waited for by pid;
	// with more, one look at every child is cheaper than a call per pid.
	maxExpected = 16
)

// reapState is the reaper's record; owned by the loop.
type reapState struct {
	expect   map[*proc]struct{} // STOPPING processes, whose exit the loop asked for
	lastFull time.Time          // the last look at every child
	due      time.Time          // a look at every child is owed by then (zero: none)
}

// expectChange follows p into and out of STOPPING (onChange).
func (s *Supervisor) expectChange(p *proc, c process.Change) {
	switch {
	case c.To == process.Stopping:
		if s.reaping.expect == nil {
			s.reaping.expect = map[*proc]struct{}{}
		}
		s.reaping.expect[p] = struct{}{}
	case c.From == process.Stopping:
		delete(s.reaping.expect, p)
	}
}

// fullScanDue reports whether a look at every child is owed by now.
func (s *Supervisor) fullScanDue(now time.Time) bool {
	return !s.reaping.due.IsZero() && !now.Before(s.reaping.due)
}

// exits returns the source of exited children for one reap: the expected
// ones by pid first, then wait4(-1, WNOHANG) through the health checks'
// Children, unless an expected child was found and the last full look is
// less than fullScanGap ago (then a full look is owed: reaping.due). It
// returns pid 0 when there is nothing more to reap now.
func (s *Supervisor) exits() func(ws *syscall.WaitStatus) (int, error) {
	var targets []int
	if n := len(s.reaping.expect); n > 0 && n <= maxExpected {
		for p := range s.reaping.expect {
			if pid := p.Pid(); pid > 0 {
				targets = append(targets, pid)
			}
		}
	}
	found, full := false, false
	return func(ws *syscall.WaitStatus) (int, error) {
		for len(targets) > 0 {
			pid, err := syscall.Wait4(targets[0], ws, syscall.WNOHANG, nil)
			if err == syscall.EINTR {
				continue
			}
			targets = targets[1:]
			if err == nil && pid > 0 {
				found = true
				return pid, nil
			}
		}
		if !full {
			now := time.Now()
			if found && now.Sub(s.reaping.lastFull) < fullScanGap {
				s.reaping.due = s.reaping.lastFull.Add(fullScanGap)
				return 0, nil
			}
			full = true
			s.reaping.lastFull, s.reaping.due = now, time.Time{}
		}
		return s.probeKids.Wait4(ws)
	}
}

// reapOne collects p's child if it has exited already: a request's look
// right after it started or signalled p (4.2's request handlers reap).
// Only p's child is looked at, so starting or stopping all of 5,000
// programs does not look at every child 5,000 times; the others' exits
// are reaped by the loop after their SIGCHLD, right after the request.
func (s *Supervisor) reapOne(p *proc) {
	pid := p.Pid()
	if pid <= 0 {
		return
	}
	var ws syscall.WaitStatus
	for {
		got, err := syscall.Wait4(pid, &ws, syscall.WNOHANG, nil)
		if err == syscall.EINTR {
			continue
		}
		if err != nil || got != pid {
			return
		}
		s.drainNotify() // a READY=1 sent before the exit comes first
		s.reaped(pid, ws)
		return
	}
}
