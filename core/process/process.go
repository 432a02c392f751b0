package process

import (
	"errors"
	"fmt"
	"syscall"
	"time"

	"super/core/cgroup"
	"super/core/config"
)

// Logger is the activity log as a process needs it; core/logging's *Logger
// satisfies it. Messages are printf formats.
type Logger interface {
	Critical(format string, args ...any)
	Error(format string, args ...any)
	Warn(format string, args ...any)
	Info(format string, args ...any)
	Debug(format string, args ...any)
	Trace(format string, args ...any)
	Blather(format string, args ...any)
}

// Spawner starts the child of a process. The real one is *Launcher; tests
// of the state machine use fakes.
type Spawner interface {
	Spawn(p *Process) (Child, error)
}

// Child is a started child as the state machine sees it.
type Child interface {
	Pid() int
	// Finished is called once the child has been reaped; it releases the
	// pipes (output still buffered in them is drained first).
	Finished()
}

// Mood is the supervisor's state as it affects a process: only while
// running are processes started automatically (4.2's options.mood).
type Mood int

// Supervisor states, with 4.2's SupervisorStates codes.
const (
	MoodFatal      Mood = 2
	MoodRunning    Mood = 1
	MoodRestarting Mood = 0
	MoodShutdown   Mood = -1
)

// Change describes one state transition of a process.
type Change struct {
	Process  *Process
	From, To State
	// Expected is false only for RUNNING → EXITED with an exit code not in
	// exitcodes (4.2's PROCESS_STATE_EXITED "expected" field).
	Expected bool
}

// Options are what a Process needs from its owner.
type Options struct {
	Now     func() time.Time                        // the clock; time.Now when nil
	Log     Logger                                  // the activity log (required)
	Spawner Spawner                                 // starts children (required)
	Kill    func(pid int, sig syscall.Signal) error // syscall.Kill when nil
	Notify  func(Change)                            // called after every transition; may be nil

	// Resource control (cgroups.go): the process's cgroup, nil without
	// one; CgroupErr says why a process that needs one has none.
	Cgroup    *cgroup.Group
	CgroupErr string
}

// Process is one configured process and its current state. Only the
// supervisor loop calls its methods; it is not safe for concurrent use.
type Process struct {
	Config *config.ProcessConfig
	opts   Options

	state          State
	pid            int
	child          Child
	laststart      time.Time // zero if never started
	laststop       time.Time // zero if never stopped
	laststopreport time.Time
	delay          time.Time // when the pending timed decision is due; zero if none
	backoff        int       // failed starts in a row
	killing        bool      // a stop (or kill) signal was sent
	adminStop      bool      // stopped by request (4.2's administrative_stop)
	systemStop     bool      // gave up (4.2's system_stop)
	spawnerr       string
	exitstatus     int

	// Restart delay (restart_delay, restart_delay_max; restart.go).
	streak   int           // automatic restarts in a row that waited: the next waits RestartDelay·2^streak, capped
	wait     time.Duration // the wait of the pending automatic restart, as logged
	runSince time.Time     // when the process last entered RUNNING

	notReadyStop bool        // stopped for not being ready in time: BACKOFF when reaped (notify.go)
	readyProbe   func() bool // ready_log_line: a matching line read, not yet delivered (notify.go)
	// killmode=cgroup (cgroups.go): the main child's exit, until the cgroup is empty.
	held *syscall.WaitStatus
}

// New returns a process in the STOPPED state.
func New(cfg *config.ProcessConfig, opts Options) *Process {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Kill == nil {
		opts.Kill = syscall.Kill
	}
	return &Process{Config: cfg, opts: opts, state: Stopped}
}

// Name is the process name (without the group).
func (p *Process) Name() string { return p.Config.Name }

// State is the current state.
func (p *Process) State() State { return p.state }

// Pid is the child's pid, 0 when there is none.
func (p *Process) Pid() int { return p.pid }

// Child is the running child, nil when there is none.
func (p *Process) Child() Child { return p.child }

// LastStart is when the process was last spawned (zero if never).
func (p *Process) LastStart() time.Time { return p.laststart }

// LastStop is when the child was last reaped (zero if never).
func (p *Process) LastStop() time.Time { return p.laststop }

// SpawnErr is the last spawn error or failure description ("" if none).
func (p *Process) SpawnErr() string { return p.spawnerr }

