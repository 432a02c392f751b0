package supervisor

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"super/core/config"
	"super/core/process"
)

// The methods below may be called from any goroutine; each one is a message
// to the loop started by Run (before Run they wait for it; after Run they
// fail with SHUTDOWN_STATE). Errors are *Error values carrying 4.2's fault
// codes, raised in the same cases as 4.2's rpcinterface.py.

// SplitNamespec is 4.2's split_namespec: "group:name" → (group, name);
// "name" → (name, name); "group:" and "group:*" → (group, "") meaning the
// whole group.
func SplitNamespec(spec string) (group, name string) {
	g, n, ok := strings.Cut(spec, ":")
	if !ok {
		return spec, spec
	}
	if n == "*" {
		n = ""
	}
	return g, n
}

// Namespec is 4.2's make_namespec: "name" when the group has the process's
// name, else "group:name".
func Namespec(group, name string) string {
	if group == name {
		return name
	}
	return group + ":" + name
}

// IsGroupSpec reports whether spec names a whole group ("g:" or "g:*");
// startProcess/stopProcess/signalProcess on such a name act on the group.
func IsGroupSpec(spec string) bool {
	_, n := SplitNamespec(spec)
	return n == ""
}

// ProcessInfo is getProcessInfo's struct.
type ProcessInfo struct {
	Name          string
	Group         string
	Description   string // "pid 42, uptime 0:01:02", "Not started", the spawn error…
	Start         int64  // unix seconds of the last start, 0 if never
	Stop          int64  // unix seconds of the last stop, 0 if never
	Now           int64
	State         process.State
	StateName     string
	SpawnErr      string
	ExitStatus    int
	Logfile       string // = StdoutLogfile (4.2's alias)
	StdoutLogfile string
	StderrLogfile string
	Pid           int
}

// capped is 4.2's capped_int for XML-RPC's 32-bit integers.
func capped(v int64) int64 {
	if v > math.MaxInt32 {
		return math.MaxInt32
	}
	if v < math.MinInt32 {
		return math.MinInt32
	}
	return v
}

func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// formatUptime prints d like Python's str(timedelta) of whole seconds:
// "0:01:02", "1 day, 2:03:04", "3 days, 0:00:00".
func formatUptime(secs int64) string {
	if secs < 0 {
		secs = 0
	}
	days := secs / 86400
	secs %= 86400
	// Built by hand: getAllProcessInfo formats one per running process,
	// and fmt was a tenth of the daemon's CPU under that load.
	b := make([]byte, 0, 24)
	switch days {
	case 0:
	case 1:
		b = append(b, "1 day, "...)
	default:
		b = strconv.AppendInt(b, days, 10)
		b = append(b, " days, "...)
	}
	b = strconv.AppendInt(b, secs/3600, 10)
	m, sec := secs%3600/60, secs%60
	b = append(b, ':', byte('0'+m/10), byte('0'+m%10), ':', byte('0'+sec/10), byte('0'+sec%10))
	return string(b)
}

// describe is 4.2's _interpretProcessInfo.
func describe(info *ProcessInfo) string {
	switch info.State {
	case process.Running:
		return "pid " + strconv.Itoa(info.Pid) + ", uptime " + formatUptime(info.Now-info.Start)
	case process.Fatal, process.Backoff:
		if info.SpawnErr != "" {
			return info.SpawnErr
		}
		return fmt.Sprintf("unknown error (try \"tail %s\")", info.Name)
	case process.Stopped, process.Exited:
		if info.Start != 0 {
			return time.Unix(info.Stop, 0).Format("Jan 02 03:04 PM")
		}
		return "Not started"
	}
	return ""
}

func (s *Supervisor) info(p *proc) ProcessInfo {
	return s.infoAt(p, capped(time.Now().Unix()))
}

// infoAt is info with the clock read once per request.
func (s *Supervisor) infoAt(p *proc, now int64) ProcessInfo {
	info := ProcessInfo{
		Name:          p.Name(),
		Group:         p.group.cfg.Name,
		Start:         capped(unixOrZero(p.LastStart())),
		Stop:          capped(unixOrZero(p.LastStop())),
		Now:           now,
		State:         p.State(),
		StateName:     p.State().String(),
		SpawnErr:      p.SpawnErr(),
		ExitStatus:    p.ExitStatus(),
		StdoutLogfile: p.stdoutLog,
		StderrLogfile: p.stderrLog,
		Pid:           p.Pid(),
	}
	info.Logfile = info.StdoutLogfile
	info.Description = p.description(&info) // infos.go
	if p.Config.RestartDelay > 0 || p.sched != nil {
		describePending(p, &info, time.Now())
	}
	return info
}

