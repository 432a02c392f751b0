package supervisor

import (
	"strings"
	"time"

	"super/core/process"
)

// depends_on: an automatic start of a process (autostart at daemon start,
// after a reload, when its group is added) waits until every process it
// depends on is ready(); a start asked for by a user is never held. At
// shutdown and in stopAllProcesses a process gets its stop signal only
// once every process depending on it has stopped.
//
// The relations are resolved from the config into pointers once per change
// of the set of groups (orderGen), not on every pass. A config without
// depends_on sets no relation and every check below returns at its first
// test, so 4.2 configs pay nothing.

// depGraph is the supervisor's view of the relations; owned by the loop.
type depGraph struct {
	gen int  // orderGen the relations were resolved for (orderGen starts at 1)
	any bool // some process depends on another (or on a group not present)
	n   int  // processes: no chain of dependencies is longer
}

// depState is one proc's relations and what the gate has logged about it.
type depState struct {
	on         []*proc  // what this process waits for, each once
	missing    []string // depends_on entries naming no active group or process
	dependents []*proc  // processes that wait for this one

	waitLogged bool          // "waiting for … before starting" was logged
	toldDep    *proc         // the dependency last reported as ending the wait …
	toldState  process.State // … and the state it was in
	toldMiss   bool          // a missing dependency was reported
	holdLogged bool          // "waiting for … to stop before stopping" was logged
}

// resolveDeps maps every depends_on entry to the procs it names, when the
// set of groups changed since the last time.
func (s *Supervisor) resolveDeps() {
	if s.dep.gen == s.orderGen {
		return
	}
	s.dep.gen = s.orderGen
	s.dep.any, s.dep.n = false, 0
	for _, g := range s.order {
		for _, p := range g.procs {
			s.dep.n++
			p.dep.on, p.dep.missing, p.dep.dependents = p.dep.on[:0], nil, p.dep.dependents[:0]
		}
	}
	for _, g := range s.order {
		for _, p := range g.procs {
			for _, d := range p.Config.DependsOn {
				dg := s.groups[d.Group]
				if dg == nil {
					p.dep.missing = append(p.dep.missing, d.String())
					continue
				}
				if d.Process == "" {
					for _, q := range dg.procs {
						s.link(p, q)
					}
				} else if q := dg.proc(d.Process); q != nil {
					s.link(p, q)
				} else {
					p.dep.missing = append(p.dep.missing, d.String())
				}
			}
			if len(p.dep.on) > 0 || len(p.dep.missing) > 0 {
				s.dep.any = true
			}
		}
	}
}

// link records that p depends on q.
func (s *Supervisor) link(p, q *proc) {
	if p == q {
		return
	}
	for _, x := range p.dep.on {
		if x == q {
			return
		}
	}
	p.dep.on = append(p.dep.on, q)
	q.dep.dependents = append(q.dep.dependents, p)
}

// startBlocker is what holds p's automatic start back: the first
// dependency that is not ready (dep), or the name of one that is not
// configured (missing). Both are empty when nothing holds p: it has no
// dependencies, it is not about to start on its own, or the daemon is not
// running (no automatic starts then anyway).
func (s *Supervisor) startBlocker(p *proc) (dep *proc, missing string) {
	if len(p.dep.on) == 0 && len(p.dep.missing) == 0 {
		return nil, ""
	}
	if p.State() != process.Stopped || s.mood != process.MoodRunning || !p.AutoStartDue() {
		return nil, ""
	}
	for _, d := range p.dep.on {
		if !d.ready() {
			return d, ""
		}
	}
	if len(p.dep.missing) > 0 {
		return nil, p.dep.missing[0]
	}
	return nil, ""
}

// holdStart reports whether the pass must skip p: its automatic start
// waits for a dependency. It logs once when p starts waiting, and once
// more when the wait can no longer end on its own (a dependency went
// FATAL, exited for good, or is not configured).
func (s *Supervisor) holdStart(p *proc) bool {
	dep, missing := s.startBlocker(p)
	if dep == nil && missing == "" {
		p.dep.waitLogged, p.dep.toldDep, p.dep.toldMiss = false, nil, false
		return false
	}
	name := missing
	if dep != nil {
		name = dep.Name()
	}
	if !p.dep.waitLogged {
		p.dep.waitLogged = true
		s.log.Info("waiting for %s to be ready before starting %s", name, p.Name())
	}
	switch {
	case missing != "" && !p.dep.toldMiss:
		p.dep.toldMiss = true
		s.log.Warn("not starting %s: its dependency %s is not configured", p.Name(), missing)
	case s.untoldInVain(p, dep):
		p.dep.toldDep, p.dep.toldState = dep, dep.State()
		s.log.Warn("not starting %s: its dependency %s is %s", p.Name(), dep.Name(), dep.State())
	}
	return true
}

// untoldInVain reports whether p waits in vain for dep (see waitsInVain)
// and holdStart has not said so for dep in its present state.
func (s *Supervisor) untoldInVain(p, dep *proc) bool {
	return dep != nil && (dep != p.dep.toldDep || dep.State() != p.dep.toldState) && s.waitsInVain(dep, 0)
}

