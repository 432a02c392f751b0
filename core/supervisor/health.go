package supervisor

import (
	"context"
	"strings"
	"time"

	"super/core/config"
	"super/core/health"
	"super/core/process"
)

// Health checks (healthcheck= and its healthcheck_* keys) run only while a
// process is RUNNING: the first probe at once on entering RUNNING, the next
// healthcheck_interval after each probe ends. Each probe runs on its own
// goroutine (a time.AfterFunc per process, no ticker over all processes);
// its result comes back to the loop as a request, which alone updates the
// process's health. A result for an earlier RUNNING period (the process
// left RUNNING or was spawned again meanwhile) is dropped.
//
// Exec probes fork children that the loop's reaper (wait4(-1)) would
// otherwise steal: they start through s.probeKids (health.Children), which
// the reaper goes through, so it hands a check's status to its probe (see
// health.Children for why that is race-free).

// healthRun is one process's health checking; owned by the loop.
type healthRun struct {
	verdict health.Verdict
	probe   health.Probe // built at the first RUNNING
	gen     uint64       // changes whenever the process enters or leaves RUNNING
	ctx     context.Context
	cancel  context.CancelFunc // ends the probe under way when RUNNING ends
	timer   *time.Timer        // the next probe of this RUNNING period
}

// healthChange follows a process's transitions (from onChange): each spawn
// starts the verdict over, RUNNING starts probing and leaving it stops.
func (s *Supervisor) healthChange(c process.Change) {
	hcfg := c.Process.Config.Healthcheck
	if hcfg == nil {
		return
	}
	p := s.procOf(c.Process)
	if p == nil {
		return
	}
	if p.hc == nil {
		p.hc = &healthRun{verdict: health.NewVerdict(hcfg)}
	}
	hc := p.hc
	switch {
	case c.To == process.Starting:
		hc.verdict.Reset()
		s.setHealth(p, &hc.verdict)
	case c.To == process.Running:
		hc.gen++
		hc.ctx, hc.cancel = context.WithCancel(context.Background())
		// An exec check runs with the program's environment: built again
		// for each RUNNING period when environment files or login_env
		// make it change between spawns.
		if hc.probe == nil || hcfg.Kind == config.HealthExec && (len(p.Config.EnvironmentFiles) > 0 || p.Config.LoginEnv) {
			hc.probe = s.newProbe(p)
		}
		s.probeAfter(p, 0)
	case c.From == process.Running:
		// An unhealthy verdict stays until the next spawn (it says why
		// the process is being restarted); a healthy one no longer holds
		// for a process that is not running.
		if hc.verdict.Status == health.Healthy {
			hc.verdict.Reset()
			s.setHealth(p, &hc.verdict)
		}
		hc.gen++
		if hc.cancel != nil {
			hc.cancel()
		}
		if hc.timer != nil {
			hc.timer.Stop()
		}
	}
}

// newProbe builds p's probe; an exec check gets the environment p's own
// children get.
func (s *Supervisor) newProbe(p *proc) health.Probe {
	hcfg := p.Config.Healthcheck
	ex := health.Exec{Program: p.Config, DaemonEnv: s.cfg.Supervisord.Environment, Children: &s.probeKids}
	if hcfg.Kind == config.HealthExec {
		env, err := s.launcher.Environ(p.Config)
		if err != nil {
			// An environment file changed since the spawn read it: the
			// checks run without the files (the next spawn reports it).
			s.log.Warn("health check of %s: %v", p.Name(), err)
			cfg := *p.Config
			cfg.EnvironmentFiles, cfg.LoginEnv = nil, false
			env, _ = s.launcher.Environ(&cfg)
		}
		ex.Env = env
	}
	return health.New(hcfg, ex)
}

// probeAfter runs p's probe d from now, off the loop, for the current
// RUNNING period (whatever the timer's goroutine needs is copied now).
func (s *Supervisor) probeAfter(p *proc, d time.Duration) {
	hc := p.hc
	gen, pid, ctx, probe := hc.gen, p.Pid(), hc.ctx, hc.probe
	hc.timer = time.AfterFunc(d, func() {
		began := time.Now()
		r := probe.Check(ctx)
		// Not s.do: the probe need not wait for the loop, and a probe
		// is not the kind of burst after which idle memory is released.
		select {
		case s.reqs <- func() { s.probeDone(p, gen, pid, began, r) }:
		case <-s.done:
		}
	})
}

// probeDone takes a probe's result on the loop. A process becoming ready
// needs nothing more here for those waiting for it (depends_on): the loop
// makes a pass after every request, and nextDeadline finds a start whose
// wait ended due at once when the request came in the middle of a pass.
func (s *Supervisor) probeDone(p *proc, gen uint64, pid int, began time.Time, r health.Result) {
	hc := p.hc
	if hc == nil || hc.gen != gen || p.Pid() != pid || p.State() != process.Running {
		return
	}
	v := &hc.verdict
	changed := v.Record(r, began.Sub(p.LastStart()))
	s.setHealth(p, v)
	p.healthChecked = time.Now()
	if !r.OK {
		s.log.Debug("%s failed a health check (%d of %d): %s", p.Name(), v.Failures, v.Retries, oneLine(r.Output))
	}
	if changed {
		switch v.Status {
		case health.Healthy:
			s.log.Debug("%s is healthy", p.Name())
		case health.Unhealthy:
			s.log.Warn("%s is unhealthy: %s", p.Name(), oneLine(v.Output))
			if p.Config.Healthcheck.Action == config.HealthRestart {
				s.restartUnhealthy(p)
			}
		}
	}
	if hc.gen == gen { // still RUNNING: the next probe
		s.probeAfter(p, p.Config.Healthcheck.Interval)
	}
}

// setHealth copies a verdict into the counters Stats reports and
// announces a change of status to subscribers.
func (s *Supervisor) setHealth(p *proc, v *health.Verdict) {
	was := p.health
	p.health = v.Status
	p.healthFails, p.healthOutput = v.Failures, v.Output
	if p.health != was {
		s.emit(Event{Type: HealthChanged, Name: p.Name(), Group: p.group.cfg.Name, Time: time.Now()})
	}
}

// restartUnhealthy does what `supervisorctl restart` does: stop the
// process (4.2's stopProcess) and, once it is STOPPED, start it
// (startProcess), with the usual log lines. Nothing is started when the
// daemon is shutting down or restarting meanwhile, when the group was
// removed, or when something else moved the process on (a start by hand).
func (s *Supervisor) restartUnhealthy(p *proc) {
	spec := Namespec(p.group.cfg.Name, p.Name())
	if _, err := s.stopOne(spec, p, false); err != nil {
		s.log.Warn("could not stop %s: %v", spec, err)
		return
	}
	s.waits = append(s.waits, &waiter{
		check: func() (bool, error) {
			switch p.State() {
			case process.Stopping:
				return false, nil
			case process.Stopped:
				if s.mood == process.MoodRunning && s.groups[p.group.cfg.Name] == p.group {
					if _, err := s.startOne(spec, p, false); err != nil {
						s.log.Warn("could not start %s again: %v", spec, err)
					}
				}
			}
			return true, nil
		},
		done: make(chan error, 1),
	})
}

// oneLine keeps a check's output to one activity log line: tools reading
// the log take each line for one entry. Line breaks become " | "; the
// whole output stays in the health struct (super.getProcessHealth).
func oneLine(out string) string {
	if !strings.ContainsAny(out, "\r\n") {
		return out
	}
	lines := strings.FieldsFunc(out, func(r rune) bool { return r == '\n' || r == '\r' })
	return strings.Join(lines, " | ")
}