// checkMood is 4.2's _update: nothing is accepted once shutting down.
func (s *Supervisor) checkMood() error {
	if s.mood < process.MoodRunning {
		return fault(ShutdownState)
	}
	return nil
}

// lookup is 4.2's _getGroupAndProcess; p is nil for a whole-group spec.
func (s *Supervisor) lookup(spec string) (*group, *proc, error) {
	gname, pname := SplitNamespec(spec)
	g := s.groups[gname]
	if g == nil {
		return nil, nil, faultf(BadName, spec)
	}
	if pname == "" {
		return g, nil, nil
	}
	p := g.proc(pname)
	if p == nil {
		return nil, nil, faultf(BadName, spec)
	}
	return g, p, nil
}

// call runs fn on the loop and returns its error (or SHUTDOWN_STATE).
func (s *Supervisor) call(fn func() error) error {
	var err error
	if derr := s.do(context.Background(), func() { err = fn() }); derr != nil {
		return derr
	}
	return err
}

// State is supervisord's state (getState).
func (s *Supervisor) State() State {
	st := StateShutdown
	s.do(context.Background(), func() { st = State(s.mood) })
	return st
}

// ProcessInfo is getProcessInfo for "name" or "group:name".
func (s *Supervisor) ProcessInfo(spec string) (ProcessInfo, error) {
	var info ProcessInfo
	err := s.call(func() error {
		if err := s.checkMood(); err != nil {
			return err
		}
		_, p, err := s.lookup(spec)
		if err != nil {
			return err
		}
		if p == nil {
			return faultf(BadName, spec)
		}
		// The log readers find the paths here: the files must exist.
		s.autoLogs.ensure(p.stdoutLog, p.stderrLog)
		info = s.info(p)
		return nil
	})
	return info, err
}

// AllProcessInfo is getAllProcessInfo: every process, groups and processes
// in lexical order.
func (s *Supervisor) AllProcessInfo() ([]ProcessInfo, error) {
	return s.AllProcessInfoInto(nil)
}

