package supervisor

import (
	"time"

	"super/core/config"
	"super/core/process"
)

// Schedules (schedule=): a scheduled program is started at each tick of
// its cron spec that finds it not running, and by nothing else (see
// core/process/schedule.go for what that changes in the process).
//
//	tick, not running       Start (a spawn error is BACKOFF, then FATAL, as 4.2)
//	tick, still running     skipped: INFO skipped scheduled run of job: still RUNNING
//	tick, dependency down   skipped: INFO skipped scheduled run of job: db is not ready
//	stop                    the schedule stops until a start (an EXITED program
//	                        goes STOPPED): INFO schedule of job stopped until it is started
//	start                   runs it now and resumes the schedule (started once
//	                        spawned, as a one-shot: oneshot.go)
//
// The ticks are the loop's deadlines like any other (nextTick): no timer
// per program, no polling. A missed tick (the daemon was busy, the clock
// jumped) is not made up for: after a tick the next one is the schedule's
// first after now. A config without schedule= has no scheduled process,
// and every function here returns at its first test.

// schedules is the engine's list of scheduled processes; owned by the loop.
type schedules struct {
	gen   int              // orderGen the list was made for
	procs []*proc          // the processes with a schedule, in priority order
	clock func() time.Time // time.Now; tests set it
}

// scheduleRun is one process's schedule; owned by the loop.
type scheduleRun struct {
	spec    config.Schedule
	next    time.Time // the next tick; zero while stopped or when there is none
	stopped bool      // stopped by a stop request until a start
}

func (s *Supervisor) now() time.Time {
	if s.sched.clock != nil {
		return s.sched.clock()
	}
	return time.Now()
}

// resolveSchedules lists the scheduled processes again when the set of
// groups changed, and gives a new one its first tick.
func (s *Supervisor) resolveSchedules() {
	if s.sched.gen == s.orderGen {
		return
	}
	s.sched.gen = s.orderGen
	s.sched.procs = s.sched.procs[:0]
	for _, g := range s.order {
		for _, p := range g.procs {
			if p.Config.Schedule == "" {
				continue
			}
			if p.sched == nil {
				spec, err := config.ParseSchedule(p.Config.Schedule)
				if err != nil { // checked at load; the time zone database may have gone since
					s.log.Error("schedule of %s: %v", p.Name(), err)
					continue
				}
				p.sched = &scheduleRun{spec: spec}
				s.nextRun(p, s.now())
			}
			s.sched.procs = append(s.sched.procs, p)
		}
	}
}

// nextRun sets p's next tick after now.
func (s *Supervisor) nextRun(p *proc, now time.Time) {
	p.sched.next = p.sched.spec.Next(now)
	if p.sched.next.IsZero() {
		s.log.Warn("schedule of %s has no further run", p.Name())
	}
}

// tickSchedules runs the ticks that are due (from transition, before the
// pass: a run it starts is then one of the pass's STARTING processes).
func (s *Supervisor) tickSchedules() {
	s.resolveSchedules()
	if len(s.sched.procs) == 0 || s.mood != process.MoodRunning {
		return
	}
	now := s.now()
	for _, p := range s.sched.procs {
		r := p.sched
		if r.next.IsZero() || now.Before(r.next) {
			continue
		}
		s.nextRun(p, now)
		s.scheduledRun(p)
	}
}

// scheduledRun is one tick of p's schedule.
func (s *Supervisor) scheduledRun(p *proc) {
	switch st := p.State(); st {
	case process.Starting, process.Running, process.Backoff, process.Stopping, process.Unknown:
		s.log.Info("skipped scheduled run of %s: still %s", p.Name(), st)
		return
	}
	if s.dep.any {
		for _, d := range p.dep.on {
			if !d.ready() {
				s.log.Info("skipped scheduled run of %s: %s is not ready", p.Name(), d.Name())
				return
			}
		}
		if len(p.dep.missing) > 0 {
			s.log.Info("skipped scheduled run of %s: %s is not configured", p.Name(), p.dep.missing[0])
			return
		}
	}
	s.spawn(p)
}

// nextTick is the earliest tick of any schedule, for the loop's deadline
// (zero when none is due ever or the daemon is not running).
func (s *Supervisor) nextTick() time.Time {
	var next time.Time
	if s.mood != process.MoodRunning {
		return next
	}
	for _, p := range s.sched.procs {
		if t := p.sched.next; !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	return next
}

// scheduleOf is p's schedule, nil without one.
func (s *Supervisor) scheduleOf(p *proc) *scheduleRun {
	if p.Config.Schedule == "" {
		return nil
	}
	s.resolveSchedules() // a group added by a request just before
	return p.sched
}

// scheduleActive reports whether p's schedule will start it (a stop
// request has something to stop).
func scheduleActive(p *proc) bool { return p.sched != nil && !p.sched.stopped }

// stopSchedule is a stop request's part for a scheduled process: the
// schedule stops until a start. It reports whether p is done with by that
// (it was between runs: EXITED goes STOPPED).
func (s *Supervisor) stopSchedule(p *proc) bool {
	r := s.scheduleOf(p)
	if r == nil || r.stopped {
		return false
	}
	r.stopped, r.next = true, time.Time{}
	s.log.Info("schedule of %s stopped until it is started", p.Name())
	if p.State().IsRunning() {
		return false // and the stop goes on as for any program
	}
	p.Unschedule()
	return true
}

// resumeSchedule is a start request's part for a scheduled process whose
// schedule was stopped.
func (s *Supervisor) resumeSchedule(p *proc) {
	r := s.scheduleOf(p)
	if r == nil || !r.stopped {
		return
	}
	r.stopped = false
	s.nextRun(p, s.now())
	s.log.Info("schedule of %s resumed", p.Name())
}

// NextRunText is how status shows a scheduled process's next run:
// "next run at 2026-01-02 15:04:05", the daemon's local time as the
// activity log writes it.
func NextRunText(t time.Time) string {
	return "next run at " + t.Local().Format("2006-01-02 15:04:05")
}