// ExitStatus is the exit status of the last exit (-1 for a signal).
func (p *Process) ExitStatus() int { return p.exitstatus }

// Backoff is the number of failed starts in a row.
func (p *Process) Backoff() int { return p.backoff }

// Killing reports whether a stop signal has been sent and the child has not
// been reaped yet.
func (p *Process) Killing() bool { return p.killing }

// to performs one transition; an illegal one is a bug and panics with 4.2's
// assertion text.
func (p *Process) to(s State, expected bool) {
	from := p.state
	if s == from {
		return
	}
	if !Legal(from, s) {
		panic(fmt.Sprintf("Assertion failed for %s: %s not in transitions to %s", p.Name(), from, s))
	}
	p.state = s
	switch s {
	case Backoff:
		p.backoff++
		p.delay = p.opts.Now().Add(p.backoffWait())
	case Running:
		p.runSince = p.opts.Now()
	}
	if p.opts.Notify != nil {
		p.opts.Notify(Change{Process: p, From: from, To: s, Expected: expected})
	}
}

func (p *Process) recordSpawnErr(msg string) {
	p.spawnerr = msg
	p.opts.Log.Info("spawnerr: %s", msg)
}

// Spawn starts the child (4.2's Subprocess.spawn). It returns the pid, or 0
// when the process was already running or the start failed (then the state
// is BACKOFF and SpawnErr says why).
func (p *Process) Spawn() int {
	if !p.beginSpawn() {
		return 0
	}
	return p.spawned(p.opts.Spawner.Spawn(p))
}

// Starter is a Spawner that can also start a child in two halves (see
// Launcher.Start): Start returns once the child is prepared, wait once it
// is forked.
type Starter interface {
	Spawner
	Start(p *Process) (wait func() (Child, error))
}

// startSpawn is Spawn with st.Start: the process is STARTING when it
// returns; finish records the pid or the failure as Spawn does. finish is
// nil when nothing was started.
func (p *Process) startSpawn(st Starter) (finish func()) {
	if !p.beginSpawn() {
		return nil
	}
	wait := st.Start(p)
	return func() { p.spawned(wait()) }
}

// beginSpawn is Spawn up to the fork: the process goes STARTING. It is
// false when a child is already running.
func (p *Process) beginSpawn() bool {
	if p.pid != 0 {
		p.opts.Log.Warn("process '%s' already running", p.Name())
		return false
	}
	p.killing = false
	p.notReadyStop = false
	p.spawnerr = ""
	p.exitstatus = 0
	p.systemStop = false
	p.adminStop = false
	p.laststart = p.opts.Now()
	p.to(Starting, true)
	return true
}

// spawned is Spawn after the fork.
func (p *Process) spawned(child Child, err error) int {
	if err != nil {
		p.recordSpawnErr(err.Error())
		p.to(Backoff, true)
		p.announceRestart()
		return 0
	}
	p.child = child
	p.pid = child.Pid()
	p.opts.Log.Info("spawned: '%s' with pid %d", p.Name(), p.pid)
	// Its output is read from now on, so none of it is logged before
	// that line (4.2 logs it right after the fork, before its loop polls
	// the pipes).
	if w, ok := child.(interface{ WatchOutput() }); ok {
		w.WatchOutput()
	}
	p.spawnerr = ""
	p.delay = p.opts.Now().Add(secs(p.Config.Startsecs))
	return p.pid
}

// Stop is an administrative stop: the stop signal (4.2's stop()). The
// returned string is 4.2's error message, "" on success.
func (p *Process) Stop() string {
	p.adminStop = true
	p.notReadyStop = false
	p.laststopreport = time.Time{}
	return p.Kill(p.Config.Stopsignal)
}

// StopReport logs "waiting for x to stop", at most every two seconds, while
// the process is STOPPING (4.2 does this while a stop request waits).
func (p *Process) StopReport() {
	if p.state != Stopping {
		return
	}
	now := p.opts.Now()
	if p.laststopreport.IsZero() || now.Sub(p.laststopreport) > 2*time.Second {
		p.opts.Log.Info("waiting for %s to stop", p.Name())
		p.laststopreport = now
	}
}