// listing is every process in getAllProcessInfo's order (group name, then
// process name), kept until the set of groups changes: status polls of
// hundreds of programs no longer sort them at every call.
func (s *Supervisor) listing() []*proc {
	if s.listed != nil && s.listedGen == s.orderGen {
		return s.listed
	}
	list := []*proc{}
	for _, gname := range sortedKeys(s.groups) {
		g := s.groups[gname]
		list = append(list, g.inNameOrder()...)
	}
	s.listed, s.listedGen = list, s.orderGen
	return list
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// startOne is 4.2's startProcess for one process, run on the loop. It
// returns a waiter when the outcome is only known later.
func (s *Supervisor) startOne(spec string, p *proc, wait bool) (*waiter, error) {
	if err := s.startCheck(spec, p); err != nil {
		return nil, err
	}
	s.resumeSchedule(p)
	s.spawn(p)
	return s.started(spec, p, wait)
}

// startCheck is startOne's checks before the spawn, in 4.2's order.
func (s *Supervisor) startCheck(spec string, p *proc) error {
	if _, _, err := s.launcher.Resolve(p.Config); err != nil {
		var ce *process.CommandError
		if errors.As(err, &ce) && ce.Kind == process.NotFound {
			return faultf(NoFile, ce.Msg)
		}
		return faultf(NotExecutable, err.Error())
	}
	if !startable(p) {
		return faultf(AlreadyStarted, spec)
	}
	if p.State() == process.Unknown {
		return faultf(Failed, spec+" is in an unknown process state")
	}
	return nil
}

// startAhead is startOne in two halves for many starts at once
// (startMany): the checks and the child's preparation and fork now, the
// rest in done. It returns nil when p is not for that: a check fails or
// p has a schedule (startOne then does all of it, in order).
func (s *Supervisor) startAhead(spec string, p *proc, wait bool) (done func() (*waiter, error)) {
	if p.Config.Schedule != "" || s.startCheck(spec, p) != nil {
		return nil
	}
	finish := p.StartAhead(s.launcher)
	if finish == nil {
		return nil
	}
	return func() (*waiter, error) {
		before := p.Pid()
		finish()
		s.track(p, before)
		return s.started(spec, p, wait)
	}
}

// started is startOne after the spawn.
func (s *Supervisor) started(spec string, p *proc, wait bool) (*waiter, error) {
	if p.SpawnErr() != "" {
		return nil, faultf(SpawnError, spec)
	}
	// 4.2 reaps before this transition, but its child is still between
	// fork and exec then, so in practice the transition comes first: with
	// startsecs=0 the process is RUNNING ("success:") and the start
	// succeeds even when the program exits at once. Our spawn returns
	// after the exec, when a program like true may already be gone;
	// reaping first would make that start ABNORMAL_TERMINATION (or
	// SPAWN_ERROR for a bad exit code) where 4.2 says started.
	before := p.Pid()
	p.Transition(s.mood)
	s.track(p, before)
	running := p.State() == process.Running || runStarted(p)
	s.reapOne(p) // reap.go
	if !wait || running {
		return nil, nil
	}
	return &waiter{
		check: func() (bool, error) {
			if p.SpawnErr() != "" {
				return true, faultf(SpawnError, spec)
			}
			switch p.State() {
			case process.Running:
				return true, nil
			case process.Starting:
				return false, nil
			}
			return true, faultf(AbnormalTermination, spec)
		},
		done: make(chan error, 1),
	}, nil
}

// stopOne is 4.2's stopProcess for one process, run on the loop.
func (s *Supervisor) stopOne(spec string, p *proc, wait bool) (*waiter, error) {
	if p.CancelRestart() || s.stopSchedule(p) {
		return nil, nil
	}
	if !p.State().IsRunning() {
		return nil, faultf(NotRunning, spec)
	}
	if msg := p.Stop(); msg != "" {
		return nil, faultf(Failed, msg)
	}
	s.reapOne(p) // reap.go
	if !wait || p.State().IsStopped() {
		return nil, nil
	}
	return &waiter{
		check: func() (bool, error) {
			p.StopReport()
			return p.State().IsStopped(), nil
		},
		deadline: p.NextStopReport,
		done:     make(chan error, 1),
	}, nil
}

// single runs one start, stop or signal request and waits for its outcome;
// a whole-group spec ("g:*") goes to group instead.
func (s *Supervisor) single(ctx context.Context, spec string, wait bool,
	op func(string, *proc, bool) (*waiter, error), group func(context.Context, string, bool) ([]Result, error)) error {
	var w *waiter
	var isGroup bool
	err := s.call(func() error {
		if err := s.checkMood(); err != nil {
			return err
		}
		_, p, err := s.lookup(spec)
		if err != nil {
			return err
		}
		if p == nil {
			isGroup = true
			return nil
		}
		w, err = op(spec, p, wait)
		if w != nil {
			w.check() // 4.2 calls the callback once at once (stop_report)
			s.waits = append(s.waits, w)
		}
		return err
	})
	if err != nil {
		return err
	}
	if isGroup {
		g, _ := SplitNamespec(spec)
		_, err := group(ctx, g, wait)
		return err
	}
	if w != nil {
		return s.await(ctx, w)
	}
	return nil
}

// StartProcess is startProcess: start "name" or "group:name" and, with
// wait, return once it is RUNNING (SPAWN_ERROR or ABNORMAL_TERMINATION if
// it fails on the way). A whole-group spec ("g:*") starts the group; use
// StartGroup to get the per-process results.
func (s *Supervisor) StartProcess(ctx context.Context, spec string, wait bool) error {
	return s.single(ctx, spec, wait, s.startOne, s.StartGroup)
}

// StopProcess is stopProcess: stop "name" or "group:name" and, with wait,
// return once it is stopped (logging "waiting for x to stop" meanwhile).
func (s *Supervisor) StopProcess(ctx context.Context, spec string, wait bool) error {
	return s.single(ctx, spec, wait, s.stopOne, s.StopGroup)
}

type target struct {
	g *group
	p *proc
}

// many runs op for every target that pred accepts, like 4.2's make_allfunc:
// immediate outcomes first, then the waited ones as they complete.
func (s *Supervisor) many(ctx context.Context, pick func() ([]target, error), pred func(*proc) bool,
	op func(string, *proc) (*waiter, error)) ([]Result, error) {
	return s.manyAhead(ctx, pick, pred, op, nil)
}

// manyAhead is many whose op may be begun ahead: when ahead returns a
// completion for a target, the next targets are begun while it is under
// way (at most spawnWindow), and completions run in order, before any
// other target's op, so outcomes and log lines come in target order.
func (s *Supervisor) manyAhead(ctx context.Context, pick func() ([]target, error), pred func(*proc) bool,
	op func(string, *proc) (*waiter, error), ahead func(string, *proc) func() (*waiter, error)) ([]Result, error) {
	var results []Result
	type pending struct {
		t target
		w *waiter
	}
	var waits []pending
	err := s.call(func() error {
		if err := s.checkMood(); err != nil {
			return err
		}
		targets, err := pick()
		if err != nil {
			return err
		}
		record := func(t target, w *waiter, err error) {
			switch {
			case err != nil:
				results = append(results, result(t, err))
			case w != nil:
				w.check()
				s.waits = append(s.waits, w)
				waits = append(waits, pending{t, w})
			default:
				results = append(results, result(t, nil))
			}
		}
		type begun struct {
			t    target
			done func() (*waiter, error)
		}
		var queue []begun
		complete := func(n int) {
			for _, b := range queue[:n] {
				w, err := b.done()
				record(b.t, w, err)
			}
			queue = append(queue[:0], queue[n:]...)
		}
		for _, t := range targets {
			if !pred(t.p) {
				continue
			}
			spec := Namespec(t.g.cfg.Name, t.p.Name())
			if ahead != nil {
				if done := ahead(spec, t.p); done != nil {
					queue = append(queue, begun{t, done})
					if len(queue) == spawnWindow {
						complete(1)
					}
					continue
				}
			}
			complete(len(queue))
			w, err := op(spec, t.p)
			record(t, w, err)
		}
		complete(len(queue))
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, pw := range waits {
		results = append(results, result(pw.t, s.await(ctx, pw.w)))
	}
	return results, nil
}

func result(t target, err error) Result {
	r := Result{Name: t.p.Name(), Group: t.g.cfg.Name, Status: Success, Description: "OK"}
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			r.Status = e.Fault
		} else {
			r.Status = Failed
		}
		r.Description = err.Error()
	}
	return r
}

func (s *Supervisor) groupTargets(name string) func() ([]target, error) {
	return func() ([]target, error) {
		g := s.groups[name]
		if g == nil {
			return nil, faultf(BadName, name)
		}
		out := make([]target, len(g.procs))
		for i, p := range g.procs {
			out[i] = target{g, p}
		}
		return out, nil
	}
}

func (s *Supervisor) allTargets() ([]target, error) {
	var out []target
	for _, g := range s.order {
		for _, p := range g.procs {
			out = append(out, target{g, p})
		}
	}
	return out, nil
}

func signallable(p *proc) bool { return p.State().IsSignallable() }

func (s *Supervisor) starter(wait bool) func(string, *proc) (*waiter, error) {
	return func(spec string, p *proc) (*waiter, error) { return s.startOne(spec, p, wait) }
}

// aheadStarter begins starts ahead (startAhead) for manyAhead: the forks
// of a start all overlap as those of the daemon's start pass do.
func (s *Supervisor) aheadStarter(wait bool) func(string, *proc) func() (*waiter, error) {
	return func(spec string, p *proc) func() (*waiter, error) { return s.startAhead(spec, p, wait) }
}

func (s *Supervisor) stopper(wait bool) func(string, *proc) (*waiter, error) {
	return func(spec string, p *proc) (*waiter, error) { return s.stopOne(spec, p, wait) }
}

// StartGroup is startProcessGroup: start every process of the group that
// is not running, in priority order.
func (s *Supervisor) StartGroup(ctx context.Context, name string, wait bool) ([]Result, error) {
	return s.manyAhead(ctx, s.groupTargets(name), startable, s.starter(wait), s.aheadStarter(wait))
}

// StopGroup is stopProcessGroup.
func (s *Supervisor) StopGroup(ctx context.Context, name string, wait bool) ([]Result, error) {
	return s.many(ctx, s.groupTargets(name), stoppable, s.stopper(wait))
}

// StartAll is startAllProcesses: groups and processes in priority order.
func (s *Supervisor) StartAll(ctx context.Context, wait bool) ([]Result, error) {
	return s.manyAhead(ctx, s.allTargets, startable, s.starter(wait), s.aheadStarter(wait))
}

// StopAll is stopAllProcesses (in priority order, as 4.2 does for this
// request; shutdown stops in reverse priority order). A process others
// depend on (depends_on) gets its stop signal once they have stopped.
func (s *Supervisor) StopAll(ctx context.Context, wait bool) ([]Result, error) {
	return s.many(ctx, s.allTargets, stoppable, s.depStopper(wait))
}

// signalOne is 4.2's signalProcess for one process.
func (s *Supervisor) signalOne(sigName string) func(string, *proc) (*waiter, error) {
	return func(spec string, p *proc) (*waiter, error) {
		sig, err := process.ParseSignal(sigName)
		if err != nil {
			return nil, faultf(BadSignal, sigName)
		}
		if !p.State().IsSignallable() {
			return nil, faultf(NotRunning, spec)
		}
		if msg := p.Signal(sig); msg != "" {
			return nil, faultf(Failed, msg)
		}
		return nil, nil
	}
}

// SignalProcess is signalProcess: sig is a name ("HUP", "SIGHUP") or a
// number as text. A whole-group spec signals the group.
func (s *Supervisor) SignalProcess(spec, sig string) error {
	signal := s.signalOne(sig)
	return s.single(context.Background(), spec, false,
		func(spec string, p *proc, _ bool) (*waiter, error) { return signal(spec, p) },
		func(_ context.Context, g string, _ bool) ([]Result, error) { return s.SignalGroup(g, sig) })
}

// SignalGroup is signalProcessGroup.
func (s *Supervisor) SignalGroup(name, sig string) ([]Result, error) {
	return s.many(context.Background(), s.groupTargets(name), signallable, s.signalOne(sig))
}

// SignalAll is signalAllProcesses.
func (s *Supervisor) SignalAll(sig string) ([]Result, error) {
	return s.many(context.Background(), s.allTargets, signallable, s.signalOne(sig))
}

// AddGroup is addProcessGroup with the group's config (from a reread):
// the group's autostart processes start at once. ALREADY_ADDED if a group
// of that name exists.
func (s *Supervisor) AddGroup(gc *config.GroupConfig) error {
	return s.call(func() error {
		if err := s.checkMood(); err != nil {
			return err
		}
		if !s.addGroup(gc) {
			return faultf(AlreadyAdded, gc.Name)
		}
		return nil
	})
}

// RemoveGroup is removeProcessGroup: only a group whose processes are all
// stopped can go (STILL_RUNNING otherwise).
func (s *Supervisor) RemoveGroup(name string) error {
	return s.call(func() error {
		if err := s.checkMood(); err != nil {
			return err
		}
		if s.groups[name] == nil {
			return faultf(BadName, name)
		}
		if !s.removeGroup(name) {
			return faultf(StillRunning, name)
		}
		return nil
	})
}

// Groups returns the configs of the active groups in priority order (for
// reloadConfig's diff and getAllConfigInfo's "inuse").
func (s *Supervisor) Groups() []*config.GroupConfig {
	var out []*config.GroupConfig
	s.do(context.Background(), func() {
		for _, g := range s.order {
			out = append(out, g.cfg)
		}
	})
	return out
}

// Shutdown is shutdown: stop everything and make Run return.
func (s *Supervisor) Shutdown() error { return s.leaveRunning(process.MoodShutdown) }

// Restart is restart: stop everything, then reload and start again.
func (s *Supervisor) Restart() error { return s.leaveRunning(process.MoodRestarting) }

// leaveRunning moves the daemon to mood (shutdown or restart) unless it is
// already leaving (SHUTDOWN_STATE).
func (s *Supervisor) leaveRunning(mood process.Mood) error {
	return s.call(func() error {
		if err := s.checkMood(); err != nil {
			return err
		}
		s.mood = mood
		return nil
	})
}

// SendStdin is sendProcessStdin: NOT_RUNNING without a live child (or
// while it is being stopped), NO_FILE when its stdin is closed.
func (s *Supervisor) SendStdin(spec string, data []byte) error {
	var l *process.Launched
	err := s.call(func() error {
		if err := s.checkMood(); err != nil {
			return err
		}
		_, p, err := s.lookup(spec)
		if err != nil {
			return err
		}
		if p == nil {
			return faultf(BadName, spec)
		}
		if p.Pid() == 0 || p.Killing() || p.launched == nil {
			return faultf(NotRunning, spec)
		}
		l = p.launched
		return nil
	})
	if err != nil {
		return err
	}
	if err := l.WriteStdin(data); err != nil {
		return faultf(NoFile, spec)
	}
	return nil
}

// ClearProcessLogs is clearProcessLogs: remove and reopen the running
// child's log files (FAILED if that fails).
func (s *Supervisor) ClearProcessLogs(spec string) error {
	return s.call(func() error {
		if err := s.checkMood(); err != nil {
			return err
		}
		_, p, err := s.lookup(spec)
		if err != nil {
			return err
		}
		if p == nil {
			return faultf(BadName, spec)
		}
		if p.launched != nil {
			if err := p.launched.RemoveLogs(); err != nil {
				return faultf(Failed, spec)
			}
		}
		return nil
	})
}

// ReopenLogs reopens the activity log and every child log (as SIGUSR2).
func (s *Supervisor) ReopenLogs() {
	s.Signal(syscall.SIGUSR2)
}
