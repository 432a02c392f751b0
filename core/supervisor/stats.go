package supervisor

import (
	"syscall"
	"time"

	"super/core/config"
	"super/core/health"
	"super/core/process"
	"super/core/usage"
)

// What super tracks per process beyond 4.2's getProcessInfo, for its own
// surfaces (the super.* RPC namespace, status' health column, /metrics,
// /readyz). Nothing here changes a 4.2 answer.

// Health is a process's health as its healthcheck last judged it; the
// verdict's own type, so the engine and its readers share one set of names.
type Health = health.Status

const (
	HealthNone      = health.None      // no healthcheck configured
	HealthStarting  = health.Starting  // checked, but no verdict yet (not running, start period, no probe done)
	HealthHealthy   = health.Healthy   // the last probe passed
	HealthUnhealthy = health.Unhealthy // healthcheck_retries probes in a row failed
)

// stats is a proc's own counters; owned by the loop like the rest of proc.
type stats struct {
	starts   int // spawns since the daemon (or this group) started
	exits    int // children reaped
	lastExit int // exit code of the last reaped child; 128+signal when killed

	health        Health
	healthFails   int       // consecutive failed probes
	healthOutput  string    // what the last failed probe said; "" after a pass
	healthChecked time.Time // when the last probe finished; zero if none yet
}

// ProcessStats is one process's counters and health.
type ProcessStats struct {
	Name, Group    string
	State          process.State
	Start          time.Time // last start; zero if never
	Starts         int       // spawns since the daemon started (see Restarts)
	Exits          int       // children reaped
	LastExitStatus int       // exit code of the last exit; 128+signal when killed by one
	Health         Health
	HealthFailures int       // consecutive failed probes
	HealthOutput   string    // the last failed probe's message
	HealthChecked  time.Time // zero if no probe finished yet

	// Lifecycle policies (backoff.go, schedule.go); zero when not configured.
	RestartAt    time.Time // a delayed automatic restart is due then; zero when none is pending
	NextRun      time.Time // the schedule's next tick; zero while stopped
	RestartDelay bool      // restart_delay is set
	Scheduled    bool      // schedule is set

	// sd_notify (notify.go).
	Notify           bool   // notify=true
	WatchdogSecs     int    // watchdog_secs; 0 = none
	NotifyStatus     string // the last STATUS= since the spawn
	WatchdogTimeouts int    // watchdog timeouts since the daemon (or this group) started

	// Resource control (resources.go).
	Pid       int               // the child's pid; 0 when not running
	Resources *config.Resources // the configured limits (shared, read-only)
	Cgroup    bool              // the process has a cgroup
	OOMKills  int64             // processes of its cgroup the OOM killer killed
	Usage     *usage.Figures    // CPU and memory of its tree; nil unless asked for (WithUsage)
}

// Restarts is how many of the process's starts were restarts: every
// spawn after the first. /metrics, super.getAllProcessStats and the JSON
// API all report it.
func (ps *ProcessStats) Restarts() int { return max(ps.Starts-1, 0) }

// StatsOption changes what Stats reads.
type StatsOption int

// WithUsage makes Stats read every process's CPU and memory figures
// (ProcessStats.Usage), off the loop: a pass over /proc and a few cgroup
// files, only when a caller asks.
const WithUsage StatsOption = 1

// Stats returns every process's counters, in getAllProcessInfo's order;
// with WithUsage also the CPU and memory of each one's tree.
func (s *Supervisor) Stats(opts ...StatsOption) ([]ProcessStats, error) {
	var out []ProcessStats
	var targets []usage.Target
	var oomBase []int64
	withUsage := false
	for _, o := range opts {
		withUsage = withUsage || o == WithUsage
	}
	err := s.call(func() error {
		if err := s.checkMood(); err != nil {
			return err
		}
		procs := s.listing()
		out = s.statsOf(procs)
		if withUsage {
			targets = make([]usage.Target, len(procs))
			oomBase = make([]int64, len(procs))
			for i, p := range procs {
				targets[i] = usage.Target{Pid: p.Pid(), Cgroup: p.Cgroup()}
				oomBase[i] = p.res.oomBase
			}
		}
		return nil
	})
	if err == nil && withUsage {
		figs := usage.Sample(targets)
		for i := range out {
			if figs[i].OK {
				out[i].Usage = &figs[i]
			}
			// OOM kills of a running child's cgroup not counted yet
			// (a worker killed while the main process lives on).
			if cg := targets[i].Cgroup; cg != nil && targets[i].Pid != 0 {
				if now := cg.OOMKills(); now > oomBase[i] {
					out[i].OOMKills += now - oomBase[i]
				}
			}
		}
	}
	return out, err
}

// statsOf is Stats for procs, on the loop.
func (s *Supervisor) statsOf(procs []*proc) []ProcessStats {
	out := make([]ProcessStats, len(procs))
	for i, p := range procs {
		out[i] = ProcessStats{
			Name: p.Name(), Group: p.group.cfg.Name, State: p.State(), Start: p.LastStart(),
			Starts: p.starts, Exits: p.exits, LastExitStatus: p.lastExit,
			Health: p.health, HealthFailures: p.healthFails, HealthOutput: p.healthOutput,
			HealthChecked: p.healthChecked,
		}
		if p.Config.RestartDelay > 0 {
			out[i].RestartDelay, out[i].RestartAt = true, p.RestartAt()
		}
		out[i].Notify, out[i].WatchdogSecs = p.Config.Notify, p.Config.WatchdogSecs
		if p.nt != nil {
			out[i].NotifyStatus, out[i].WatchdogTimeouts = p.nt.status, p.nt.timeouts
		}
		// Resource control (resources.go).
		out[i].Pid, out[i].Resources, out[i].Cgroup = p.Pid(), &p.Config.Resources, p.Cgroup() != nil
		out[i].OOMKills = p.res.oomKills
		if p.sched != nil {
			out[i].Scheduled, out[i].NextRun = true, p.sched.next
		}
	}
	return out
}

// countExit records a reaped child's status.
func (p *proc) countExit(ws syscall.WaitStatus) {
	p.exits++
	switch {
	case ws.Signaled():
		p.lastExit = 128 + int(ws.Signal())
	default:
		p.lastExit = ws.ExitStatus()
	}
}

// ready is what depends_on waits for: RUNNING, and healthy when checked;
// a one-shot's success (oneshot.go).
func (p *proc) ready() bool {
	if p.Config.Oneshot {
		return oneshotDone(p)
	}
	return isReady(p.State(), p.health)
}

// Ready is the same rule for a snapshot (what /readyz counts).
func (ps *ProcessStats) Ready() bool { return isReady(ps.State, ps.Health) }

func isReady(st process.State, h Health) bool {
	return st == process.Running && (h == HealthNone || h == HealthHealthy)
}

// procOf finds the proc wrapping a process (for its change notices).
func (s *Supervisor) procOf(p *process.Process) *proc {
	if g := s.groups[p.Config.Group]; g != nil {
		if q := g.proc(p.Name()); q != nil && q.Process == p {
			return q
		}
	}
	return nil
}
