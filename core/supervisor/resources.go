package supervisor

import (
	"fmt"
	"time"

	"super/core/cgroup"
	"super/core/config"
	"super/core/process"
	"super/core/usage"
)

// Resource control in the engine (issue 23): the daemon's cgroup tree,
// leftovers of a crashed daemon, OOM kills, memory_restart and the CPU and
// memory figures Stats reports. Spawning into a cgroup and killmode=cgroup
// are core/process's (cgroups.go), the cgroup files core/cgroup's.

// cgroupState is the daemon's cgroup tree, opened when the first process
// needs one and kept across reloads.
type cgroupState struct {
	opened bool
	tree   *cgroup.Tree
	err    string // why there is no tree
}

// resState is one proc's resource figures; owned by the loop.
type resState struct {
	oomBase  int64 // the cgroup's oom_kill count when the child was spawned
	oomKills int64 // OOM kills counted at exits

	// memory_restart's samples (one timer per process while RUNNING).
	memGen   uint64 // changes whenever RUNNING begins or ends
	memTimer *time.Timer
	memOver  int // samples in a row above memory_restart
}

// memorySample is memory_restart's interval between samples; three in a
// row above the limit restart the program.
var memorySample = time.Second

// memoryOverSamples is how many samples in a row restart a program.
const memoryOverSamples = 3

// openCgroups opens the tree at the first need: one INFO line saying what
// the daemon has, then what a previous daemon left running is killed,
// before any program of this one starts.
func (s *Supervisor) openCgroups() {
	cs := &s.cgroups
	if cs.opened {
		return
	}
	cs.opened = true
	t, err := cgroup.Open(s.cfg.Supervisord.Identifier)
	if err != nil {
		cs.err = err.Error()
		s.log.Error("cgroups: unavailable, programs that need one will not start: %v", err)
		return
	}
	cs.tree = t
	s.log.Info("cgroups: %s: %s", t.Name(), t.Features())
	for _, l := range t.Leftovers() {
		s.log.Warn("cgroups: %s has %d process(es) left from a previous run (pids %v): killing them", l.Name, len(l.Pids), l.Pids)
	}
	if err := t.KillLeftovers(5 * time.Second); err != nil {
		s.log.Error("cgroups: %v", err)
	}
}

// closeCgroups removes the empty cgroups when the daemon stops: a clean
// shutdown leaves none behind (a crash leaves them, with what runs in
// them, for the next daemon to find).
func (s *Supervisor) closeCgroups() {
	if t := s.cgroups.tree; t != nil {
		t.RemoveEmpty()
	}
}

// cgroupFor is a process's cgroup, or why it has none.
func (s *Supervisor) cgroupFor(pc *config.ProcessConfig) (*cgroup.Group, string) {
	if !pc.Resources.Cgroup {
		return nil, ""
	}
	s.openCgroups()
	if s.cgroups.tree == nil {
		return nil, s.cgroups.err
	}
	return s.cgroups.tree.Group(pc.Group + ":" + pc.Name), ""
}

// resourcesSpawned notes a new child: OOM kills count from here.
func (s *Supervisor) resourcesSpawned(p *proc) {
	if cg := p.Cgroup(); cg != nil {
		p.res.oomBase = cg.OOMKills()
	}
}

// resourcesReaped checks a reaped child's cgroup for OOM kills since the
// spawn: logged as a WARN line after 4.2's exited:/stopped: line, and
// counted. When the exit is held until the cgroup is empty
// (killmode=cgroup), the loop is woken when it is (cgroup v2's event).
func (s *Supervisor) resourcesReaped(p *proc) {
	cg := p.Cgroup()
	if cg == nil {
		return
	}
	if p.HeldExit() {
		if empty := cg.WaitEmptyEvent(s.done); empty != nil {
			go func() {
				select {
				case <-empty:
					// A pass of the loop follows every request: its
					// transition finishes the held exit.
					select {
					case s.reqs <- func() {}:
					case <-s.done:
					}
				case <-s.done:
				}
			}()
		}
	}
	n := cg.OOMKills()
	if n < 0 || n <= p.res.oomBase {
		return
	}
	d := n - p.res.oomBase
	p.res.oomKills += d
	p.res.oomBase = n
	limit := ""
	if m := p.Config.Resources.MemoryMax; m > 0 {
		limit = fmt.Sprintf(" (memory_max=%d)", m)
	}
	s.log.Warn("oom: the OOM killer killed %d process(es) of %s%s", d, p.Name(), limit)
}

// memoryChange follows transitions for memory_restart: samples run only
// while the process is RUNNING.
func (s *Supervisor) memoryChange(c process.Change) {
	if c.Process.Config.Resources.MemoryRestart <= 0 {
		return
	}
	p := s.procOf(c.Process)
	if p == nil {
		return
	}
	switch {
	case c.To == process.Running:
		p.res.memGen++
		p.res.memOver = 0
		s.sampleMemoryAfter(p, memorySample)
	case c.From == process.Running:
		p.res.memGen++
		if p.res.memTimer != nil {
			p.res.memTimer.Stop()
		}
	}
}

// sampleMemoryAfter reads p's tree memory d from now, off the loop.
func (s *Supervisor) sampleMemoryAfter(p *proc, d time.Duration) {
	gen, target := p.res.memGen, usage.Target{Pid: p.Pid(), Cgroup: p.Cgroup()}
	p.res.memTimer = time.AfterFunc(d, func() {
		f := usage.Sample([]usage.Target{target})[0]
		select {
		case s.reqs <- func() { s.memorySampled(p, gen, f) }:
		case <-s.done:
		}
	})
}

// memorySampled takes one memory_restart sample on the loop.
func (s *Supervisor) memorySampled(p *proc, gen uint64, f usage.Figures) {
	if p.res.memGen != gen || p.State() != process.Running {
		return
	}
	limit := p.Config.Resources.MemoryRestart
	if f.OK && f.MemoryBytes > limit {
		p.res.memOver++
	} else {
		p.res.memOver = 0
	}
	if p.res.memOver >= memoryOverSamples {
		s.log.Warn("memory_restart: %s uses %d bytes, above memory_restart=%d for %d samples in a row: restarting it",
			p.Name(), f.MemoryBytes, limit, p.res.memOver)
		p.res.memOver = 0
		s.restartUnhealthy(p)
		return
	}
	s.sampleMemoryAfter(p, memorySample)
}