// NextStopReport is when StopReport will next log something.
func (p *Process) NextStopReport() time.Time {
	if p.state != Stopping || p.laststopreport.IsZero() {
		return time.Time{}
	}
	return p.laststopreport.Add(2*time.Second + time.Nanosecond)
}

// GiveUp moves a BACKOFF process to FATAL (4.2's give_up).
func (p *Process) GiveUp() {
	p.delay = time.Time{}
	p.backoff = 0
	p.systemStop = true
	p.assertIn(Backoff)
	p.to(Fatal, true)
}

func (p *Process) assertIn(states ...State) {
	for _, s := range states {
		if p.state == s {
			return
		}
	}
	panic(fmt.Sprintf("Assertion failed for %s: %s not in %v", p.Name(), p.state, states))
}

// Kill sends sig meaning to make the child exit (4.2's kill()): STARTING or
// RUNNING → STOPPING (a second call, e.g. SIGKILL after stopwaitsecs, keeps
// STOPPING); a BACKOFF process goes straight to STOPPED. The returned string
// is 4.2's error message, "" when the signal was sent.
func (p *Process) Kill(sig syscall.Signal) string {
	now := p.opts.Now()
	log := p.opts.Log
	if p.state == Backoff {
		log.Debug("Attempted to kill %s, which is in BACKOFF state.", p.Name())
		p.to(Stopped, true)
		return ""
	}
	if p.pid == 0 {
		msg := fmt.Sprintf("attempted to kill %s with sig %s but it wasn't running", p.Name(), SignalName(sig))
		log.Debug("%s", msg)
		return msg
	}
	asGroup := p.Config.Stopasgroup
	if p.state == Stopping {
		asGroup = p.Config.Killasgroup
	}
	how := ""
	if asGroup {
		how = "process group "
	}
	if p.killsCgroup() {
		how = "cgroup "
	}
	log.Debug("killing %s (pid %d) %swith signal %s", p.Name(), p.pid, how, SignalName(sig))

	p.killing = true
	p.delay = now.Add(secs(p.Config.Stopwaitsecs))
	p.assertIn(Running, Starting, Stopping)
	p.to(Stopping, true)

	target := p.pid
	if asGroup {
		target = -p.pid
	}
	kill := p.opts.Kill
	if p.killsCgroup() {
		kill = func(int, syscall.Signal) error { return p.signalCgroup(sig) }
	}
	if err := kill(target, sig); err != nil {
		if errors.Is(err, syscall.ESRCH) {
			// It exited on its own; the reaper will tell.
			log.Debug("unable to signal %s (pid %d), it probably just exited on its own: %s", p.Name(), p.pid, err)
			return ""
		}
		msg := fmt.Sprintf("unknown problem killing %s (%d):%s", p.Name(), p.pid, err)
		log.Critical("%s", msg)
		p.to(Unknown, true)
		p.killing = false
		p.delay = time.Time{}
		return msg
	}
	return ""
}

// Signal sends sig without the intention to stop the child (4.2's
// signal()). It returns 4.2's error message, "" when sent.
func (p *Process) Signal(sig syscall.Signal) string {
	log := p.opts.Log
	if p.pid == 0 {
		msg := fmt.Sprintf("attempted to send %s sig %s but it wasn't running", p.Name(), SignalName(sig))
		log.Debug("%s", msg)
		return msg
	}
	log.Debug("sending %s (pid %d) sig %s", p.Name(), p.pid, SignalName(sig))
	p.assertIn(Running, Starting, Stopping)
	if err := p.opts.Kill(p.pid, sig); err != nil {
		if errors.Is(err, syscall.ESRCH) {
			log.Debug("unable to signal %s (pid %d), it probably just now exited on its own: %s", p.Name(), p.pid, err)
			return ""
		}
		msg := fmt.Sprintf("unknown problem sending sig %s (%d):%s", p.Name(), p.pid, err)
		log.Critical("%s", msg)
		p.to(Unknown, true)
		return msg
	}
	return ""
}

// ExitExpected reports whether es is one of the configured exitcodes.
func (p *Process) ExitExpected(es int) bool {
	for _, c := range p.Config.Exitcodes {
		if c == es {
			return true
		}
	}
	return false
}

