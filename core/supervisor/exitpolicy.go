package supervisor

import (
	"sync/atomic"

	"super/core/process"
)

// The container exit policy: critical=true makes a process's end the
// daemon's end, and [supervisord] exit_when_done=true ends the daemon once
// every process is done. Either way the daemon stops everything as for
// SIGTERM and supervisord exits with the status chosen here (ExitStatus).
// Neither fires while the daemon is already shutting down or restarting,
// and a process stopped by a user is STOPPED, which neither looks at.

// exitState is what the policy decided; status is read by the daemon
// after Run returns.
type exitState struct {
	status atomic.Int32
	ended  []*proc // went EXITED or FATAL since the last settleExit
}

// ExitStatus is the exit status supervisord should end with after Run
// returned nil: 0 for a shutdown asked for (signal, supervisorctl
// shutdown), else what the exit policy chose.
func (s *Supervisor) ExitStatus() int { return int(s.exit.status.Load()) }

// exitPolicy notes a process that went EXITED or FATAL (from onChange).
// The decision waits for settleExit: the change is still being made (its
// "exited:" line is not logged yet, the reaper may have more children to
// hand over).
func (s *Supervisor) exitPolicy(c process.Change) {
	if c.To != process.Exited && c.To != process.Fatal {
		return
	}
	if !c.Process.Config.Critical && !s.cfg.Supervisord.ExitWhenDone {
		return
	}
	if s.mood != process.MoodRunning || s.stopping {
		return
	}
	if p := s.procOf(c.Process); p != nil {
		s.exit.ended = append(s.exit.ended, p)
	}
}

// settleExit decides on the processes that ended since the last call (the
// loop calls it after each pass and reap): a critical one that went FATAL
// or will not be restarted starts the shutdown, as does exit_when_done
// once every process is done.
func (s *Supervisor) settleExit() {
	if len(s.exit.ended) == 0 {
		return
	}
	ended := s.exit.ended
	s.exit.ended = s.exit.ended[:0]
	if s.mood != process.MoodRunning || s.stopping {
		return
	}
	for _, p := range ended {
		st := p.State()
		if !p.Config.Critical || !criticalEnd(p) {
			continue
		}
		status := endStatus(p)
		if st == process.Fatal {
			s.log.Critical("critical process %s entered FATAL state: shutting down with exit status %d", p.Name(), status)
		} else {
			s.log.Critical("critical process %s exited and will not be restarted: shutting down with exit status %d", p.Name(), status)
		}
		s.exitWith(status)
		return
	}
	if s.cfg.Supervisord.ExitWhenDone && s.allDone() {
		status := s.doneStatus()
		s.log.Info("every process is done (exit_when_done): shutting down with exit status %d", status)
		s.exitWith(status)
	}
}

// criticalEnd reports whether p, critical, has ended in a way that ends
// the daemon: FATAL, or EXITED with no autorestart to follow. A one-shot's
// EXITED is its success, and a scheduled program's expected exit is the
// end of one run (oneshot.go, schedule.go).
func criticalEnd(p *proc) bool {
	switch p.State() {
	case process.Fatal:
		return true
	case process.Exited:
		switch {
		case p.Config.Oneshot:
			return false
		case p.Config.Schedule != "":
			return !p.ExitExpected(p.ExitStatus())
		}
		return !p.AutoStartDue()
	}
	return false
}

// exitWith starts the shutdown SIGTERM starts, to end with status.
func (s *Supervisor) exitWith(status int) {
	s.exit.status.Store(int32(status))
	s.mood = process.MoodShutdown
}

// endStatus is the status a process ended with, as a shell reports it:
// its exit code, 128+signal when a signal killed it; a FATAL process
// whose last exit was 0 (or that never ran) is a failure all the same: 1.
func endStatus(p *proc) int {
	if p.State() == process.Fatal {
		return failStatus(p)
	}
	return p.lastExit
}

// failStatus is the status of a process that failed: its last exit
// status, or 1 when that was 0 (a failure must not read as success).
func failStatus(p *proc) int {
	if p.lastExit == 0 {
		return 1
	}
	return p.lastExit
}

// allDone reports whether nothing is left to happen on its own: no process
// is starting, running, backing off or stopping, none is due to restart,
// and none waits for an automatic start that can still come (one held by
// a dependency that failed for good waits in vain).
func (s *Supervisor) allDone() bool {
	s.resolveDeps()
	for _, g := range s.order {
		for _, p := range g.procs {
			if scheduleActive(p) {
				return false // its next tick will start it
			}
			switch p.State() {
			case process.Starting, process.Running, process.Backoff, process.Stopping, process.Unknown:
				return false
			case process.Exited:
				if p.AutoStartDue() {
					return false
				}
			case process.Stopped:
				if p.AutoStartDue() && !s.waitsInVain(p, 0) {
					return false
				}
			}
		}
	}
	return true
}

// doneStatus is exit_when_done's exit status: 0 when every process ended
// as expected, else the status of the first one, in priority order, that
// did not (FATAL, or exited with a code not in exitcodes). A process that
// ended unexpectedly with code 0 (exitcodes without 0) still makes it 1.
func (s *Supervisor) doneStatus() int {
	for _, g := range s.order {
		for _, p := range g.procs {
			if p.State() == process.Fatal ||
				p.State() == process.Exited && !p.ExitExpected(p.ExitStatus()) {
				return failStatus(p)
			}
		}
	}
	return 0
}