// gatePending reports, for nextDeadline, whether p is held (then its own
// deadline does not count: it would say "start now") and whether the gate
// has something to log about it, which wants a pass at once. It asks what
// holdStart logs on: were they to differ, the loop would spin.
func (s *Supervisor) gatePending(p *proc) (held, due bool) {
	dep, missing := s.startBlocker(p)
	if dep == nil && missing == "" {
		return false, false
	}
	return true, !p.dep.waitLogged || (missing != "" && !p.dep.toldMiss) || s.untoldInVain(p, dep)
}

// waitsInVain reports whether p will not become ready without a user's
// help: it is FATAL or UNKNOWN, it exited or stopped and nothing starts it
// again, or it is itself held by such a dependency. A process running but
// not yet healthy may still become ready.
func (s *Supervisor) waitsInVain(p *proc, depth int) bool {
	if depth > s.dep.n { // a cycle (groups of two configs): give up looking
		return false
	}
	switch p.State() {
	case process.Fatal, process.Unknown:
		return true
	case process.Exited:
		return !p.AutoStartDue()
	case process.Stopped:
		if !p.AutoStartDue() {
			return true
		}
		if len(p.dep.missing) > 0 {
			return true
		}
		for _, d := range p.dep.on {
			if !d.ready() && s.waitsInVain(d, depth+1) {
				return true
			}
		}
	}
	return false
}

// runningDependents reports whether a process depending on p has not
// stopped yet.
func runningDependents(p *proc) bool {
	for _, d := range p.dep.dependents {
		if !d.State().IsStopped() {
			return true
		}
	}
	return false
}

// dependentStarts notes when each process depending on p last started.
func dependentStarts(p *proc) map[*proc]time.Time {
	m := make(map[*proc]time.Time, len(p.dep.dependents))
	for _, d := range p.dep.dependents {
		m[d] = d.LastStart()
	}
	return m
}

// restartedDependent is a process depending on p that was started again
// since its start was noted (when the stop request holding p came) and
// is not being stopped.
func restartedDependent(p *proc, noted map[*proc]time.Time) *proc {
	for _, d := range p.dep.dependents {
		switch d.State() {
		case process.Running, process.Starting, process.Backoff:
			if !d.LastStart().Equal(noted[d]) {
				return d
			}
		}
	}
	return nil
}

// logStopHold says once why p's stop waits.
func (s *Supervisor) logStopHold(p *proc) {
	if p.dep.holdLogged {
		return
	}
	p.dep.holdLogged = true
	var names []string
	for _, d := range p.dep.dependents {
		if !d.State().IsStopped() {
			names = append(names, d.Name())
		}
	}
	s.log.Info("waiting for %s to stop before stopping %s", strings.Join(names, ", "), p.Name())
}

// holdStop is the shutdown's dependency order: p (RUNNING or STARTING)
// must not be signalled while a process depending on it runs. Those
// dependents, wherever they are in the stop order, are stopped first
// (their own dependents before them); it reports whether p must wait.
func (s *Supervisor) holdStop(p *proc) bool {
	return s.stopDependents(p, 0)
}

func (s *Supervisor) stopDependents(p *proc, depth int) bool {
	if !runningDependents(p) {
		p.dep.holdLogged = false
		return false
	}
	s.logStopHold(p)
	if depth > s.dep.n { // a cycle (groups of two configs): stop without order
		return false
	}
	for _, d := range p.dep.dependents {
		switch d.State() {
		case process.Running, process.Starting:
			if !s.stopDependents(d, depth+1) {
				d.Stop()
			}
		case process.Backoff:
			d.GiveUp()
		}
	}
	return true
}

// depStopper is stopAllProcesses' stop of one process: at once when no
// process depending on it runs, else a waiter that sends the stop signal
// once they have all stopped. Without wait the request does not wait for
// it; the stop still happens.
func (s *Supervisor) depStopper(wait bool) func(string, *proc) (*waiter, error) {
	return func(spec string, p *proc) (*waiter, error) {
		s.resolveDeps()
		if !s.dep.any || !runningDependents(p) || !p.State().IsRunning() {
			// (Not running: a restart waiting out its delay, which the
			// stop ends at once.)
			return s.stopOne(spec, p, wait)
		}
		s.logStopHold(p)
		started := dependentStarts(p)
		var stop *waiter // stopOne's, once p got its stop signal
		w := &waiter{done: make(chan error, 1), deadline: p.NextStopReport}
		w.check = func() (bool, error) {
			if stop != nil {
				return stop.check()
			}
			switch {
			case s.mood != process.MoodRunning:
				// The shutdown stops it, in the same order.
				return p.State().IsStopped(), nil
			case !p.State().IsRunning():
				// Stopped (or being stopped) by someone else meanwhile.
				return !wait || p.State().IsStopped(), nil
			case runningDependents(p):
				d := restartedDependent(p, started)
				if d == nil {
					return false, nil
				}
				// Someone started a dependent again: waiting for it
				// would never end, so the request stops p as 4.2 would.
				s.log.Info("stopping %s although %s, which depends on it, was started again", p.Name(), d.Name())
			}
			p.dep.holdLogged = false
			var err error
			if stop, err = s.stopOne(spec, p, wait); stop == nil {
				return true, err
			}
			return stop.check()
		}
		if wait {
			return w, nil
		}
		s.waits = append(s.waits, w)
		return nil, nil
	}
}