// Finish records that the child was reaped with status ws (4.2's finish()):
// STOPPING → STOPPED after a stop, STARTING → BACKOFF when it exited before
// startsecs, RUNNING → EXITED otherwise.
func (p *Process) Finish(ws syscall.WaitStatus) {
	if p.held == nil && p.holdExit(ws) {
		return
	}
	es, msg := DecodeWaitStatus(ws)
	now := p.opts.Now()
	log := p.opts.Log
	p.laststop = now
	tooQuickly := p.exitedTooQuickly(now) && p.Config.Schedule == "" // (schedule.go)
	expected := p.ExitExpected(es)

	switch {
	case p.killing:
		p.killing = false
		p.delay = time.Time{}
		p.exitstatus = es
		p.assertIn(Stopping)
		if p.notReadyStop {
			p.notReadyStopped()
		} else {
			p.to(Stopped, true)
		}
		if expected {
			log.Info("stopped: %s (%s)", p.Name(), msg)
		} else {
			log.Warn("stopped: %s (%s)", p.Name(), msg)
		}
	case p.Config.Oneshot:
		p.finishOneshot(es, msg, expected)
	case tooQuickly:
		p.exitstatus = 0
		p.spawnerr = p.tooQuicklyMessage()
		p.assertIn(Starting)
		p.to(Backoff, true)
		log.Warn("exited: %s (%s; not expected)", p.Name(), msg)
	default:
		p.delay = time.Time{}
		p.backoff = 0
		p.exitstatus = es
		if p.state == Starting {
			// startsecs elapsed but the deadline was not handled yet
			// (or startsecs=0): it did reach RUNNING.
			p.to(Running, true)
		}
		p.assertIn(Running)
		if expected {
			p.to(Exited, true)
			log.Info("exited: %s (%s; expected)", p.Name(), msg)
		} else {
			p.spawnerr = fmt.Sprintf("Bad exit code %d", es)
			p.to(Exited, false)
			log.Warn("exited: %s (%s; not expected)", p.Name(), msg)
		}
		p.delayRestart(now)
	}
	p.announceRestart()
	p.pid = 0
	if p.child != nil {
		p.child.Finished()
		p.child = nil
	}
}

// shouldAutoStart reports whether Transition would spawn now (ignoring time).
func (p *Process) shouldAutoStart() bool {
	switch p.state {
	case Exited:
		c := p.Config
		if c.Oneshot || c.Schedule != "" {
			return false // it ran to its end; its schedule starts it (oneshot.go, schedule.go)
		}
		switch c.Autorestart {
		case config.RestartAlways:
			return true
		case config.RestartUnexpected:
			return !p.ExitExpected(p.exitstatus)
		}
	case Stopped:
		return p.laststart.IsZero() && p.Config.Autostart && p.Config.Schedule == ""
	}
	return false
}

// AutoStartDue reports whether Transition would start the process on its
// own (autostart of a process never started, autorestart after an exit),
// time and the supervisor's mood aside. The supervisor asks before a pass
// to hold back starts that wait for other processes.
func (p *Process) AutoStartDue() bool { return p.shouldAutoStart() }

// AutoStartNow reports whether Transition(mood) starts the process on its
// own: an automatic start is due and the mood allows it. Only such a start
// is left unfinished by StartTransition.
func (p *Process) AutoStartNow(mood Mood) bool {
	// Small enough to be inlined: the loop asks for every process on
	// every pass, and most are running.
	return (p.state == Stopped || p.state == Exited) && p.autoStartNow(mood)
}

func (p *Process) autoStartNow(mood Mood) bool {
	return mood > MoodRestarting && p.shouldAutoStart() && !p.restartWaiting()
}

// Transition makes the time- and state-driven moves that are due (4.2's
// transition()): autostart, autorestart, BACKOFF → STARTING after the delay,
// STARTING → RUNNING after startsecs, BACKOFF → FATAL after too many
// retries, SIGKILL after stopwaitsecs. Automatic starts happen only while
// mood is MoodRunning.
func (p *Process) Transition(mood Mood) { p.transition(mood, nil) }

// StartTransition is Transition, except that when the Spawner is a
// Starter an automatic start of a STOPPED or EXITED process (autostart,
// autorestart) only begins: the caller may start other processes while
// this one forks, and must call finish, on the same goroutine, before
// anything else uses p. finish is nil when nothing was left unfinished. A
// BACKOFF retry is done whole, as Transition does: whether to give up
// depends on it.
func (p *Process) StartTransition(mood Mood) (finish func()) {
	st, _ := p.opts.Spawner.(Starter)
	return p.transition(mood, st)
}

