package process

import (
	"fmt"
	"syscall"
	"time"

	"super/core/cgroup"
	"super/core/config"
)

// A process's cgroup (core/cgroup): placement of the child at its fork,
// and killmode=cgroup's stop.
//
// Placement. On cgroup v2 the child is forked straight into its cgroup
// (clone3 with CLONE_INTO_CGROUP: SysProcAttr.UseCgroupFD). For the
// controllers that come from cgroup v1 (hybrid hosts), the goroutine that
// forks locks its thread and moves that thread into the program's v1
// cgroups for the fork (v1 membership is per thread, and a child starts in
// its forking thread's cgroups), then back. Either way the child is in its
// cgroup before it runs an instruction of its own, at no extra exec.
//
// killmode=cgroup. A stop signals every process of the cgroup, SIGKILL
// after stopwaitsecs kills all of it at once (cgroup.kill, or frozen then
// killed), and the process is STOPPED only once the cgroup is empty: the
// main child's exit status is held until then. When the main child exits
// on its own, what it left in the cgroup is killed, so a restart never
// runs beside the previous run's processes.

// cgroupLimits are the cgroup keys of cfg.
func cgroupLimits(r *config.Resources) cgroup.Limits {
	return cgroup.Limits{MemoryMax: r.MemoryMax, MemoryHigh: r.MemoryHigh, CPUQuota: r.CPUQuota,
		CPUWeight: r.CPUWeight, PidsMax: r.PidsMax}
}

// placeInCgroup prepares p's cgroup for the fork j will do.
func (j *forkJob) placeInCgroup(p *Process) error {
	cfg := p.Config
	if !cfg.Resources.Cgroup {
		return nil
	}
	cg := p.opts.Cgroup
	if cg == nil {
		why := p.opts.CgroupErr
		if why == "" {
			why = "no cgroup support"
		}
		return fmt.Errorf("cannot give '%s' a cgroup: %s", cfg.Name, why)
	}
	place, err := cg.Prepare(cgroupLimits(&cfg.Resources))
	if err != nil {
		return fmt.Errorf("cannot give '%s' its cgroup: %v", cfg.Name, err)
	}
	j.place = place
	if place.FD >= 0 {
		j.attr.Sys.UseCgroupFD = true
		j.attr.Sys.CgroupFD = place.FD
	}
	return nil
}

// Cgroup is the process's cgroup, nil when it has none.
func (p *Process) Cgroup() *cgroup.Group { return p.opts.Cgroup }

// killsCgroup: stops reach the whole cgroup.
func (p *Process) killsCgroup() bool {
	return p.opts.Cgroup != nil && p.Config.Resources.KillMode == config.KillCgroup
}

// signalCgroup is Kill's signal with killmode=cgroup.
func (p *Process) signalCgroup(sig syscall.Signal) error {
	if sig == syscall.SIGKILL {
		return p.opts.Cgroup.Kill()
	}
	err := p.opts.Cgroup.Signal(sig)
	if p.held != nil {
		return nil // the main child is gone already
	}
	return err
}

// holdExit keeps a stopping process STOPPING while its cgroup still has
// processes: Finish is done later (cgroupDrained). It reports whether the
// exit was held.
func (p *Process) holdExit(ws syscall.WaitStatus) bool {
	if !p.killsCgroup() {
		return false
	}
	cg := p.opts.Cgroup
	if !p.killing {
		// Exited on its own: what it left behind goes with it.
		if left := cg.Procs(); len(left) > 0 {
			p.opts.Log.Info("killing %d leftover process(es) of %s (killmode=cgroup): %v", len(left), p.Name(), left)
			cg.Kill()
		}
		return false
	}
	if cg.Empty() {
		return false
	}
	p.held = &ws
	p.opts.Log.Debug("%s exited; waiting for the rest of its cgroup to stop", p.Name())
	return true
}

// HeldExit reports whether the main child was reaped while the rest of
// its cgroup still runs (killmode=cgroup): the process stays STOPPING
// until the cgroup is empty. With cgroup v2 the owner waits for that
// event (cgroup.Group.WaitEmptyEvent) and runs Transition when it comes;
// without it (v1) NextDeadline looks again every heldPoll.
func (p *Process) HeldExit() bool { return p.held != nil }

// heldPoll is how often a held exit looks at its cgroup again when no
// event tells when it empties (cgroup v1).
const heldPoll = 50 * time.Millisecond

// cgroupDrained finishes a held exit once the cgroup is empty.
func (p *Process) cgroupDrained() {
	if p.held == nil || !p.opts.Cgroup.Empty() {
		return
	}
	ws := *p.held
	p.held = nil
	p.Finish(ws)
}