func (p *Process) transition(mood Mood, st Starter) (finish func()) {
	if p.Idle(mood) {
		return nil
	}
	return p.decide(mood, st)
}

// decide makes transition's moves; Idle tells when it would make none.
func (p *Process) decide(mood Mood, st Starter) (finish func()) {
	now := p.opts.Now()
	state := p.state
	log := p.opts.Log

	switch {
	case p.AutoStartNow(mood):
		// From STOPPED or EXITED: nothing below applies to those states,
		// so the spawn may finish later.
		if st != nil {
			return p.startSpawn(st)
		}
		p.Spawn()
	case mood > MoodRestarting && state == Backoff && p.backoff <= p.Config.Startretries && now.After(p.delay):
		p.Spawn()
	}

	switch state {
	case Starting:
		if p.state == Starting && !p.Config.Oneshot && now.Sub(p.laststart) > secs(p.Config.Startsecs) && p.gated() {
			p.notReady()
		} else if p.state == Starting && !p.Config.Oneshot && now.Sub(p.laststart) > secs(p.Config.Startsecs) {
			p.delay = time.Time{}
			p.backoff = 0
			p.to(Running, true)
			log.Info("success: %s entered RUNNING state, process has stayed up for > than %d seconds (startsecs)",
				p.Name(), p.Config.Startsecs)
		}
	case Backoff:
		if p.state == Backoff && p.backoff > p.Config.Startretries {
			p.GiveUp()
			if p.Config.Oneshot {
				log.Info("gave up: %s entered FATAL state, too many failed runs (oneshot)", p.Name())
			} else {
				log.Info("gave up: %s entered FATAL state, too many start retries too quickly", p.Name())
			}
		}
	case Stopping:
		p.cgroupDrained()
		if p.state == Stopping && !p.delay.IsZero() && !now.Before(p.delay) {
			log.Warn("killing '%s' (%d) with SIGKILL", p.Name(), p.pid)
			p.Kill(syscall.SIGKILL)
		}
	}
	return nil
}

// Idle reports, without reading the clock, that Transition(mood) has
// nothing to do at any time, and NextDeadline(mood) is zero: the state
// has no decision waiting (RUNNING, FATAL, a STOPPED or EXITED process
// that does not start by itself, …). Only a change of the process (its
// state, a reap, a request) or of the mood can end that. The supervisor
// looks only at processes that are not idle on most passes of its loop,
// and Transition itself starts with this test.
func (p *Process) Idle(mood Mood) bool {
	switch p.state {
	case Running, Fatal, Unknown:
		return true
	case Stopped, Exited:
		return mood <= MoodRestarting || !p.shouldAutoStart()
	case Starting:
		return p.Config.Oneshot || (p.gated() && p.Config.Startsecs <= 0)
	case Backoff:
		return mood <= MoodRestarting && p.backoff <= p.Config.Startretries
	case Stopping:
		return p.held == nil && p.delay.IsZero()
	}
	return false
}

// NextDeadline is the earliest time at which Transition(mood) would do
// something; zero when nothing is pending (the supervisor sleeps until an
// event). A time not after now means "at once".
func (p *Process) NextDeadline(mood Mood) time.Time {
	switch p.state {
	case Starting:
		if p.Config.Oneshot {
			return time.Time{} // it ends when its child does
		}
		return p.startingDeadline()
	case Backoff:
		if p.backoff > p.Config.Startretries {
			return p.opts.Now()
		}
		if mood > MoodRestarting {
			return p.delay.Add(time.Nanosecond)
		}
	case Stopping:
		if p.held != nil && !p.opts.Cgroup.Events() {
			// killmode=cgroup on cgroup v1: the rest of the cgroup is
			// looked at again shortly (only while a stop waits for it).
			if next := p.opts.Now().Add(heldPoll); p.delay.IsZero() || next.Before(p.delay) {
				return next
			}
		}
		return p.delay
	default:
		if mood > MoodRestarting && p.shouldAutoStart() {
			if p.restartWaiting() {
				return p.delay
			}
			return p.opts.Now()
		}
	}
	return time.Time{}
}

func secs(n int) time.Duration { return time.Duration(n) * time.Second }
